"""Offline test helpers: local OpenAI, Anthropic and Google servers for tests, examples and demos."""

from llmledger.testing.anthropic_server import LocalAnthropicServer
from llmledger.testing.google_server import LocalGoogleServer
from llmledger.testing.openai_server import (
    LocalOpenAIServer,
    RecordedRequest,
    Responder,
    count_prompt_tokens,
    count_text_tokens,
    default_responder,
    minimal_json,
)

__all__ = [
    "LocalAnthropicServer",
    "LocalGoogleServer",
    "LocalOpenAIServer",
    "RecordedRequest",
    "Responder",
    "count_prompt_tokens",
    "count_text_tokens",
    "default_responder",
    "minimal_json",
]
