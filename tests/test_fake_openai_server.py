"""The local OpenAI-compatible server, driven by the real `openai` SDK and pydantic-ai."""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import math
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai.types import CreateEmbeddingResponse, ImagesResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response
from pydantic import BaseModel
from pydantic_ai import Agent, AgentRunResult
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from llmledger.testing import LocalOpenAIServer, count_prompt_tokens, count_text_tokens
from llmledger.testing.openai_server import PIXEL_PNG

SYSTEM = "You are terse."  # 14 chars -> 4 tokens
QUESTION = "Hello there, how are you?"  # 25 chars -> 7 tokens
MESSAGES: list[Any] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
PROMPT_TOKENS = (3 + 4) + (3 + 7) + 3  # per message 3 + text, then 3 priming
DEFAULT_REPLY_TOKENS = 7  # "Offline reply <10 hex>." is 25 characters


@pytest.fixture(scope="module")
def server() -> Iterator[LocalOpenAIServer]:
    with LocalOpenAIServer() as running:
        yield running


@pytest.fixture
def client(server: LocalOpenAIServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0) as sdk_client:
        yield sdk_client


def post_json(server: LocalOpenAIServer, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        server.base_url + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


# --- chat completions ----------------------------------------------------------------------------


def test_chat_completion_usage_is_computed_from_the_prompt(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == "gpt-4o-mini"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.content is not None
    assert completion.choices[0].message.content.startswith("Offline reply ")
    usage = completion.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (20, 7, 27)
    assert PROMPT_TOKENS == 20 == count_prompt_tokens({"messages": MESSAGES})
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 0


def test_completion_ids_are_unique_and_the_reply_is_deterministic(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    second = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    assert first.id != second.id
    assert first.choices[0].message.content == second.choices[0].message.content


def test_tools_and_json_schema_add_their_json_length(client: openai.OpenAI) -> None:
    tools: list[Any] = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, tools=tools)

    tools_json = json.dumps([tools], separators=(",", ":"))
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == PROMPT_TOKENS + math.ceil(len(tools_json) / 4)


def test_image_parts_cost_85_low_and_765_for_an_unknown_size(client: openai.OpenAI) -> None:
    def prompt_tokens(detail: str) -> int:
        image = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": detail}}
        content = [image, {"type": "text", "text": "What is it?"}]  # 11 chars -> 3 tokens
        completion = client.chat.completions.create(
            model="gpt-4o-image-test", messages=[{"role": "user", "content": content}]
        )
        assert completion.usage is not None
        return completion.usage.prompt_tokens

    assert prompt_tokens("low") == 3 + 85 + 3 + 3
    assert prompt_tokens("high") == 3 + 765 + 3 + 3
    assert prompt_tokens("auto") == 3 + 765 + 3 + 3


def test_a_repeated_long_prefix_is_cached_from_the_second_call(client: openai.OpenAI) -> None:
    system = {"role": "system", "content": "x" * 4800}  # 1200 tokens

    def cached(question: str) -> tuple[int, int]:
        messages: list[Any] = [system, {"role": "user", "content": question}]
        completion = client.chat.completions.create(model="gpt-4o-cache-test", messages=messages)
        assert completion.usage is not None and completion.usage.prompt_tokens_details is not None
        return completion.usage.prompt_tokens, completion.usage.prompt_tokens_details.cached_tokens

    # prefix seen = 3 + 1200 + 3 (the user header) = 1206 -> 1024 + 128 = 1152
    assert cached("question one") == (3 + 1200 + 3 + 3 + 3, 0)
    assert cached("question two") == (1212, 1152)
    assert cached("question two") == (1212, 1152)


def test_a_repeated_system_and_image_prefix_is_cached(client: openai.OpenAI) -> None:
    image = {"type": "image_url", "image_url": {"url": "https://example.com/chart.png"}}

    def cached(question: str) -> int:
        messages: list[Any] = [
            {"role": "system", "content": "s" * 1200},  # 300 tokens
            {"role": "user", "content": [image, {"type": "text", "text": question}]},
        ]
        completion = client.chat.completions.create(model="gpt-4o-image-cache-test", messages=messages)
        assert completion.usage is not None and completion.usage.prompt_tokens_details is not None
        return completion.usage.prompt_tokens_details.cached_tokens

    assert cached("what is shown?") == 0
    assert cached("what colour?") == 1024  # 3 + 300 + 3 + 765 = 1071 tokens of shared prefix
    assert cached("how many bars?") == 1024


def test_the_cache_is_per_model_and_can_be_disabled(server: LocalOpenAIServer) -> None:
    messages: list[Any] = [{"role": "user", "content": "y" * 5000}]
    with (
        LocalOpenAIServer(cache=False) as uncached,
        openai.OpenAI(base_url=uncached.base_url, api_key="test", max_retries=0) as client,
    ):
        for _ in range(2):
            completion = client.chat.completions.create(model="gpt-4o", messages=messages)
            assert completion.usage is not None and completion.usage.prompt_tokens_details is not None
            assert completion.usage.prompt_tokens_details.cached_tokens == 0


def test_the_output_cap_truncates_with_finish_reason_length() -> None:
    with (
        LocalOpenAIServer(lambda request: "a" * 100) as server,  # 25 tokens
        openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0) as client,
    ):
        completion = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_completion_tokens=10)
        legacy = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=30)

    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.content == "a" * 40
    assert completion.usage is not None and completion.usage.completion_tokens == 10
    assert legacy.choices[0].finish_reason == "stop"
    assert legacy.usage is not None and legacy.usage.completion_tokens == 25


def test_a_reasoning_model_reports_reasoning_tokens(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="o3-mini", messages=MESSAGES)
    capped = client.chat.completions.create(model="gpt-5-mini", messages=MESSAGES, max_completion_tokens=16)

    assert completion.usage is not None and completion.usage.completion_tokens_details is not None
    assert completion.usage.completion_tokens_details.reasoning_tokens == 2 * DEFAULT_REPLY_TOKENS
    assert completion.usage.completion_tokens == 3 * DEFAULT_REPLY_TOKENS
    assert capped.choices[0].finish_reason == "length"
    assert capped.usage is not None and capped.usage.completion_tokens_details is not None
    assert (capped.usage.completion_tokens, capped.usage.completion_tokens_details.reasoning_tokens) == (
        16,
        14,
    )
    assert capped.choices[0].message.content is not None and len(capped.choices[0].message.content) == 8


def test_a_responder_tool_call_becomes_a_tool_calls_message() -> None:
    def responder(request: dict[str, Any]) -> dict[str, Any]:
        return {"tool_call": {"name": request["tools"][0]["function"]["name"], "arguments": {"city": "Paris"}}}

    tools: list[Any] = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    with (
        LocalOpenAIServer(responder) as server,
        openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0) as client,
    ):
        completion = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, tools=tools)

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", {"city": "Paris"})
    assert completion.usage is not None
    assert completion.usage.completion_tokens == count_text_tokens('{"city":"Paris"}')


def test_json_schema_response_format_defaults_to_minimal_valid_json(client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "tags": {"type": "array"}},
        "required": ["name", "age"],
    }
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}},
    )

    assert completion.choices[0].message.content is not None
    assert json.loads(completion.choices[0].message.content) == {"name": "", "age": 0}


# --- streaming ---------------------------------------------------------------------------------


def test_a_stream_without_include_usage_has_no_usage_chunk(client: openai.OpenAI) -> None:
    with client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True) as stream:
        chunks = list(stream)

    assert all(chunk.object == "chat.completion.chunk" and chunk.usage is None for chunk in chunks)
    assert all(len(chunk.choices) == 1 for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [chunk.choices[0].finish_reason for chunk in chunks][-2:] == [None, "stop"]
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text.startswith("Offline reply ") and len(text) == 25
    assert len({chunk.id for chunk in chunks}) == 1


def test_a_stream_with_include_usage_ends_with_a_usage_chunk(client: openai.OpenAI) -> None:
    with client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    ) as stream:
        chunks = list(stream)

    *content_chunks, last = chunks
    assert all(chunk.usage is None and chunk.choices for chunk in content_chunks)
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens) == (20, 7, 27)


def test_the_raw_stream_says_usage_null_and_ends_with_done(server: LocalOpenAIServer) -> None:
    body = {
        "model": "gpt-4o",
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    status, raw = post_json(server, "/chat/completions", body)

    events = [event.removeprefix("data: ") for event in raw.decode().split("\n\n") if event]
    assert status == 200
    assert events[-1] == "[DONE]"
    payloads = [json.loads(event) for event in events[:-1]]
    assert all("usage" in payload and payload["usage"] is None for payload in payloads[:-1])
    for payload in payloads:
        ChatCompletionChunk.model_validate(payload)


def test_a_streamed_tool_call_is_assembled_by_the_sdk() -> None:
    tools: list[Any] = [{"type": "function", "function": {"name": "final_result", "parameters": {"type": "object"}}}]
    with (
        LocalOpenAIServer(lambda request: {"tool_call": {"name": "final_result", "arguments": {"x": 1}}}) as server,
        openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0) as client,
        client.chat.completions.stream(model="gpt-4o", messages=MESSAGES, tools=tools) as stream,
    ):
        final = stream.get_final_completion()

    assert final.choices[0].finish_reason == "tool_calls"
    assert final.choices[0].message.tool_calls is not None
    assert json.loads(final.choices[0].message.tool_calls[0].function.arguments) == {"x": 1}


def test_the_drop_header_interrupts_a_stream(client: openai.OpenAI) -> None:
    chunks: list[ChatCompletionChunk] = []
    with (
        pytest.raises(openai.APIConnectionError),
        client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True, extra_headers={"x-llmledger-drop": "1"}
        ) as stream,
    ):
        chunks.extend(stream)
    assert len(chunks) == 2


# --- other endpoints ---------------------------------------------------------------------------


def test_responses_api(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o-mini", instructions=SYSTEM, input=QUESTION)

    assert response.object == "response"
    assert response.status == "completed"
    assert response.output_text.startswith("Offline reply ")
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens) == (
        20,
        7,
        27,
    )
    assert response.usage.input_tokens_details.cached_tokens == 0
    assert response.usage.output_tokens_details.reasoning_tokens == 0


def test_responses_api_reasoning_model_with_a_cap(client: openai.OpenAI) -> None:
    response = client.responses.create(model="o4-mini", input=QUESTION, max_output_tokens=16)

    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.usage is not None
    assert (response.usage.output_tokens, response.usage.output_tokens_details.reasoning_tokens) == (16, 14)


def test_embeddings_default_to_base64_and_decode_to_eight_floats(client: openai.OpenAI) -> None:
    result = client.embeddings.create(model="text-embedding-3-small", input=["hello world", "abc"])
    as_floats = client.embeddings.create(
        model="text-embedding-3-small", input=["hello world", "abc"], encoding_format="float"
    )

    assert [len(item.embedding) for item in result.data] == [8, 8]
    assert math.isclose(sum(x * x for x in result.data[0].embedding), 1.0, rel_tol=1e-5)
    for decoded, plain in zip(result.data, as_floats.data, strict=True):
        assert decoded.embedding == pytest.approx(plain.embedding, rel=1e-6)
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (3 + 1, 3 + 1)


def test_gpt_image_returns_b64_pngs_echoes_size_and_quality_and_reports_usage(client: openai.OpenAI) -> None:
    result = client.images.generate(model="gpt-image-1", prompt="a cat", size="1024x1536", quality="high", n=2)

    assert result.data is not None and len(result.data) == 2
    assert result.data[0].b64_json is not None
    assert base64.b64decode(result.data[0].b64_json).startswith(b"\x89PNG\r\n\x1a\n")
    assert (result.size, result.quality) == ("1024x1536", "high")
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (2, 2 * 6240)
    assert result.usage.input_tokens_details.text_tokens == 2


def test_dall_e_can_answer_with_a_url(client: openai.OpenAI, server: LocalOpenAIServer) -> None:
    result = client.images.generate(model="dall-e-3", prompt="a cat", size="1792x1024", response_format="url")

    assert result.data is not None and result.data[0].url is not None
    assert result.size == "1792x1024"
    assert result.usage is None
    with urllib.request.urlopen(result.data[0].url) as response:
        assert response.read().startswith(b"\x89PNG")


def test_models_list(client: openai.OpenAI) -> None:
    assert "gpt-4o-mini" in [model.id for model in client.models.list()]
    assert client.models.retrieve("gpt-4o").id == "gpt-4o"


@pytest.mark.parametrize(
    ("path", "body", "model_type"),
    [
        ("/chat/completions", {"model": "gpt-4o", "messages": MESSAGES}, ChatCompletion),
        ("/responses", {"model": "o3", "input": QUESTION}, Response),
        ("/embeddings", {"model": "text-embedding-3-small", "input": "hi"}, CreateEmbeddingResponse),
        ("/images/generations", {"model": "gpt-image-1", "prompt": "cat"}, ImagesResponse),
    ],
)
def test_replies_validate_strictly_against_the_sdk_types(
    server: LocalOpenAIServer, path: str, body: dict[str, Any], model_type: type[BaseModel]
) -> None:
    status, raw = post_json(server, path, body)

    assert status == 200
    model_type.model_validate(json.loads(raw))


# --- errors ------------------------------------------------------------------------------------


def test_an_unknown_path_raises_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.post("/fine_tuning/nope", cast_to=object, body={})

    assert caught.value.code == "unknown_url"
    assert caught.value.type == "invalid_request_error"


def test_the_fail_header_injects_server_errors_and_rate_limits(client: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES, extra_headers={"x-llmledger-fail": "500"})
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES, extra_headers={"x-llmledger-fail": "429"})
    assert caught.value.code == "rate_limit_exceeded"


def test_a_failing_responder_becomes_a_500() -> None:
    def responder(request: dict[str, Any]) -> str:
        raise RuntimeError("boom")

    with (
        LocalOpenAIServer(responder) as server,
        openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0) as client,
        pytest.raises(openai.InternalServerError, match="RuntimeError: boom"),
    ):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)


def test_a_body_that_is_not_json_is_a_400(server: LocalOpenAIServer) -> None:
    request = urllib.request.Request(server.base_url + "/chat/completions", data=b"not json")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    with caught.value as error:
        assert error.code == 400
        assert json.loads(error.read())["error"]["type"] == "invalid_request_error"


# --- server behaviour --------------------------------------------------------------------------


def test_requests_are_recorded_and_reset() -> None:
    with (
        LocalOpenAIServer() as server,
        openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0) as client,
    ):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        client.models.list()

        assert server.hits == 1
        assert [(r.method, r.path) for r in server.requests] == [
            ("POST", "/v1/chat/completions"),
            ("GET", "/v1/models"),
        ]
        assert server.requests[0].body["messages"] == MESSAGES
        assert server.requests[0].headers["authorization"] == "Bearer test"
        server.reset()
        assert (server.hits, server.requests) == (0, [])


def test_keep_alive_serves_several_requests_on_one_connection(server: LocalOpenAIServer) -> None:
    host, port = server.base_url.removeprefix("http://").removesuffix("/v1").split(":")
    connection = http.client.HTTPConnection(host, int(port))
    try:
        body = json.dumps({"model": "gpt-4o", "messages": MESSAGES})
        for _ in range(3):
            connection.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
            response = connection.getresponse()
            assert response.status == 200
            assert response.getheader("content-length") is not None
            assert json.loads(response.read())["object"] == "chat.completion"
    finally:
        connection.close()


def test_start_and_stop_without_a_context_manager() -> None:
    server = LocalOpenAIServer().start()
    try:
        status, _ = post_json(server, "/embeddings", {"model": "text-embedding-3-small", "input": "hi"})
        assert status == 200
    finally:
        server.stop()
    server.stop()
    with pytest.raises(RuntimeError, match=r"not running"):
        _ = server.base_url


def test_fifty_concurrent_async_requests_are_all_answered() -> None:
    async def main(server: LocalOpenAIServer) -> list[str]:
        async with openai.AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0) as client:
            completions = await asyncio.gather(
                *(
                    client.chat.completions.create(
                        model="gpt-4o-mini", messages=[{"role": "user", "content": f"question {i}"}]
                    )
                    for i in range(50)
                )
            )
        return [completion.choices[0].message.content or "" for completion in completions]

    with LocalOpenAIServer(latency_s=0.3) as server:
        started = time.perf_counter()
        replies = asyncio.run(main(server))
        elapsed = time.perf_counter() - started
        assert server.hits == 50

    assert len(set(replies)) == 50
    assert elapsed < 5  # serially this would take 15 s


# --- pydantic-ai ------------------------------------------------------------------------------


def run_agent(server: LocalOpenAIServer, output_type: Any, prompt: str) -> AgentRunResult[Any]:
    provider = OpenAIProvider(base_url=server.base_url, api_key="x")
    agent = Agent(OpenAIChatModel("gpt-4o-mini", provider=provider), output_type=output_type)

    async def main() -> AgentRunResult[Any]:
        async with agent:  # closes the provider's HTTP client, so no ResourceWarning
            return await agent.run(prompt)

    return asyncio.run(main())


def test_a_pydantic_ai_agent_reports_the_server_usage() -> None:
    with LocalOpenAIServer() as server:
        result = run_agent(server, str, QUESTION)
        [request] = server.requests

    usage = result.usage  # a property in pydantic-ai 2.x (calling it is deprecated)
    assert result.output.startswith("Offline reply ")
    assert usage.input_tokens == count_prompt_tokens(request.body) == (3 + 7) + 3
    assert usage.output_tokens == DEFAULT_REPLY_TOKENS
    assert usage.requests == 1


class City(BaseModel):
    name: str
    population: int


def test_a_pydantic_ai_agent_gets_structured_output_from_the_default_responder() -> None:
    with LocalOpenAIServer() as server:
        result = run_agent(server, City, "Biggest city?")
        [request] = server.requests

    assert result.output == City(name="", population=0)
    assert request.body["tool_choice"] in (
        "required",
        {"type": "function", "function": {"name": "final_result"}},
    )


def test_a_png_data_url_is_priced_by_its_tiles(client: openai.OpenAI) -> None:
    url = "data:image/png;base64," + base64.b64encode(PIXEL_PNG).decode()  # 1x1 -> one 512px tile
    content = [{"type": "image_url", "image_url": {"url": url}}]
    completion = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": content}])

    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 3 + (85 + 170) + 3
