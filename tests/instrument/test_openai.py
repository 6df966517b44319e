import asyncio
import re
from decimal import Decimal
from typing import Any

import openai
import pytest

from llmledger import CostTracker, UsageMissingWarning
from llmledger.ledger.record import CallRecord
from llmledger.testing import LocalOpenAIServer

from .conftest import PRICES

MESSAGES = [{"role": "user", "content": "Count the panels in this layout."}]
# the server: prompt = 3 per message + ceil(31/4) + 3 priming = 14; answer "Offline reply xxxxxxxxxx." = 7 tokens
PROMPT, COMPLETION = 14, 7
CHAT_COST = Decimal("0.005") * PROMPT / 1000 + Decimal("0.015") * COMPLETION / 1000


def client_for(server: LocalOpenAIServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)


def only(tracker: CostTracker) -> CallRecord:
    (record,) = list(tracker.records())
    return record


def normalised(chunks: list[Any]) -> list[str]:
    return [re.sub(r'"(id|created)": ?("[^"]*"|\d+)', "", c.to_json(indent=None)) for c in chunks]


def test_chat_completion_recorded_once(openai_server: LocalOpenAIServer) -> None:
    tracker = CostTracker(PRICES)
    with client_for(openai_server) as client:
        assert tracker.instrument(client) is client
        response = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    record = only(tracker)
    assert (record.operation_type, record.provider, record.model) == ("openai.chat.completions", "openai", "gpt-4o")
    assert (record.prompt_tokens, record.completion_tokens) == (PROMPT, COMPLETION)
    assert record.cost_usd == CHAT_COST
    assert record.request_id == response.id
    assert record.latency_s is not None and record.latency_s > 0


def test_responses_embeddings_images(openai_server: LocalOpenAIServer) -> None:
    tracker = CostTracker(PRICES)
    with client_for(openai_server) as client:
        tracker.instrument(client)
        client.responses.create(model="gpt-4o", input="Count the panels.")
        client.embeddings.create(model="text-embedding-3-small", input="one two three four")
        client.images.generate(model="dall-e-3", prompt="a cat", n=2)
    by_op = {r.operation_type: r for r in tracker.records()}
    # Responses: 3 (message) + ceil(17/4)=5 + 3 = 11 prompt tokens
    assert by_op["openai.responses"].prompt_tokens == 11
    assert by_op["openai.responses"].cost_usd == Decimal("0.005") * 11 / 1000 + Decimal("0.015") * 7 / 1000
    assert by_op["openai.embeddings"].prompt_tokens == 5
    assert by_op["openai.embeddings"].cost_usd == Decimal("0.00002") * 5 / 1000
    assert by_op["openai.images"].image_count == 2
    assert by_op["openai.images"].cost_usd == Decimal("0.080")


def test_stream_without_include_usage_is_priced_and_unchanged(openai_server: LocalOpenAIServer) -> None:
    tracker = CostTracker(PRICES)
    with client_for(openai_server) as plain, client_for(openai_server) as metered:
        tracker.instrument(metered)
        expected = list(plain.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
        got = list(metered.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
    assert normalised(got) == normalised(expected)
    assert all(chunk.usage is None for chunk in got)
    assert openai_server.requests[-1].body["stream_options"] == {"include_usage": True}
    record = only(tracker)
    assert (record.prompt_tokens, record.completion_tokens, record.cost_usd) == (PROMPT, COMPLETION, CHAT_COST)


def test_stream_with_include_usage_keeps_the_usage_chunk(openai_server: LocalOpenAIServer) -> None:
    tracker = CostTracker(PRICES)
    with client_for(openai_server) as client:
        tracker.instrument(client)
        with client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        ) as stream:
            chunks = list(stream)
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == PROMPT
    assert only(tracker).cost_usd == CHAT_COST


def test_stream_cut_off_is_unpriced_with_a_warning(openai_server: LocalOpenAIServer) -> None:
    tracker = CostTracker(PRICES)
    with client_for(openai_server) as client:
        tracker.instrument(client)
        stream = client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True, extra_headers={"x-llmledger-drop": "1"}
        )
        with pytest.warns(UsageMissingWarning, match="cut off"), pytest.raises(openai.APIConnectionError):
            list(stream)
    record = only(tracker)
    assert record.cost_usd is None  # unknown, never a silent $0
    assert record.model == "gpt-4o"


def test_stream_abandoned_is_recorded_on_close(openai_server: LocalOpenAIServer) -> None:
    tracker = CostTracker(PRICES)
    with client_for(openai_server) as client:
        tracker.instrument(client)
        with (
            pytest.warns(UsageMissingWarning, match="abandoned"),
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True) as stream,
        ):
            next(iter(stream))
    assert only(tracker).cost_usd is None


def test_failure_recorded(openai_server: LocalOpenAIServer) -> None:
    tracker = CostTracker(PRICES)
    with client_for(openai_server) as client:
        tracker.instrument(client)
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES, extra_headers={"x-llmledger-fail": "500"})
    record = only(tracker)
    assert not record.success and record.error is not None and "InternalServerError" in record.error


def test_uninstrument_restores_and_other_clients_untouched(openai_server: LocalOpenAIServer) -> None:
    tracker = CostTracker(PRICES)
    with client_for(openai_server) as client, client_for(openai_server) as other:
        original_chat = client.chat
        tracker.instrument(client)
        other.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        assert tracker.calls == 0
        client.with_options(timeout=5).chat.completions.create(model="gpt-4o", messages=MESSAGES)
        assert tracker.calls == 1
        assert tracker.uninstrument(client) is client
        assert client.chat is original_chat
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert tracker.calls == 1


def test_async_client_and_stream(openai_server: LocalOpenAIServer) -> None:
    tracker = CostTracker(PRICES)

    async def main() -> list[Any]:
        async with openai.AsyncOpenAI(base_url=openai_server.base_url, api_key="test", max_retries=0) as client:
            tracker.instrument(client)
            await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
            stream = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
            async with stream:
                return [chunk async for chunk in stream]

    chunks = asyncio.run(main())
    assert all(chunk.choices for chunk in chunks)
    assert [r.cost_usd for r in tracker.records()] == [CHAT_COST, CHAT_COST]
