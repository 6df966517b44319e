"""Usage of Anthropic Messages: ``Message`` and the ``message_start`` / ``message_delta`` stream events.

Anthropic's ``input_tokens`` excludes the cache: cache reads come as ``cache_read_input_tokens`` and cache
writes as ``cache_creation_input_tokens``, both on top of ``input_tokens``. They are added back so that
``prompt_tokens`` is all input, as :class:`~llmledger.usage.Usage` counts it. ``output_tokens`` already
includes thinking, reported as ``output_tokens_details.thinking_tokens``.

In a stream, ``message_start`` carries the usage known at the start in ``message.usage``, and each
``message_delta`` carries the cumulative usage so far: take the last ``message_delta`` (or the final
accumulated ``Message``), never a sum of events. (Older API versions sent only ``output_tokens`` on
``message_delta``; its usage then lacks the input, which ``message_start`` has.)

The cache-write TTL split (``cache_creation.ephemeral_1h_input_tokens``), server tool requests and the
service tier are not read.
"""

from __future__ import annotations

from typing import Any

from ._access import count, get
from ._types import Usage

__all__ = ["event_usage", "message_usage", "model", "usage_from_anthropic_usage"]


def usage_from_anthropic_usage(usage: Any) -> Usage | None:
    """Normalise an Anthropic ``Usage`` or ``MessageDeltaUsage``.

    Args:
        usage: The ``usage`` object or dict.

    Returns:
        The usage, with cache reads and writes added to ``prompt_tokens``; ``None`` when no count is present.
    """
    input_tokens = count(usage, "input_tokens")
    output_tokens = count(usage, "output_tokens")
    cache_read = count(usage, "cache_read_input_tokens")
    cache_write = count(usage, "cache_creation_input_tokens")
    thinking = count(get(usage, "output_tokens_details"), "thinking_tokens")
    if input_tokens is None and output_tokens is None and cache_read is None and cache_write is None:
        return None
    cache_read = cache_read or 0
    cache_write = cache_write or 0
    return Usage(
        prompt_tokens=(input_tokens or 0) + cache_read + cache_write,
        completion_tokens=output_tokens or 0,
        cached_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=thinking or 0,
    )


def message_usage(message: Any) -> Usage | None:
    """Usage of an Anthropic ``Message``.

    Args:
        message: The SDK object or its JSON dict.

    Returns:
        The normalised usage, or ``None`` when it has none.
    """
    return usage_from_anthropic_usage(get(message, "usage"))


def event_usage(event: Any) -> Usage | None:
    """Usage of a ``message_start`` or ``message_delta`` stream event.

    Args:
        event: The event object or its JSON dict.

    Returns:
        The normalised usage (cumulative, for ``message_delta``), or ``None`` when it has none.
    """
    if get(event, "type") == "message_start":
        return message_usage(get(event, "message"))
    return usage_from_anthropic_usage(get(event, "usage"))


def model(message: Any) -> str | None:
    """The model a ``Message`` or ``message_start`` event reports, or ``None``."""
    value = get(message, "model")
    if value is None:
        value = get(get(message, "message"), "model")
    return value if isinstance(value, str) else None
