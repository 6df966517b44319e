from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pydantic import TypeAdapter
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel
from pydantic_ai.usage import RequestUsage, RunUsage

from llmledger.usage import Usage, extract_model, extract_provider, extract_usage

CACHED_REQUEST = RequestUsage(
    input_tokens=1200,
    cache_read_tokens=1000,
    cache_write_tokens=100,
    output_tokens=50,
    output_reasoning_tokens=20,
)
CACHED_USAGE = Usage(
    prompt_tokens=1200, completion_tokens=50, cached_tokens=1000, cache_write_tokens=100, reasoning_tokens=20
)


def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return ModelResponse(
        parts=[TextPart("Paris.")],
        usage=RequestUsage(
            input_tokens=1200,
            cache_read_tokens=1000,
            cache_write_tokens=100,
            output_tokens=50,
            details={"reasoning_tokens": 20},
        ),
        provider_name="anthropic",
    )


def test_request_usage() -> None:
    assert extract_usage(CACHED_REQUEST) == CACHED_USAGE
    assert extract_model(CACHED_REQUEST) is None
    assert extract_provider(CACHED_REQUEST) is None


def test_request_usage_dict() -> None:
    dumped = TypeAdapter(RequestUsage).dump_python(CACHED_REQUEST, mode="json")
    assert extract_usage(dumped) == CACHED_USAGE


def test_run_usage_requests() -> None:
    run = RunUsage(requests=3, input_tokens=900, cache_read_tokens=600, output_tokens=120, tool_calls=2)
    expected = Usage(prompt_tokens=900, completion_tokens=120, cached_tokens=600, requests=3)
    assert extract_usage(run) == expected
    assert extract_usage(TypeAdapter(RunUsage).dump_python(run, mode="json")) == expected


def test_reasoning_from_details() -> None:
    assert extract_usage(RequestUsage(input_tokens=10, output_tokens=300, details={"reasoning_tokens": 256})) == Usage(
        prompt_tokens=10, completion_tokens=300, reasoning_tokens=256
    )
    assert extract_usage(RequestUsage(input_tokens=10, output_tokens=300, details={"thoughts_tokens": 200})) == Usage(
        prompt_tokens=10, completion_tokens=300, reasoning_tokens=200
    )


def test_empty_usage_is_none() -> None:
    # pydantic-ai defaults every count to 0: that is "no usage reported", not a free call
    assert extract_usage(RunUsage()) is None
    assert extract_usage(RequestUsage()) is None
    assert extract_usage(ModelResponse(parts=[TextPart("hi")])) is None


def test_model_response() -> None:
    response = ModelResponse(
        parts=[TextPart("hi")],
        usage=CACHED_REQUEST,
        model_name="claude-sonnet-4-5-20250929",
        provider_name="anthropic",
    )
    assert extract_usage(response) == CACHED_USAGE
    assert extract_model(response) == "claude-sonnet-4-5-20250929"
    assert extract_provider(response) == "anthropic"

    dumped = TypeAdapter(ModelResponse).dump_python(response, mode="json")
    assert extract_usage(dumped) == CACHED_USAGE
    assert extract_model(dumped) == "claude-sonnet-4-5-20250929"
    assert extract_provider(dumped) == "anthropic"


@pytest.mark.parametrize(
    ("provider_name", "model_id", "model_name", "expected"),
    [
        ("openai", None, "gpt-4o", "openai"),
        ("anthropic", None, "claude-haiku-4-5", "anthropic"),
        ("google-gla", None, "gemini-2.5-flash", "google"),
        ("google-vertex", None, "gemini-2.5-flash", "google"),
        ("google-cloud", None, "gemini-2.5-pro", "google"),
        ("groq", None, "llama-3.3-70b-versatile", None),
        ("azure", None, "gpt-4o", None),
        (None, "openai:gpt-5", "gpt-5-2025-08-07", "openai"),
        (None, None, "gemini-2.5-flash", "google"),
        (None, None, "claude-sonnet-4-5", "anthropic"),
        (None, None, "o4-mini", "openai"),
        (None, None, "llama3", None),
        (None, None, None, None),
    ],
)
def test_provider(
    provider_name: str | None, model_id: str | None, model_name: str | None, expected: str | None
) -> None:
    response = ModelResponse(
        parts=[TextPart("hi")], model_name=model_name, model_id=model_id, provider_name=provider_name
    )
    assert extract_provider(response) == expected


def test_agent_run_with_function_model() -> None:
    result = Agent(FunctionModel(answer)).run_sync("What is the capital of France?")
    # usage is a property in pydantic-ai 2 (and RunUsage.__call__ warns, which -W error turns into a failure)
    assert isinstance(result.usage, RunUsage)
    assert extract_usage(result) == CACHED_USAGE
    assert extract_model(result) == result.response.model_name
    assert extract_provider(result) == "anthropic"


def test_agent_run_with_test_model() -> None:
    result = Agent(TestModel()).run_sync("hello")
    usage = extract_usage(result)
    assert usage == Usage(prompt_tokens=result.usage.input_tokens, completion_tokens=result.usage.output_tokens)
    assert usage.prompt_tokens > 0
    assert extract_model(result) == "test"
    assert extract_provider(result) is None


def test_agent_run_two_requests() -> None:
    agent = Agent(TestModel())

    @agent.tool_plain
    def lookup(city: str) -> str:
        return "sunny"

    result = agent.run_sync("weather?")
    usage = extract_usage(result)
    assert usage is not None
    assert usage.requests == result.usage.requests == 2


async def stream_answer(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
    yield "Paris."


def test_streamed_run() -> None:
    result = Agent(FunctionModel(stream_function=stream_answer)).run_stream_sync("hello")
    assert result.get_output() == "Paris."
    usage = extract_usage(result)
    assert usage is not None
    assert usage.requests == 1
    assert usage.completion_tokens > 0
    assert extract_model(result) == "function::stream_answer"


@dataclass
class V1Result:
    """A pydantic-ai 1 run result, where ``usage`` was a method."""

    run_usage: RunUsage

    def usage(self) -> RunUsage:
        return self.run_usage


def test_usage_method_v1() -> None:
    result = V1Result(RunUsage(requests=2, input_tokens=40, output_tokens=8))
    assert extract_usage(result) == Usage(prompt_tokens=40, completion_tokens=8, requests=2)
