from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from openai.types import Completion, CreateEmbeddingResponse, ImagesResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.completion_usage import CompletionUsage
from openai.types.responses import Response, ResponseCompletedEvent, ResponseCreatedEvent
from openai.types.responses.response_usage import ResponseUsage
from pydantic import BaseModel

from llmledger.usage import ImageUsage, Usage, extract_model, extract_provider, extract_usage

RESPONSES = Path(__file__).parents[1] / "fixtures" / "responses" / "openai"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RESPONSES / f"{name}.json").read_text())
    return data


CASES: list[tuple[str, type[BaseModel], Usage | None, str | None]] = [
    (
        "chat_completion",
        ChatCompletion,
        Usage(prompt_tokens=19, completion_tokens=10),
        "gpt-4o-2024-08-06",
    ),
    (
        "chat_completion_cached",
        ChatCompletion,
        Usage(prompt_tokens=2006, completion_tokens=300, cached_tokens=1920),
        "gpt-4.1-mini-2025-04-14",
    ),
    (
        "chat_completion_reasoning",
        ChatCompletion,
        Usage(prompt_tokens=13, completion_tokens=540, reasoning_tokens=512),
        "o3-mini-2025-01-31",
    ),
    (
        "chat_completion_no_details",
        ChatCompletion,
        Usage(prompt_tokens=24, completion_tokens=7),
        "gpt-3.5-turbo-0613",
    ),
    (
        "chat_completion_chunk_usage",
        ChatCompletionChunk,
        Usage(prompt_tokens=1311, completion_tokens=92, cached_tokens=1152),
        "gpt-4o-mini-2024-07-18",
    ),
    ("chat_completion_chunk_no_usage", ChatCompletionChunk, None, "gpt-4o-mini-2024-07-18"),
    (
        "response",
        Response,
        Usage(prompt_tokens=3086, completion_tokens=41, cached_tokens=2944),
        "gpt-4.1-2025-04-14",
    ),
    (
        "response_reasoning",
        Response,
        Usage(prompt_tokens=21, completion_tokens=386, reasoning_tokens=320),
        "o4-mini-2025-04-16",
    ),
    (
        "response_completed_event",
        ResponseCompletedEvent,
        Usage(prompt_tokens=3086, completion_tokens=41, cached_tokens=2944),
        "gpt-4.1-2025-04-14",
    ),
    ("response_created_event", ResponseCreatedEvent, None, "gpt-4.1-2025-04-14"),
    ("embedding", CreateEmbeddingResponse, Usage(prompt_tokens=17), "text-embedding-3-small"),
    (
        "image_dall_e_3",
        ImagesResponse,
        Usage(images=(ImageUsage(count=1, quality="standard", size="1024x1024"),)),
        None,
    ),
    (
        "image_gpt_image_1",
        ImagesResponse,
        Usage(prompt_tokens=50, images=(ImageUsage(count=2, quality="high", size="1024x1536"),)),
        None,
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("name", "sdk_class", "expected", "model"), CASES, ids=IDS)
def test_sdk_object(name: str, sdk_class: type[BaseModel], expected: Usage | None, model: str | None) -> None:
    response = sdk_class.model_validate(load(name))
    assert extract_usage(response) == expected
    assert extract_model(response) == model
    assert extract_provider(response) == "openai"


@pytest.mark.parametrize(("name", "sdk_class", "expected", "model"), CASES, ids=IDS)
def test_json_dict(name: str, sdk_class: type[BaseModel], expected: Usage | None, model: str | None) -> None:
    body = load(name)
    assert extract_usage(body) == expected
    assert extract_model(body) == model
    assert extract_provider(body) == "openai"


@pytest.mark.parametrize(("name", "sdk_class", "expected", "model"), CASES, ids=IDS)
def test_model_dump(name: str, sdk_class: type[BaseModel], expected: Usage | None, model: str | None) -> None:
    # model_dump() writes every optional field, unset ones as None
    dumped = sdk_class.model_validate(load(name)).model_dump()
    assert extract_usage(dumped) == expected


def test_chat_details_explicitly_null() -> None:
    body = load("chat_completion")
    body["usage"]["prompt_tokens_details"] = None
    body["usage"]["completion_tokens_details"] = None
    expected = Usage(prompt_tokens=19, completion_tokens=10)
    assert extract_usage(body) == expected
    assert extract_usage(ChatCompletion.model_validate(body)) == expected


def test_chat_cache_write_tokens() -> None:
    usage = CompletionUsage.model_validate(
        {
            "prompt_tokens": 5000,
            "completion_tokens": 20,
            "total_tokens": 5020,
            "prompt_tokens_details": {"cached_tokens": 1024, "cache_write_tokens": 3900},
        }
    )
    expected = Usage(prompt_tokens=5000, completion_tokens=20, cached_tokens=1024, cache_write_tokens=3900)
    assert extract_usage(usage) == expected
    assert extract_provider(usage) == "openai"


def test_responses_cache_write_tokens() -> None:
    usage = ResponseUsage.model_validate(
        {
            "input_tokens": 4200,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 4096},
            "output_tokens": 12,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 4212,
        }
    )
    assert extract_usage(usage) == Usage(prompt_tokens=4200, completion_tokens=12, cache_write_tokens=4096)
    assert extract_provider(usage) == "openai"


def test_stream_last_chunk_only() -> None:
    chunks = [
        ChatCompletionChunk.model_validate(load("chat_completion_chunk_no_usage")),
        ChatCompletionChunk.model_validate(load("chat_completion_chunk_usage")),
    ]
    usages = [usage for chunk in chunks if (usage := extract_usage(chunk)) is not None]
    assert usages == [Usage(prompt_tokens=1311, completion_tokens=92, cached_tokens=1152)]


def test_legacy_completion() -> None:
    completion = Completion.model_validate(
        {
            "id": "cmpl-8ZRHtEXUDAXH4C5t8lXm2JvcqSrQw",
            "object": "text_completion",
            "created": 1703348661,
            "model": "gpt-3.5-turbo-instruct",
            "choices": [{"text": "\n\nThis is a test.", "index": 0, "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
        }
    )
    assert extract_usage(completion) == Usage(prompt_tokens=5, completion_tokens=7)
    assert extract_model(completion) == "gpt-3.5-turbo-instruct"


def test_image_without_data_or_usage() -> None:
    assert extract_usage(ImagesResponse.model_validate({"created": 1713833628})) is None


def test_image_size_without_quality() -> None:
    body = load("image_dall_e_3")
    body["size"] = "1792x1024"
    expected = Usage(images=(ImageUsage(count=1, quality="standard", size="1792x1024"),))
    assert extract_usage(ImagesResponse.model_validate(body)) == expected


def test_image_output_tokens_not_counted() -> None:
    usage = extract_usage(ImagesResponse.model_validate(load("image_gpt_image_1")))
    assert usage is not None
    assert usage.completion_tokens == 0
    assert usage.image_count == 2


def test_cached_more_than_prompt_gives_none(caplog: pytest.LogCaptureFixture) -> None:
    body = load("chat_completion_cached")
    body["usage"]["prompt_tokens_details"]["cached_tokens"] = 5000
    with caplog.at_level(logging.WARNING, logger="llmledger.usage"):
        assert extract_usage(ChatCompletion.model_validate(body)) is None
    assert "ChatCompletion" in caplog.text
    assert "exceed prompt_tokens" in caplog.text
