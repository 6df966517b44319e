"""The :func:`extract_usage` dispatcher: recognise a response's shape, then read it.

A shape is recognised from the fields it has, never from an SDK class, so no SDK is imported and a plain
JSON dict goes through the same code as the SDK object parsed from it. For SDK objects the handler found
for a class is cached, so later responses of that class skip recognition.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import anthropic, google, openai, pydantic_ai
from ._access import get, has
from ._types import Usage

__all__ = ["extract_model", "extract_provider", "extract_usage"]

logger = logging.getLogger("llmledger.usage")


@dataclass(frozen=True, slots=True)
class _Shape:
    name: str
    usage: Callable[[Any], Usage | None]
    model: Callable[[Any], str | None]
    provider: Callable[[Any], str | None]


def _constant(provider: str | None) -> Callable[[Any], str | None]:
    def get_provider(_: Any) -> str | None:
        return provider

    return get_provider


def _no_model(_: Any) -> str | None:
    return None


_OPENAI = _constant("openai")
_ANTHROPIC = _constant("anthropic")
_GOOGLE = _constant("google")
_UNKNOWN = _constant(None)

_GOOGLE_RESPONSE = _Shape("google response", google.response_usage, google.model, _GOOGLE)
_GOOGLE_METADATA = _Shape("google usage metadata", google.metadata_usage, _no_model, _GOOGLE)
_ANTHROPIC_MESSAGE = _Shape("anthropic message", anthropic.message_usage, anthropic.model, _ANTHROPIC)
_ANTHROPIC_EVENT = _Shape("anthropic stream event", anthropic.event_usage, anthropic.model, _ANTHROPIC)
_ANTHROPIC_USAGE = _Shape("anthropic usage", anthropic.usage_from_anthropic_usage, _no_model, _ANTHROPIC)
_OPENAI_CHAT = _Shape("openai chat completion", openai.chat_usage, openai.model, _OPENAI)
_OPENAI_RESPONSE = _Shape("openai response", openai.responses_usage, openai.model, _OPENAI)
_OPENAI_RESPONSE_EVENT = _Shape("openai response event", openai.responses_event_usage, openai.model, _OPENAI)
_OPENAI_IMAGES = _Shape("openai images", openai.image_usage, openai.model, _OPENAI)
_OPENAI_CHAT_USAGE = _Shape("openai chat usage", openai.prompt_completion_usage, _no_model, _OPENAI)
_OPENAI_RESPONSE_USAGE = _Shape("openai response usage", openai.input_output_usage, _no_model, _OPENAI)
_PYDANTIC_AI_RESPONSE = _Shape(
    "pydantic-ai model response", pydantic_ai.model_response_usage, pydantic_ai.model, pydantic_ai.provider
)
_PYDANTIC_AI_RUN = _Shape("pydantic-ai run", pydantic_ai.run_result_usage, pydantic_ai.model, pydantic_ai.provider)
_PYDANTIC_AI_USAGE = _Shape("pydantic-ai usage", pydantic_ai.usage_from_pydantic_ai_usage, _no_model, _UNKNOWN)
# input_tokens/output_tokens and nothing else: OpenAI Responses, Anthropic and pydantic-ai all read it alike
_INPUT_OUTPUT_USAGE = _Shape("input/output usage", openai.input_output_usage, _no_model, _UNKNOWN)
_INPUT_OUTPUT_RESPONSE = _Shape("input/output response", openai.responses_usage, openai.model, _UNKNOWN)

_GOOGLE_FIELDS = ("usage_metadata", "usageMetadata", "model_version", "modelVersion", "candidates")
_OPENAI_OBJECTS = frozenset({"chat.completion", "chat.completion.chunk", "text_completion", "list"})
_PYDANTIC_AI_USAGE_FIELDS = ("cache_read_tokens", "cache_write_tokens", "requests", "details")

_handlers: dict[type, _Shape] = {}
"""Shape found for each SDK class."""

_UNCACHED_MODULES = frozenset({"builtins", "types", "unittest.mock"})


def _recognise(obj: Any) -> _Shape | None:
    if any(has(obj, name) for name in _GOOGLE_FIELDS):
        return _GOOGLE_RESPONSE

    kind = get(obj, "type")
    if isinstance(kind, str):
        if kind == "message":
            return _ANTHROPIC_MESSAGE
        if kind in ("message_start", "message_delta"):
            return _ANTHROPIC_EVENT
        if kind.startswith("response.") and has(obj, "response"):
            return _OPENAI_RESPONSE_EVENT

    object_ = get(obj, "object")
    if object_ == "response":
        return _OPENAI_RESPONSE
    if object_ in _OPENAI_OBJECTS:
        return _OPENAI_CHAT

    if get(obj, "kind") == "response" and has(obj, "parts"):
        return _PYDANTIC_AI_RESPONSE
    if object_ is None and has(obj, "created") and has(obj, "data"):
        return _OPENAI_IMAGES

    # a bare usage object
    if has(obj, "prompt_token_count") or has(obj, "promptTokenCount"):
        return _GOOGLE_METADATA
    if has(obj, "cache_read_input_tokens") or has(obj, "cache_creation_input_tokens"):
        return _ANTHROPIC_USAGE
    if has(obj, "prompt_tokens"):
        return _OPENAI_CHAT_USAGE
    if has(obj, "input_tokens_details"):
        return _OPENAI_RESPONSE_USAGE
    if has(obj, "input_tokens"):
        if any(has(obj, name) for name in _PYDANTIC_AI_USAGE_FIELDS):
            return _PYDANTIC_AI_USAGE
        return _INPUT_OUTPUT_USAGE

    # a response without a type marker, recognised by its usage
    usage = get(obj, "usage")
    if usage is None:
        return None
    if has(usage, "input_tokens") and any(has(usage, name) for name in _PYDANTIC_AI_USAGE_FIELDS):
        return _PYDANTIC_AI_RUN
    if callable(usage) and not has(usage, "input_tokens"):
        return _PYDANTIC_AI_RUN  # pydantic-ai 1: result.usage()
    if has(usage, "prompt_tokens"):
        return _OPENAI_CHAT
    if has(usage, "cache_read_input_tokens") or has(usage, "cache_creation_input_tokens"):
        return _ANTHROPIC_MESSAGE
    if has(usage, "input_tokens"):
        return _OPENAI_RESPONSE if has(usage, "input_tokens_details") else _INPUT_OUTPUT_RESPONSE
    return None


_NEVER_RESPONSES = frozenset({type(None), bool, int, float, complex, str, bytes, bytearray, list, tuple})


def _shape(obj: Any) -> _Shape | None:
    cls = type(obj)
    shape = _handlers.get(cls)
    if shape is not None:
        return shape
    if cls in _NEVER_RESPONSES:
        return None
    shape = _recognise(obj)
    if shape is not None and not isinstance(obj, Mapping) and cls.__module__ not in _UNCACHED_MODULES:
        _handlers[cls] = shape
    return shape


def extract_usage(obj: Any) -> Usage | None:
    """Return the normalised usage a model response reports.

    Reads, as SDK objects or as the JSON dicts their APIs return: OpenAI Chat Completions (and the last
    chunk of a stream sent with ``include_usage``), Responses (and its ``response.completed`` event),
    Embeddings and Images; Anthropic ``Message`` and its ``message_start`` / ``message_delta`` events; Google
    Gen AI ``GenerateContentResponse``; pydantic-ai run results, ``RunUsage``, ``RequestUsage`` and
    ``ModelResponse``; and the bare usage objects of each of these.

    Counts follow the :class:`Usage` convention whatever the provider reports: Anthropic's cache reads
    and writes are added to the prompt, Google's thoughts to the completion.

    Args:
        obj: A response, a stream event or chunk, a run result, or a usage object.

    Returns:
        The usage, or ``None`` when ``obj`` carries none (a stream chunk without usage, an unknown object).
        Never raises: counts that are malformed, or inconsistent (more cached tokens than prompt tokens),
        give ``None`` and a warning on the ``llmledger.usage`` logger.
    """
    shape = None
    try:
        shape = _shape(obj)
        if shape is None:
            return None
        return shape.usage(obj)
    except Exception as exc:
        read_as = f" as {shape.name}" if shape is not None else ""
        logger.warning("Could not read usage from %s%s: %s", type(obj).__qualname__, read_as, exc)
        return None


def extract_model(obj: Any) -> str | None:
    """Return the model a response reports.

    That is ``model`` (OpenAI, Anthropic), ``model_version`` (Google) or ``model_name`` (pydantic-ai; the
    last response's, for a run result).

    Args:
        obj: A response, a stream event or chunk, or a run result.

    Returns:
        The model name, or ``None`` when the response reports none. Never raises.
    """
    try:
        shape = _shape(obj)
        if shape is None:
            return None
        return shape.model(obj)
    except Exception:
        return None


_ID_KEYS = ("id", "response_id", "responseId", "provider_response_id")


def extract_request_id(obj: Any) -> str | None:
    """Return the provider's id of a response, from an SDK object or its JSON dict.

    That is ``id`` (OpenAI, Anthropic), ``response_id`` (Google) or ``provider_response_id`` (a
    pydantic-ai ``ModelResponse``).

    Args:
        obj: A response or stream chunk.

    Returns:
        The id, or ``None`` when it has none. Never raises.
    """
    for key in _ID_KEYS:
        try:
            value = get(obj, key)
        except Exception:
            return None
        if isinstance(value, str) and value:
            return value
    return None


def extract_provider(obj: Any) -> str | None:
    """Return the provider whose response shape ``obj`` has.

    For pydantic-ai results, the provider is read from the response's ``provider_name``, ``model_id`` or
    model name.

    Args:
        obj: A response, a stream event or chunk, or a run result.

    Returns:
        ``"openai"``, ``"anthropic"``, ``"google"``, or ``None`` when the shape is not one of theirs, or is
        shared by several. Never raises.
    """
    try:
        shape = _shape(obj)
        if shape is None:
            return None
        return shape.provider(obj)
    except Exception:
        return None
