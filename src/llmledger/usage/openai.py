"""Usage of OpenAI responses: Chat Completions, Responses, Embeddings and Images.

Shapes read, as SDK objects or as the JSON dicts the API returns:

- Chat Completions (``ChatCompletion``, legacy ``Completion``, and the last ``ChatCompletionChunk`` of a
  stream sent with ``stream_options={"include_usage": True}``): ``usage.prompt_tokens`` and
  ``usage.completion_tokens``, which already include cache reads and reasoning; cache reads in
  ``usage.prompt_tokens_details.cached_tokens``, cache writes in
  ``usage.prompt_tokens_details.cache_write_tokens``, reasoning in
  ``usage.completion_tokens_details.reasoning_tokens``. The details may be ``None``.
- Responses (``Response``, and stream events such as ``response.completed`` whose ``response`` carries the
  final usage): ``usage.input_tokens``, ``usage.output_tokens``, ``input_tokens_details.cached_tokens``,
  ``input_tokens_details.cache_write_tokens``, ``output_tokens_details.reasoning_tokens``.
- Embeddings (``CreateEmbeddingResponse``): ``usage.prompt_tokens`` and no completion.
- Images (``ImagesResponse``): one :class:`~llmledger.usage.ImageUsage` for the ``len(data)`` images, at the
  ``quality`` and ``size`` the response reports (newer API versions return them), else at the
  ``ImageUsage`` defaults ``standard`` and ``1024x1024``. When the response also carries token ``usage``
  (GPT Image models), ``prompt_tokens`` is its ``input_tokens`` and ``completion_tokens`` stays 0: the
  output image tokens are what the per-image price covers, so counting them again would bill them twice.

Hosted-tool usage (``Response.tool_usage``) and the service tier are not read.
"""

from __future__ import annotations

from typing import Any

from ._access import count, get
from ._types import ImageUsage, Usage

__all__ = [
    "chat_usage",
    "image_usage",
    "input_output_usage",
    "model",
    "prompt_completion_usage",
    "responses_event_usage",
    "responses_usage",
]

_DEFAULT_QUALITY = "standard"
_DEFAULT_SIZE = "1024x1024"


def _token_usage(usage: Any, prompt_key: str, completion_key: str) -> Usage | None:
    """Read the counts both OpenAI APIs report, under their own key names (``prompt``/``input``)."""
    prompt = count(usage, prompt_key)
    completion = count(usage, completion_key)
    prompt_details = get(usage, f"{prompt_key}_details")
    reasoning = count(get(usage, f"{completion_key}_details"), "reasoning_tokens")
    if prompt is None and completion is None:
        return None
    return Usage(
        prompt_tokens=prompt or 0,
        completion_tokens=completion or 0,
        cached_tokens=count(prompt_details, "cached_tokens") or 0,
        cache_write_tokens=count(prompt_details, "cache_write_tokens") or 0,
        reasoning_tokens=reasoning or 0,
    )


def prompt_completion_usage(usage: Any) -> Usage | None:
    """Read a Chat Completions ``usage`` (``CompletionUsage``) or an Embeddings ``usage``.

    Args:
        usage: The ``usage`` object or dict.

    Returns:
        The usage, or ``None`` when no count is present.
    """
    return _token_usage(usage, "prompt_tokens", "completion_tokens")


def input_output_usage(usage: Any) -> Usage | None:
    """Read a Responses API ``usage`` (``ResponseUsage``).

    Args:
        usage: The ``usage`` object or dict.

    Returns:
        The usage, or ``None`` when no count is present.
    """
    return _token_usage(usage, "input_tokens", "output_tokens")


def chat_usage(response: Any) -> Usage | None:
    """Usage of a ``ChatCompletion``, ``ChatCompletionChunk``, ``Completion`` or ``CreateEmbeddingResponse``.

    Args:
        response: The SDK object or its JSON dict.

    Returns:
        The usage, or ``None`` when the response has none (every chunk of a stream but the last).
    """
    return prompt_completion_usage(get(response, "usage"))


def responses_usage(response: Any) -> Usage | None:
    """Usage of a Responses API ``Response``.

    Args:
        response: The SDK object or its JSON dict.

    Returns:
        The usage, or ``None`` when the response has none (one still in progress).
    """
    return input_output_usage(get(response, "usage"))


def responses_event_usage(event: Any) -> Usage | None:
    """Usage of a Responses stream event that carries a ``response`` (``response.completed`` and others).

    Args:
        event: The event object or its JSON dict.

    Returns:
        The usage of the event's response; ``None`` for events sent before the response is done.
    """
    return responses_usage(get(event, "response"))


def image_usage(response: Any) -> Usage | None:
    """Usage of an ``ImagesResponse`` (image generation and edits).

    Args:
        response: The SDK object or its JSON dict.

    Returns:
        The usage, or ``None`` when the response has neither images nor token usage.
    """
    data = get(response, "data")
    n_images = len(data) if data is not None else 0
    prompt = count(get(response, "usage"), "input_tokens")
    if n_images == 0 and prompt is None:
        return None
    images: tuple[ImageUsage, ...] = ()
    if n_images:
        quality = get(response, "quality")
        size = get(response, "size")
        images = (
            ImageUsage(
                count=n_images,
                quality=quality if isinstance(quality, str) else _DEFAULT_QUALITY,
                size=size if isinstance(size, str) else _DEFAULT_SIZE,
            ),
        )
    return Usage(prompt_tokens=prompt or 0, images=images)


def model(response: Any) -> str | None:
    """The model a response reports (``model``), or ``None``; for stream events, the inner response's."""
    value = get(response, "model")
    if value is None:
        value = get(get(response, "response"), "model")
    return value if isinstance(value, str) else None
