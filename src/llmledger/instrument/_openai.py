"""Instrument an ``openai.OpenAI`` / ``AsyncOpenAI`` client: chat, Responses, images, embeddings.

Metered methods: ``chat.completions.create`` and ``.parse``, ``responses.create`` and ``.parse``,
``images.generate`` and ``embeddings.create``. Chat streams are sent with
``stream_options={"include_usage": True}``; the extra final usage chunk is hidden from a caller who
had not asked for it, and the ``usage: null`` the API then puts on every chunk is marked unset, so
the caller sees the chunks it would have seen without instrumentation. Responses streams are read
for their ``response.completed`` (or ``.incomplete`` / ``.failed``) event. With limits, a chat call
without an output cap is sent with ``max_completion_tokens``, a Responses call with
``max_output_tokens``.

Not metered: ``with_raw_response`` / ``with_streaming_response`` and the ``.stream()`` helpers.
``client.with_options(...)`` / ``client.copy(...)`` return a client instrumented the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..bounds import json_tokens, messages_prompt_bound, prompt_tokens_bound, text_tokens
from ..usage import ImageUsage, extract_model, extract_request_id, extract_usage
from ._proxy import After, ResourceProxy, metered_method, replace_attribute
from ._recording import Instrumentation, MeteredCall, int_or_none
from ._streams import MeteredAsyncStream, MeteredStream, StreamState

__all__ = ["install"]

_FINAL_RESPONSE_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


def install(inst: Instrumentation, client: Any) -> None:
    """Replace the client's ``chat``, ``responses``, ``images`` and ``embeddings`` by metering proxies."""
    import openai

    is_async = isinstance(client, openai.AsyncOpenAI)

    def meter(resource: Any, methods: dict[str, Callable[..., Any]]) -> ResourceProxy:
        overrides = {
            name: metered_method(inst, getattr(resource, name), before, is_async=is_async)
            for name, before in methods.items()
            if hasattr(resource, name)
        }
        return ResourceProxy(resource, overrides)

    chat = client.chat
    completions = meter(chat.completions, {"create": _chat_before, "parse": _chat_before})
    replace_attribute(inst, client, "chat", ResourceProxy(chat, {"completions": completions}))
    replace_attribute(
        inst, client, "responses", meter(client.responses, {"create": _responses_before, "parse": _responses_before})
    )
    replace_attribute(inst, client, "images", meter(client.images, {"generate": _images_before}))
    replace_attribute(inst, client, "embeddings", meter(client.embeddings, {"create": _embeddings_before}))
    copy = client.copy

    def instrumented_copy(*args: Any, **kwargs: Any) -> Any:
        from . import instrument

        return instrument(inst.tracker, copy(*args, **kwargs), operation_type=inst.operation_type, labels=inst.labels)

    replace_attribute(inst, client, "copy", instrumented_copy)
    replace_attribute(inst, client, "with_options", instrumented_copy)


# -- chat completions ---------------------------------------------------------------------------


def _chat_bound(kwargs: dict[str, Any]) -> int:
    bound = messages_prompt_bound(kwargs.get("messages") or [])
    for key in ("tools", "response_format", "functions"):
        value = kwargs.get(key)
        if isinstance(value, list | dict):
            bound += json_tokens(value)
    return bound


def _chat_before(inst: Instrumentation, kwargs: dict[str, Any]) -> tuple[MeteredCall, dict[str, Any], After]:
    requested = int_or_none(kwargs.get("max_completion_tokens"))
    if requested is None:
        requested = int_or_none(kwargs.get("max_tokens"))
    call = inst.start(
        "openai.chat.completions", _model(kwargs), prompt_bound=lambda: _chat_bound(kwargs), requested_cap=requested
    )
    if call.new_cap is not None:
        kwargs = {**kwargs, "max_completion_tokens": call.new_cap}
    if kwargs.get("stream") is not True:
        return call, kwargs, _record
    options = kwargs.get("stream_options")
    asked = isinstance(options, dict) and options.get("include_usage") is True
    if not asked:
        kwargs = {**kwargs, "stream_options": {**(options if isinstance(options, dict) else {}), "include_usage": True}}
    return call, kwargs, _stream_after(_observe_chat_hiding if not asked else _observe_chat)


def _observe_chat(state: StreamState, chunk: Any) -> bool:
    if state.model is None:
        state.model = getattr(chunk, "model", None)
        state.request_id = extract_request_id(chunk)
    if getattr(chunk, "usage", None) is not None:
        state.usage = extract_usage(chunk)
        state.final = True
    return True


def _observe_chat_hiding(state: StreamState, chunk: Any) -> bool:
    """As :func:`_observe_chat`, for a caller who did not ask for usage: it never sees the usage."""
    _observe_chat(state, chunk)
    if chunk.usage is not None:
        return bool(chunk.choices)  # the extra usage-only chunk is hidden
    fields_set = getattr(chunk, "__pydantic_fields_set__", None)
    if fields_set is not None:
        fields_set.discard("usage")  # "usage": null, sent only because usage was asked for
    return True


# -- responses ----------------------------------------------------------------------------------


def _responses_bound(kwargs: dict[str, Any]) -> int:
    bound = messages_prompt_bound(kwargs.get("input") or [])
    instructions = kwargs.get("instructions")
    if isinstance(instructions, str):
        bound += text_tokens(instructions) + 8
    for key in ("tools", "text"):
        value = kwargs.get(key)
        if isinstance(value, list | dict):
            bound += json_tokens(value)
    return bound


def _responses_before(inst: Instrumentation, kwargs: dict[str, Any]) -> tuple[MeteredCall, dict[str, Any], After]:
    call = inst.start(
        "openai.responses",
        _model(kwargs),
        prompt_bound=lambda: _responses_bound(kwargs),
        requested_cap=int_or_none(kwargs.get("max_output_tokens")),
    )
    if call.new_cap is not None:
        kwargs = {**kwargs, "max_output_tokens": call.new_cap}
    if kwargs.get("stream") is True:
        return call, kwargs, _stream_after(_observe_response_event)
    return call, kwargs, _record


def _observe_response_event(state: StreamState, event: Any) -> bool:
    kind = getattr(event, "type", None)
    if kind == "response.created" or kind in _FINAL_RESPONSE_EVENTS:
        response = getattr(event, "response", None)
        state.model = extract_model(event) or state.model
        state.request_id = extract_request_id(response) or state.request_id
        if kind in _FINAL_RESPONSE_EVENTS:
            state.usage = extract_usage(event)
            state.final = state.usage is not None
    return True


# -- images and embeddings ----------------------------------------------------------------------


def _images_before(inst: Instrumentation, kwargs: dict[str, Any]) -> tuple[MeteredCall, dict[str, Any], After]:
    model = _model(kwargs) or "dall-e-2"
    quality = kwargs.get("quality")
    if not isinstance(quality, str) or quality == "auto":
        quality = "medium" if model.startswith("gpt-image") else "standard"
    size = kwargs.get("size")
    image = ImageUsage(
        count=int_or_none(kwargs.get("n")) or 1,
        quality=quality,
        size=size if isinstance(size, str) and size != "auto" else "1024x1024",
    )
    prompt = kwargs.get("prompt")
    call = inst.start(
        "openai.images",
        model,
        prompt_bound=lambda: prompt_tokens_bound([prompt if isinstance(prompt, str) else ""], messages=1),
        requested_cap=0,
        images=(image,),
    )
    return call, kwargs, _record


def _embeddings_bound(kwargs: dict[str, Any]) -> int:
    value = kwargs.get("input")
    items = value if isinstance(value, list) and value and not isinstance(value[0], int) else [value]
    total = 0
    for item in items:
        total += len(item) if isinstance(item, list) else text_tokens(str(item or ""))
    return total


def _embeddings_before(inst: Instrumentation, kwargs: dict[str, Any]) -> tuple[MeteredCall, dict[str, Any], After]:
    call = inst.start(
        "openai.embeddings", _model(kwargs), prompt_bound=lambda: _embeddings_bound(kwargs), requested_cap=0
    )
    return call, kwargs, _record


# -- shared -------------------------------------------------------------------------------------


def _model(kwargs: dict[str, Any]) -> str | None:
    model = kwargs.get("model")
    return model if isinstance(model, str) else None


def _record(call: MeteredCall, response: Any) -> Any:
    call.record_response(response)
    return response


def _stream_after(observe: Callable[[StreamState, Any], bool]) -> After:
    def after(call: MeteredCall, stream: Any) -> Any:
        state = StreamState(call, observe)
        if hasattr(stream, "__aiter__"):
            return MeteredAsyncStream(stream, state)
        return MeteredStream(stream, state)

    return after
