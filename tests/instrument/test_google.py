import asyncio
from decimal import Decimal

import pytest
from google import genai
from google.genai import errors, types

from llmledger import CostTracker, UsageMissingWarning
from llmledger.testing import LocalGoogleServer

from .conftest import PRICES

# "hello": 3 + 2 = 5 prompt tokens; answer 7 tokens + 14 thoughts (a "2.5" model thinks twice the answer)
COST = Decimal("0.0003") * 5 / 1000 + Decimal("0.0025") * 21 / 1000


def client_for(server: LocalGoogleServer) -> genai.Client:
    return genai.Client(api_key="test", http_options=types.HttpOptions(base_url=server.base_url))


def test_generate_content_and_stream(google_server: LocalGoogleServer) -> None:
    tracker = CostTracker(PRICES)
    with client_for(google_server) as client:
        tracker.instrument(client)
        client.models.generate_content(model="gemini-test-2.5", contents="hello")
        chunks = list(client.models.generate_content_stream(model="gemini-test-2.5", contents="hello"))
    assert len(chunks) == 3
    assert google_server.requests[-1].query == "alt=sse"
    records = list(tracker.records())
    assert [(r.prompt_tokens, r.completion_tokens, r.reasoning_tokens, r.cost_usd) for r in records] == [
        (5, 21, 14, COST)
    ] * 2
    assert {r.operation_type for r in records} == {"google.generate_content"}


def test_cached_content_and_async(google_server: LocalGoogleServer) -> None:
    tracker = CostTracker(PRICES)

    async def main() -> None:
        with client_for(google_server) as client:
            tracker.instrument(client)
            config = types.GenerateContentConfig(cached_content="cachedContents/abc")
            await client.aio.models.generate_content(model="gemini-test-2.5", contents="hello", config=config)
            async for _ in await client.aio.models.generate_content_stream(model="gemini-test-2.5", contents="hello"):
                pass
            await client.aio.aclose()

    asyncio.run(main())
    cached, streamed = tracker.records()
    assert (cached.prompt_tokens, cached.cached_tokens) == (1029, 1024)
    assert (
        cached.cost_usd
        == Decimal("0.0003") * 5 / 1000 + Decimal("0.000075") * 1024 / 1000 + Decimal("0.0025") * 21 / 1000
    )
    assert streamed.cost_usd == COST


def test_cut_stream_and_failure(google_server: LocalGoogleServer) -> None:
    tracker = CostTracker(PRICES)
    with client_for(google_server) as client:
        tracker.instrument(client)
        drop = types.GenerateContentConfig(http_options=types.HttpOptions(headers={"x-llmledger-drop": "1"}))
        with pytest.warns(UsageMissingWarning, match="counted so far"), pytest.raises(Exception):  # noqa: B017
            list(client.models.generate_content_stream(model="gemini-test-2.5", contents="hello", config=drop))
        fail = types.GenerateContentConfig(http_options=types.HttpOptions(headers={"x-llmledger-fail": "400"}))
        with pytest.raises(errors.ClientError):
            client.models.generate_content(model="gemini-test-2.5", contents="hello", config=fail)
    cut, failed = tracker.records()
    assert cut.prompt_tokens == 5 and cut.cost_usd is not None and cut.cost_usd < COST
    assert not failed.success


def test_uninstrument(google_server: LocalGoogleServer) -> None:
    tracker = CostTracker(PRICES)
    with client_for(google_server) as client:
        tracker.instrument(client)
        tracker.uninstrument(client)
        client.models.generate_content(model="gemini-test-2.5", contents="hello")
    assert tracker.calls == 0
