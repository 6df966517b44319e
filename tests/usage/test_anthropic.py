from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from anthropic.types import Message, RawMessageDeltaEvent, RawMessageStartEvent
from anthropic.types import Usage as AnthropicUsage
from anthropic.types.beta import BetaMessage
from pydantic import BaseModel

from llmledger.usage import Usage, extract_model, extract_provider, extract_usage

RESPONSES = Path(__file__).parents[1] / "fixtures" / "responses" / "anthropic"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RESPONSES / f"{name}.json").read_text())
    return data


CASES: list[tuple[str, type[BaseModel], Usage, str | None]] = [
    ("message", Message, Usage(prompt_tokens=12, completion_tokens=12), "claude-sonnet-4-5-20250929"),
    (
        "message_cache_read",
        Message,
        Usage(prompt_tokens=21 + 188086, completion_tokens=393, cached_tokens=188086),
        "claude-sonnet-4-5-20250929",
    ),
    (
        "message_cache_write",
        Message,
        Usage(prompt_tokens=14 + 4096, completion_tokens=57, cache_write_tokens=4096),
        "claude-haiku-4-5-20251001",
    ),
    (
        "message_thinking",
        Message,
        Usage(
            prompt_tokens=46 + 3000 + 1200,
            completion_tokens=212,
            cached_tokens=3000,
            cache_write_tokens=1200,
            reasoning_tokens=180,
        ),
        "claude-opus-4-1-20250805",
    ),
    (
        "message_no_cache_fields",
        Message,
        Usage(prompt_tokens=10, completion_tokens=25),
        "claude-3-haiku-20240307",
    ),
    (
        "message_start_event",
        RawMessageStartEvent,
        Usage(prompt_tokens=472 + 2048, completion_tokens=2, cached_tokens=2048),
        "claude-sonnet-4-5-20250929",
    ),
    (
        "message_delta_event",
        RawMessageDeltaEvent,
        Usage(prompt_tokens=472 + 2048, completion_tokens=89, cached_tokens=2048),
        None,
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("name", "sdk_class", "expected", "model"), CASES, ids=IDS)
def test_sdk_object(name: str, sdk_class: type[BaseModel], expected: Usage, model: str | None) -> None:
    message = sdk_class.model_validate(load(name))
    assert extract_usage(message) == expected
    assert extract_model(message) == model
    assert extract_provider(message) == "anthropic"


@pytest.mark.parametrize(("name", "sdk_class", "expected", "model"), CASES, ids=IDS)
def test_json_dict(name: str, sdk_class: type[BaseModel], expected: Usage, model: str | None) -> None:
    body = load(name)
    assert extract_usage(body) == expected
    assert extract_model(body) == model
    assert extract_provider(body) == "anthropic"


@pytest.mark.parametrize(("name", "sdk_class", "expected", "model"), CASES, ids=IDS)
def test_model_dump(name: str, sdk_class: type[BaseModel], expected: Usage, model: str | None) -> None:
    assert extract_usage(sdk_class.model_validate(load(name)).model_dump()) == expected


def test_cache_reads_added_to_prompt() -> None:
    # input_tokens (21) alone is far below the cache read (188086): read as-is, Usage would reject it
    usage = extract_usage(Message.model_validate(load("message_cache_read")))
    assert usage is not None
    assert usage.prompt_tokens == 188107
    assert usage.cached_tokens == 188086
    assert usage.prompt_tokens - usage.cached_tokens - usage.cache_write_tokens == 21


def test_cache_fields_null() -> None:
    body = load("message")
    body["usage"].update(cache_creation_input_tokens=None, cache_read_input_tokens=None, cache_creation=None)
    expected = Usage(prompt_tokens=12, completion_tokens=12)
    assert extract_usage(body) == expected
    assert extract_usage(Message.model_validate(body)) == expected


def test_delta_with_output_tokens_only() -> None:
    # older API versions sent only the output count on message_delta
    event = RawMessageDeltaEvent.model_validate(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 15},
        }
    )
    assert extract_usage(event) == Usage(completion_tokens=15)


def test_beta_message() -> None:
    message = BetaMessage.model_validate(load("message_cache_read"))
    assert extract_usage(message) == Usage(prompt_tokens=188107, completion_tokens=393, cached_tokens=188086)
    assert extract_provider(message) == "anthropic"


def test_bare_usage() -> None:
    usage = AnthropicUsage(input_tokens=3, output_tokens=9, cache_read_input_tokens=100, cache_creation_input_tokens=50)
    assert extract_usage(usage) == Usage(
        prompt_tokens=153, completion_tokens=9, cached_tokens=100, cache_write_tokens=50
    )
    assert extract_provider(usage) == "anthropic"
    assert extract_model(usage) is None
