"""Usage of Google Gen AI (Gemini API and Vertex AI) ``GenerateContentResponse``.

Read from ``usage_metadata`` on SDK objects, or ``usageMetadata`` with camelCase keys on the JSON the REST
API returns (snake_case dicts from ``model_dump()`` work too):

- ``prompt_tokens`` is ``prompt_token_count``, which already includes ``cached_content_token_count``, plus
  ``tool_use_prompt_token_count`` (tool results fed back to the model, which Google counts apart).
- ``cached_tokens`` is ``cached_content_token_count``.
- ``completion_tokens`` is ``candidates_token_count`` plus ``thoughts_token_count``: Google reports thoughts
  apart from the candidates, and bills them as output.
- ``reasoning_tokens`` is ``thoughts_token_count``.

In a stream every chunk carries the usage so far: take the last chunk's, never a sum. The model is
``model_version``.
"""

from __future__ import annotations

from typing import Any

from ._access import count, get
from ._types import Usage

__all__ = ["metadata_usage", "model", "response_usage"]


def metadata_usage(metadata: Any) -> Usage | None:
    """Normalise a ``GenerateContentResponseUsageMetadata`` (snake_case or camelCase).

    Args:
        metadata: The usage metadata object or dict.

    Returns:
        The usage, or ``None`` when no count is present.
    """
    prompt = count(metadata, "prompt_token_count", "promptTokenCount")
    tool_use = count(metadata, "tool_use_prompt_token_count", "toolUsePromptTokenCount")
    cached = count(metadata, "cached_content_token_count", "cachedContentTokenCount")
    candidates = count(metadata, "candidates_token_count", "candidatesTokenCount")
    thoughts = count(metadata, "thoughts_token_count", "thoughtsTokenCount")
    if prompt is None and tool_use is None and candidates is None and thoughts is None:
        return None
    thoughts = thoughts or 0
    return Usage(
        prompt_tokens=(prompt or 0) + (tool_use or 0),
        completion_tokens=(candidates or 0) + thoughts,
        cached_tokens=cached or 0,
        reasoning_tokens=thoughts,
    )


def response_usage(response: Any) -> Usage | None:
    """Usage of a ``GenerateContentResponse``.

    Args:
        response: The SDK object, or its JSON dict in camelCase (REST) or snake_case.

    Returns:
        The usage, or ``None`` when the response has no usage metadata.
    """
    return metadata_usage(get(response, "usage_metadata", "usageMetadata"))


def model(response: Any) -> str | None:
    """The model a ``GenerateContentResponse`` reports (``model_version``), or ``None``."""
    value = get(response, "model_version", "modelVersion")
    return value if isinstance(value, str) else None
