"""Offline test helpers: a local OpenAI-compatible server for tests, examples and demos."""

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
    "LocalOpenAIServer",
    "RecordedRequest",
    "Responder",
    "count_prompt_tokens",
    "count_text_tokens",
    "default_responder",
    "minimal_json",
]
