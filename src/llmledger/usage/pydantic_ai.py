"""Usage of pydantic-ai: run results, ``RunUsage``, ``RequestUsage`` and ``ModelResponse``.

pydantic-ai already normalises usage the way :class:`~llmledger.usage.Usage` counts it: ``input_tokens``
includes ``cache_read_tokens`` and ``cache_write_tokens`` (its extraction adds Anthropic's cache counts
back), and ``output_tokens`` includes ``output_reasoning_tokens``. Reasoning is read from
``output_reasoning_tokens``, else from the ``details`` keys ``reasoning_tokens`` or ``thoughts_tokens``.

A run result's ``usage`` is a property in pydantic-ai 2 and a method in pydantic-ai 1; both are read.
(pydantic-ai 2's ``RunUsage`` is itself callable, with a deprecation warning, so it is never called.)
``requests`` is ``RunUsage.requests``; a ``RequestUsage`` or ``ModelResponse`` is one request. pydantic-ai
defaults every count to 0, so usage whose token counts are all 0 (a response that reported none) is ``None``.

The provider comes from the response's ``provider_name`` (``openai``, ``anthropic``, and ``google``,
``google-gla``, ``google-cloud`` or ``google-vertex`` for Google), else from a ``model_id`` such as
``openai:gpt-5``, else from the model name; any other provider gives ``None``.
"""

from __future__ import annotations

from typing import Any

from ._access import count, get, has
from ._types import Usage

__all__ = [
    "model",
    "model_response_usage",
    "provider",
    "run_result_usage",
    "run_usage",
    "usage_from_pydantic_ai_usage",
]

_PROVIDERS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "google-gla": "google",
    "google-cloud": "google",
    "google-vertex": "google",
}
_MODEL_PREFIXES = (
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("text-embedding-", "openai"),
    ("dall-e", "openai"),
    ("claude-", "anthropic"),
    ("gemini-", "google"),
)


def usage_from_pydantic_ai_usage(usage: Any, *, default_requests: int = 1) -> Usage | None:
    """Read a ``RequestUsage`` or ``RunUsage`` (or the dict pydantic serialises them to).

    Args:
        usage: The usage object or dict.
        default_requests: The request count when ``usage`` has none (a ``RequestUsage`` dict).

    Returns:
        The usage; ``None`` when every token count is absent or 0, which is how pydantic-ai records a
        response without usage (its counts default to 0).
    """
    prompt = count(usage, "input_tokens", "request_tokens")
    completion = count(usage, "output_tokens", "response_tokens")
    cache_read = count(usage, "cache_read_tokens")
    cache_write = count(usage, "cache_write_tokens")
    reasoning = count(usage, "output_reasoning_tokens")
    if not reasoning:
        details = get(usage, "details")
        reasoning = count(details, "reasoning_tokens", "thoughts_tokens")
    requests = count(usage, "requests")
    if requests is None:
        requests = default_requests
    if not (prompt or completion or cache_read or cache_write):
        # pydantic-ai defaults every count to 0: all zeros means the provider reported no usage
        return None
    return Usage(
        prompt_tokens=prompt or 0,
        completion_tokens=completion or 0,
        cached_tokens=cache_read or 0,
        cache_write_tokens=cache_write or 0,
        reasoning_tokens=reasoning or 0,
        requests=requests,
    )


def run_usage(result: Any) -> Any:
    """Return a run result's ``RunUsage``, whether ``usage`` is a property (v2) or a method (v1).

    Args:
        result: An ``AgentRunResult``, ``StreamedRunResult``, ``AgentRun`` or the like.

    Returns:
        The ``RunUsage``, or ``None``.
    """
    usage = get(result, "usage")
    if usage is not None and not has(usage, "input_tokens") and callable(usage):
        usage = usage()
    return usage


def run_result_usage(result: Any) -> Usage | None:
    """Usage of an agent run result: every request of the run.

    Args:
        result: An ``AgentRunResult`` or another object with a ``usage`` property or method.

    Returns:
        The usage, or ``None`` when the run has none.
    """
    return usage_from_pydantic_ai_usage(run_usage(result))


def model_response_usage(response: Any) -> Usage | None:
    """Usage of one ``ModelResponse`` (one request).

    Args:
        response: The ``ModelResponse`` or its dict.

    Returns:
        The usage, or ``None`` when the response has none.
    """
    return usage_from_pydantic_ai_usage(get(response, "usage"))


def _last_response(obj: Any) -> Any:
    if get(obj, "kind") == "response":
        return obj
    # a run result: its last ModelResponse (the property raises when the run has none)
    return get(obj, "response")


def model(obj: Any) -> str | None:
    """The ``model_name`` of a ``ModelResponse``, or of a run result's last response; else ``None``."""
    value = get(_last_response(obj), "model_name")
    return value if isinstance(value, str) else None


def provider(obj: Any) -> str | None:
    """The provider of a ``ModelResponse`` or run result: ``openai``, ``anthropic``, ``google``, or ``None``.

    Unknown providers (``groq``, ``bedrock``, ``test``...) give ``None``.
    """
    response = _last_response(obj)
    name = get(response, "provider_name")
    if isinstance(name, str):
        return _PROVIDERS.get(name)
    model_id = get(response, "model_id")
    if isinstance(model_id, str) and ":" in model_id:
        return _PROVIDERS.get(model_id.split(":", 1)[0])
    model_name = get(response, "model_name")
    if isinstance(model_name, str):
        for prefix, provider_name in _MODEL_PREFIXES:
            if model_name.startswith(prefix):
                return provider_name
    return None
