import asyncio
from decimal import Decimal

import anthropic
import pytest

from llmledger import CostTracker, UsageMissingWarning
from llmledger.testing import LocalAnthropicServer

from .conftest import PRICES

# 3 (role) + ceil(len/4) of a 4000-character text = 1003 tokens, all behind cache_control
TEXT = "word " * 800
MESSAGES = [{"role": "user", "content": [{"type": "text", "text": TEXT, "cache_control": {"type": "ephemeral"}}]}]
WRITE_COST = Decimal("0.00375") * 1003 / 1000 + Decimal("0.015") * 7 / 1000
READ_COST = Decimal("0.0003") * 1003 / 1000 + Decimal("0.015") * 7 / 1000


def client_for(server: LocalAnthropicServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0)


def test_messages_create_json_and_stream(anthropic_server: LocalAnthropicServer) -> None:
    anthropic_server.reset()
    tracker = CostTracker(PRICES)
    with client_for(anthropic_server) as client:
        tracker.instrument(client)
        client.messages.create(model="claude-test-1", max_tokens=100, messages=MESSAGES)
        events = list(client.messages.create(model="claude-test-1", max_tokens=100, messages=MESSAGES, stream=True))
        with client.messages.stream(model="claude-test-1", max_tokens=100, messages=MESSAGES) as stream:
            text = stream.get_final_text()
    assert events[-1].type == "message_stop" and text.startswith("Offline reply")
    first, second, third = tracker.records()
    assert (first.prompt_tokens, first.cache_write_tokens, first.completion_tokens) == (1003, 1003, 7)
    assert first.cost_usd == WRITE_COST
    assert (second.cached_tokens, second.cost_usd) == (1003, READ_COST)
    assert (third.cached_tokens, third.cost_usd) == (1003, READ_COST)
    assert {r.operation_type for r in (first, second, third)} == {"anthropic.messages"}


def test_cut_stream_recorded_with_usage_so_far(anthropic_server: LocalAnthropicServer) -> None:
    tracker = CostTracker(PRICES)
    with client_for(anthropic_server) as client:
        tracker.instrument(client)
        stream = client.messages.create(
            model="claude-test-1",
            max_tokens=100,
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            extra_headers={"x-llmledger-drop": "1"},
        )
        with pytest.warns(UsageMissingWarning, match="counted so far"), pytest.raises(Exception):  # noqa: B017 (the SDK lets its HTTP library's error through)
            list(stream)
    (record,) = tracker.records()
    # message_start's usage: 3 + 1 input tokens, 1 output token
    assert (record.prompt_tokens, record.completion_tokens) == (4, 1)
    assert record.cost_usd == Decimal("0.003") * 4 / 1000 + Decimal("0.015") / 1000


def test_failure_and_async(anthropic_server: LocalAnthropicServer) -> None:
    tracker = CostTracker(PRICES)

    async def main() -> None:
        async with anthropic.AsyncAnthropic(base_url=anthropic_server.base_url, api_key="test", max_retries=0) as c:
            tracker.instrument(c)
            await c.messages.create(model="claude-test-1", max_tokens=100, messages=[{"role": "user", "content": "hi"}])
            stream = await c.messages.create(
                model="claude-test-1", max_tokens=100, messages=[{"role": "user", "content": "hi"}], stream=True
            )
            async with stream:
                [event async for event in stream]
            async with c.messages.stream(
                model="claude-test-1", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
            ) as s:
                await s.get_final_message()
            with pytest.raises(anthropic.InternalServerError):
                await c.messages.create(
                    model="claude-test-1",
                    max_tokens=100,
                    messages=[{"role": "user", "content": "hi"}],
                    extra_headers={"x-llmledger-fail": "500"},
                )

    asyncio.run(main())
    records = list(tracker.records())
    assert [r.success for r in records] == [True, True, True, False]
    assert [r.prompt_tokens for r in records[:3]] == [4, 4, 4]


def test_uninstrument(anthropic_server: LocalAnthropicServer) -> None:
    tracker = CostTracker(PRICES)
    with client_for(anthropic_server) as client, client_for(anthropic_server) as other:
        tracker.instrument(client)
        other.messages.create(model="claude-test-1", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
        tracker.uninstrument(client)
        client.messages.create(model="claude-test-1", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert tracker.calls == 0
