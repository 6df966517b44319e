"""Model references: ``"provider:model"`` strings and provider aliases."""

from __future__ import annotations

__all__ = ["canonical_provider", "split_model_ref"]

# pydantic-ai's provider prefixes (and a few common spellings) -> the provider that sets the price
_PROVIDER_ALIASES: dict[str, str] = {
    "google-gla": "google",
    "google-vertex": "google",
    "gemini": "google",
    "vertexai": "google",
    "google-genai": "google",
    "openai-chat": "openai",
    "openai-responses": "openai",
    "azure": "azure",
    "grok": "x-ai",
    "xai": "x-ai",
    "bedrock": "aws",
    "claude": "anthropic",
}


def canonical_provider(provider: str) -> str:
    """The provider name prices are kept under: ``google-gla`` and ``google-vertex`` are ``google``."""
    name = provider.strip().lower()
    return _PROVIDER_ALIASES.get(name, name)


def split_model_ref(model: str, provider: str | None = None) -> tuple[str | None, str]:
    """Split ``"openai:gpt-4o"`` into ``("openai", "gpt-4o")``.

    Args:
        model: a model name, or ``"provider:model"`` as pydantic-ai writes it.
        provider: the provider, when given separately; the model is then taken verbatim.

    Returns:
        The canonical provider (``None`` when not known) and the model name.
    """
    if provider is not None:
        return canonical_provider(provider), model
    prefix, sep, rest = model.partition(":")
    # fine-tuned OpenAI models look like "ft:gpt-4o-mini:org::id": the prefix is not a provider
    if sep and prefix and rest and prefix != "ft":
        return canonical_provider(prefix), rest
    return None, model
