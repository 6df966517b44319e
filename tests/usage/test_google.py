from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.genai.types import GenerateContentResponse, GenerateContentResponseUsageMetadata

from llmledger.usage import Usage, extract_model, extract_provider, extract_usage

RESPONSES = Path(__file__).parents[1] / "fixtures" / "responses" / "google"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RESPONSES / f"{name}.json").read_text())
    return data


CASES: list[tuple[str, Usage, str]] = [
    ("gemini_flash", Usage(prompt_tokens=8, completion_tokens=21), "gemini-2.0-flash"),
    (
        "gemini_thinking",
        Usage(prompt_tokens=12, completion_tokens=15 + 994, reasoning_tokens=994),
        "gemini-2.5-flash",
    ),
    (
        "gemini_cached",
        Usage(prompt_tokens=323446, completion_tokens=18 + 745, cached_tokens=323383, reasoning_tokens=745),
        "gemini-2.5-pro",
    ),
    (
        "gemini_tool_use",
        Usage(prompt_tokens=10 + 140, completion_tokens=19 + 136, reasoning_tokens=136),
        "gemini-2.5-flash",
    ),
    ("gemini_blocked", Usage(prompt_tokens=7), "gemini-2.0-flash"),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("name", "expected", "model"), CASES, ids=IDS)
def test_sdk_object(name: str, expected: Usage, model: str) -> None:
    response = GenerateContentResponse.model_validate(load(name))
    assert extract_usage(response) == expected
    assert extract_model(response) == model
    assert extract_provider(response) == "google"


@pytest.mark.parametrize(("name", "expected", "model"), CASES, ids=IDS)
def test_rest_json_camel_case(name: str, expected: Usage, model: str) -> None:
    body = load(name)
    assert "usageMetadata" in body
    assert extract_usage(body) == expected
    assert extract_model(body) == model
    assert extract_provider(body) == "google"


@pytest.mark.parametrize(("name", "expected", "model"), CASES, ids=IDS)
def test_snake_case_dump(name: str, expected: Usage, model: str) -> None:
    dumped = GenerateContentResponse.model_validate(load(name)).model_dump()
    assert "usage_metadata" in dumped
    assert extract_usage(dumped) == expected
    assert extract_model(dumped) == model


def test_thoughts_count_as_completion() -> None:
    usage = extract_usage(GenerateContentResponse.model_validate(load("gemini_thinking")))
    assert usage is not None
    # Google's candidates_token_count (15) excludes the thoughts (994); Usage includes them
    assert usage.completion_tokens == 1009
    assert usage.reasoning_tokens == 994
    assert usage.total_tokens == 1021  # totalTokenCount


def test_cached_tokens_already_in_prompt() -> None:
    usage = extract_usage(load("gemini_cached"))
    assert usage is not None
    assert usage.prompt_tokens == 323446  # promptTokenCount, not promptTokenCount + cachedContentTokenCount


def test_no_usage_metadata() -> None:
    response = GenerateContentResponse.model_validate({"modelVersion": "gemini-2.0-flash", "candidates": []})
    assert extract_usage(response) is None
    assert extract_model(response) == "gemini-2.0-flash"
    assert extract_provider(response) == "google"


def test_empty_usage_metadata() -> None:
    response = GenerateContentResponse(usage_metadata=GenerateContentResponseUsageMetadata())
    assert extract_usage(response) is None


def test_bare_usage_metadata() -> None:
    metadata = GenerateContentResponseUsageMetadata(
        prompt_token_count=100, candidates_token_count=5, thoughts_token_count=20
    )
    assert extract_usage(metadata) == Usage(prompt_tokens=100, completion_tokens=25, reasoning_tokens=20)
    assert extract_usage(load("gemini_thinking")["usageMetadata"]) == Usage(
        prompt_tokens=12, completion_tokens=1009, reasoning_tokens=994
    )
    assert extract_provider(metadata) == "google"
