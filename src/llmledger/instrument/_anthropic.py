"""Instrument an ``anthropic.Anthropic`` / ``AsyncAnthropic`` client: ``messages.create`` and ``messages.stream``.

``create(stream=True)`` streams are read for ``message_start`` (the input usage) and
``message_delta`` (the final usage); ``messages.stream()`` is recorded when its ``with`` block
ends, from the stream's accumulated message. ``max_tokens`` is required by the API, so the guard
only reserves it; when it is missing and a limit applies, the affordable cap is sent.

Not metered: ``with_raw_response``, ``messages.batches``, ``client.beta``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from ..bounds import json_tokens, messages_prompt_bound, text_tokens
from ..usage import extract_request_id, extract_usage
from ..usage.anthropic import usage_from_anthropic_usage
from ._proxy import After, ResourceProxy, metered_method, replace_attribute
from ._recording import Instrumentation, MeteredCall, int_or_none
from ._streams import MeteredAsyncStream, MeteredStream, StreamState

__all__ = ["install"]

_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


def install(inst: Instrumentation, client: Any) -> None:
    """Replace the client's ``messages`` by a metering proxy."""
    import anthropic

    is_async = isinstance(client, anthropic.AsyncAnthropic)
    messages = client.messages
    overrides = {
        "create": metered_method(inst, messages.create, _create_before, is_async=is_async),
        "stream": _stream_method(inst, messages.stream, is_async=is_async),
    }
    replace_attribute(inst, client, "messages", ResourceProxy(messages, overrides))


def _bound(kwargs: dict[str, Any]) -> int:
    bound = messages_prompt_bound(kwargs.get("messages") or [])
    system = kwargs.get("system")
    if isinstance(system, str):
        bound += text_tokens(system) + 8
    elif isinstance(system, list):
        bound += messages_prompt_bound([{"role": "system", "content": system}])
    tools = kwargs.get("tools")
    if isinstance(tools, list):
        bound += json_tokens(tools)
    return bound


def _plan(inst: Instrumentation, kwargs: dict[str, Any]) -> tuple[MeteredCall, dict[str, Any]]:
    model = kwargs.get("model")
    call = inst.start(
        "anthropic.messages",
        model if isinstance(model, str) else None,
        prompt_bound=lambda: _bound(kwargs),
        requested_cap=int_or_none(kwargs.get("max_tokens")),
    )
    if call.new_cap is not None:
        kwargs = {**kwargs, "max_tokens": call.new_cap}
    return call, kwargs


def _create_before(inst: Instrumentation, kwargs: dict[str, Any]) -> tuple[MeteredCall, dict[str, Any], After]:
    call, kwargs = _plan(inst, kwargs)
    return call, kwargs, _stream_after if kwargs.get("stream") is True else _record


def _record(call: MeteredCall, response: Any) -> Any:
    call.record_response(response)
    return response


def _stream_after(call: MeteredCall, stream: Any) -> Any:
    state = StreamState(call, _observe)
    return MeteredAsyncStream(stream, state) if hasattr(stream, "__aiter__") else MeteredStream(stream, state)


def _usage_fields(usage: Any) -> dict[str, Any]:
    return {name: getattr(usage, name, None) for name in _USAGE_FIELDS}


def _observe(state: StreamState, event: Any) -> bool:
    kind = getattr(event, "type", None)
    if kind == "message_start":
        message = event.message
        state.model = getattr(message, "model", None)
        state.request_id = extract_request_id(message)
        state.extra = _usage_fields(message.usage)
        state.usage = usage_from_anthropic_usage(state.extra)
    elif kind == "message_delta":
        # cumulative; older API versions sent only output_tokens here: keep message_start's input
        delta = {k: v for k, v in _usage_fields(event.usage).items() if v is not None}
        state.extra = {**(state.extra or {}), **delta}
        state.usage = usage_from_anthropic_usage(state.extra)
        state.final = state.usage is not None
    return True


def _stream_method(inst: Instrumentation, original: Any, *, is_async: bool) -> Any:
    def stream(**kwargs: Any) -> Any:
        call, kwargs = _plan(inst, kwargs)
        try:
            manager = original(**kwargs)
        except BaseException as exc:
            call.fail(exc)
            raise
        return _MeteredAsyncManager(manager, call) if is_async else _MeteredManager(manager, call)

    return stream


def _finish_from_snapshot(call: MeteredCall, stream: Any, error: BaseException | None) -> None:
    state = StreamState(call, _observe)
    try:
        snapshot = stream.current_message_snapshot
    except Exception:  # nothing arrived
        snapshot = None
    if snapshot is not None:
        state.usage = extract_usage(snapshot)
        state.model = getattr(snapshot, "model", None)
        state.request_id = extract_request_id(snapshot)
        state.final = getattr(snapshot, "stop_reason", None) is not None
    state.finish(error if error is not None else GeneratorExit() if not state.final else None)


class _MeteredManager:
    """Stands in for ``MessageStreamManager``: records the stream when its ``with`` block ends."""

    def __init__(self, manager: Any, call: MeteredCall) -> None:
        self._manager = manager
        self._call = call
        self._stream: Any = None

    def __enter__(self) -> Any:
        try:
            self._stream = self._manager.__enter__()
        except BaseException as exc:
            self._call.fail(exc)
            raise
        return self._stream

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            _finish_from_snapshot(self._call, self._stream, exc)
        finally:
            self._manager.__exit__(exc_type, exc, tb)


class _MeteredAsyncManager:
    """Stands in for ``AsyncMessageStreamManager``."""

    def __init__(self, manager: Any, call: MeteredCall) -> None:
        self._manager = manager
        self._call = call
        self._stream: Any = None

    async def __aenter__(self) -> Any:
        try:
            self._stream = await self._manager.__aenter__()
        except BaseException as exc:
            self._call.fail(exc)
            raise
        return self._stream

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            _finish_from_snapshot(self._call, self._stream, exc)
        finally:
            await self._manager.__aexit__(exc_type, exc, tb)
