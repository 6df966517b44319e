"""Instrument a ``google.genai.Client``: ``models.generate_content`` and ``generate_content_stream``.

Both the sync client and ``client.aio`` are metered. A stream's chunks each carry the usage so
far; the last one (with a ``finish_reason``) the final usage. With limits, a call whose
``config`` has no ``max_output_tokens`` is sent with the affordable one.

Not metered: ``embed_content`` (the Gemini API reports no tokens for it), images, videos, live.
"""

from __future__ import annotations

import json
from typing import Any

from ..bounds import prompt_tokens_bound
from ..usage import extract_model, extract_request_id, extract_usage
from ._proxy import After, ResourceProxy, metered_method, replace_attribute
from ._recording import Instrumentation, MeteredCall, int_or_none
from ._streams import StreamState, metered_aiter, metered_iter

__all__ = ["install"]


def install(inst: Instrumentation, client: Any) -> None:
    """Replace ``client.models`` and ``client.aio.models`` by metering proxies."""
    for owner, is_async in ((client, False), (client.aio, True)):
        models = owner.models
        overrides = {
            "generate_content": metered_method(inst, models.generate_content, _before, is_async=is_async),
            "generate_content_stream": metered_method(
                inst, models.generate_content_stream, _stream_before, is_async=is_async
            ),
        }
        replace_attribute(inst, owner, "_models", ResourceProxy(models, overrides))


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    return value


def _collect(value: Any, texts: list[str]) -> tuple[int, int]:
    """Add a contents value's texts; return (contents, images) counted."""
    value = _plain(value)
    if isinstance(value, str):
        texts.append(value)
        return 1, 0
    if isinstance(value, list):
        contents = images = 0
        for item in value:
            c, i = _collect(item, texts)
            contents, images = contents + c, images + i
        return contents, images
    if isinstance(value, dict):
        images = 0
        for part in value.get("parts") or [value]:
            part = _plain(part)
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif isinstance(part, dict) and ("inline_data" in part or "file_data" in part):
                images += 1
            elif part is not value:
                texts.append(part if isinstance(part, str) else json.dumps(part, default=str))
        return 1, images
    texts.append(str(value))
    return 1, 0


def _config_get(config: Any, name: str) -> Any:
    return config.get(name) if isinstance(config, dict) else getattr(config, name, None)


def _bound(kwargs: dict[str, Any]) -> int:
    texts: list[str] = []
    contents, images = _collect(kwargs.get("contents"), texts)
    config = kwargs.get("config")
    system = _config_get(config, "system_instruction")
    if system is not None:
        c, i = _collect(system, texts)
        contents, images = contents + c, images + i
    schemas = [s for s in (_config_get(config, "tools"), _config_get(config, "response_schema")) if s is not None]
    return prompt_tokens_bound(texts, messages=contents, images=images, schemas=[_plain(s) for s in schemas])


def _before(inst: Instrumentation, kwargs: dict[str, Any]) -> tuple[MeteredCall, dict[str, Any], After]:
    model = kwargs.get("model")
    config = kwargs.get("config")
    call = inst.start(
        "google.generate_content",
        model.removeprefix("models/") if isinstance(model, str) else None,
        prompt_bound=lambda: _bound(kwargs),
        requested_cap=int_or_none(_config_get(config, "max_output_tokens")),
    )
    cap = call.new_cap
    if cap is not None:
        if config is None or isinstance(config, dict):
            config = {**(config or {}), "max_output_tokens": cap}
        else:
            config = config.model_copy(update={"max_output_tokens": cap})
        kwargs = {**kwargs, "config": config}
    return call, kwargs, _record


def _record(call: MeteredCall, response: Any) -> Any:
    call.record_response(response)
    return response


def _stream_before(inst: Instrumentation, kwargs: dict[str, Any]) -> tuple[MeteredCall, dict[str, Any], After]:
    call, kwargs, _ = _before(inst, kwargs)
    return call, kwargs, _stream_after


def _stream_after(call: MeteredCall, chunks: Any) -> Any:
    state = StreamState(call, _observe)
    if hasattr(chunks, "__aiter__"):
        return metered_aiter(chunks, state)
    return metered_iter(chunks, state)


def _observe(state: StreamState, chunk: Any) -> bool:
    if getattr(chunk, "usage_metadata", None) is not None:
        state.usage = extract_usage(chunk) or state.usage
        state.model = extract_model(chunk) or state.model
        state.request_id = extract_request_id(chunk) or state.request_id
    if any(getattr(c, "finish_reason", None) for c in getattr(chunk, "candidates", None) or ()):
        state.final = state.usage is not None
    return True
