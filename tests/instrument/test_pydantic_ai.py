from collections.abc import Iterator
from decimal import Decimal

import pytest
from pydantic_ai import Agent, RunContext

from llmledger import CostTracker, UsageLimits, make_agent_async
from llmledger.pipeline.guarded_model import GuardedModel
from llmledger.testing import LocalOpenAIServer

from .conftest import PRICES


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalOpenAIServer]:
    with LocalOpenAIServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        yield server


async def test_agent_recorded_per_model_request(env: LocalOpenAIServer) -> None:
    calls = 0

    def reply(body: dict) -> str | dict:
        nonlocal calls
        calls += 1
        return {"tool_call": {"name": "lookup", "arguments": {"q": "x"}}} if calls == 1 else "Four."

    env._app.responder = reply
    agent = Agent("openai:gpt-4o", system_prompt="You are concise.")

    @agent.tool
    def lookup(ctx: RunContext[None], q: str) -> str:
        return "4"

    tracker = CostTracker(PRICES)
    async with agent:
        tracker.instrument(agent, layout_name="a.jpg")
        with tracker.labels(master_id="m1"):
            result = await agent.run("What is 2 + 2?")
    assert result.output == "Four."
    records = list(tracker.records())
    assert len(records) == env.hits == 2  # one record per model request, not per run
    for record in records:
        assert record.operation_type == "pydantic_ai.request"
        assert record.labels == {"master_id": "m1", "layout_name": "a.jpg"}
        assert (
            record.cost_usd
            == Decimal("0.005") * record.prompt_tokens / 1000 + Decimal("0.015") * record.completion_tokens / 1000
        )
    assert tracker.total_cost == sum(r.cost_usd or 0 for r in records)


async def test_limits_and_uninstrument(env: LocalOpenAIServer) -> None:
    agent = make_agent_async("openai:gpt-4o", "You are concise.", str)
    original = agent.model
    tracker = CostTracker(PRICES, usage_limits=UsageLimits(total_cost_usd_limit=Decimal("0.003")))
    async with agent:
        tracker.instrument(agent)
        assert isinstance(agent.model, GuardedModel)
        await agent.run("hi")
        body = env.requests[-1].body
        assert any(isinstance(body.get(k), int) for k in ("max_output_tokens", "max_completion_tokens", "max_tokens"))
        tracker.uninstrument(agent)
        assert agent.model is original
        await agent.run("hi")
    assert tracker.calls == 1
