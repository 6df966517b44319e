import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from llmledger import (
    CostTracker,
    MemoryLedger,
    Pipeline,
    PriceTable,
    PricingNotConfiguredError,
    Runner,
    Step,
    UsageLimitExceededError,
    UsageLimits,
    UsageMissingWarning,
    make_agent_async,
)
from llmledger.config import parse_config
from llmledger.testing import LocalOpenAIServer

CONFIG = """
[cost.providers.openai.gpt-4o]
prompt_tokens_per_1k = 0.005
completion_tokens_per_1k = 0.015
[cost.providers.openai.gpt-4o-mini]
prompt_tokens_per_1k = 0.00015
completion_tokens_per_1k = 0.0006
[cost.providers.openai."dall-e-3"]
price_per_image_standard_1024x1024 = 0.040
price_per_image_hd_1792x1024 = 0.120
"""


def prices(strict: bool = False) -> PriceTable:
    return PriceTable(parse_config(CONFIG).prices, strict=strict)


def fixed_model(prompt: int, completion: int, text: str = "ok", seen: list[dict] | None = None) -> FunctionModel:
    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if seen is not None:
            seen.append(dict(info.model_settings or {}))
        return ModelResponse(
            parts=[TextPart(text)],
            usage=RequestUsage(input_tokens=prompt, output_tokens=completion),
            model_name="gpt-4o",
        )

    return FunctionModel(respond, model_name="gpt-4o")


def test_per_step_costs_match_hand_computed() -> None:
    solution = Agent(fixed_model(1200, 150, "draft"))
    validate = Agent(fixed_model(2000, 10, "valid"))
    reflect = Agent(fixed_model(500, 300, "final"))
    pipeline = Step.solution(solution) >> Step.validate(validate) >> Step.reflect(reflect)
    tracker = CostTracker(prices(), ledger=MemoryLedger())
    result = Runner(pipeline, tracker=tracker).run("task")
    assert [s.name for s in result.step_history] == ["solution", "validate", "reflect"]
    costs = [s.cost_usd for s in result.step_history]
    assert costs == [
        Decimal("0.006") + Decimal("0.00225"),
        Decimal("0.010") + Decimal("0.00015"),
        Decimal("0.0025") + Decimal("0.0045"),
    ]
    assert [s.token_counts for s in result.step_history] == [1350, 2010, 800]
    assert result.total_cost_usd == sum(costs)  # type: ignore[arg-type]
    assert result.total_tokens == 4160
    assert result.output == "final"
    assert result.success
    assert all(s.model == "gpt-4o" and s.requests == 1 and s.latency_s >= 0 for s in result.step_history)
    # every request recorded with the pipeline labels
    records = list(tracker.records())
    assert [r.labels["step"] for r in records] == ["solution", "validate", "reflect"]
    assert {r.labels["run_id"] for r in records} == {result.run_id}
    assert {r.labels["pipeline"] for r in records} == {"pipeline"}
    assert tracker.total_cost == result.total_cost_usd


def test_each_output_is_the_next_input() -> None:
    seen: list[str] = []

    @dataclass
    class Echo:
        suffix: str

        async def run(self, value: str) -> str:
            seen.append(value)
            return value + self.suffix

    # a step whose result carries no usage is recorded unpriced, with a warning (never a silent $0)
    with pytest.warns(UsageMissingWarning, match="no usage data for"):
        result = Runner(Step("a", Echo("1")) >> Step("b", Echo("2")) >> Step("c", Echo("3")), prices=prices()).run("x")
    assert seen == ["x", "x1", "x12"]
    assert result.output == "x123"
    assert [s.cost_usd for s in result.step_history] == [None, None, None]


def test_failing_step_ends_the_run_with_the_error_kept() -> None:
    class Broken:
        async def run(self, value: str) -> str:
            raise RuntimeError("model said no")

    ok = Agent(fixed_model(100, 10))
    result = Runner(Step.solution(ok) >> Step.validate(Broken()) >> Step.reflect(ok), prices=prices()).run("x")
    assert [s.name for s in result.step_history] == ["solution", "validate"]
    assert result.step_history[1].success is False
    assert result.step_history[1].error == "RuntimeError: model said no"
    assert result.success is False


def test_cost_limit_crossed_at_step_two_raises_with_step_one_inside() -> None:
    # step 1 costs $0.00825; each step's worst case with max_tokens=1000 is well over what is left
    calls: list[dict] = []
    agent = Agent(fixed_model(1200, 150, seen=calls), model_settings={"max_tokens": 1000})
    runner = Runner(
        Step.solution(agent) >> Step.validate(agent),
        prices=prices(),
        usage_limits=UsageLimits(total_cost_usd_limit=Decimal("0.02")),
    )
    with pytest.raises(UsageLimitExceededError, match=re.escape("Cost limit of $0.0200 would be exceeded")) as info:
        runner.run("task")
    partial = info.value.result
    assert [s.name for s in partial.step_history] == ["solution"]
    assert partial.step_history[0].cost_usd == Decimal("0.00825")
    assert len(calls) == 1, "step 2 was never sent"
    assert runner.guard.spent_usd == Decimal("0.00825") <= Decimal("0.02")
    assert info.value.limit == Decimal("0.02")
    assert info.value.requested is not None and info.value.requested > Decimal("0.02") - Decimal("0.00825")


def test_without_an_output_cap_max_tokens_is_what_the_budget_affords() -> None:
    calls: list[dict] = []
    agent = Agent(fixed_model(100, 10, seen=calls))
    runner = Runner(
        Step.solution(agent), prices=prices(), usage_limits=UsageLimits(total_cost_usd_limit=Decimal("0.01"))
    )
    runner.run("hello")
    cap = calls[0]["max_tokens"]
    # remaining $0.01 minus the prompt's bound, at $0.015 per 1K output tokens
    assert 0 < cap <= int(Decimal("0.01") / Decimal("0.000015"))
    assert cap > 600


def test_token_limit() -> None:
    agent = Agent(fixed_model(100, 10), model_settings={"max_tokens": 50})
    runner = Runner(
        Step.solution(agent) >> Step.validate(agent),
        prices=prices(),
        usage_limits=UsageLimits(total_tokens_limit=150),
    )
    with pytest.raises(UsageLimitExceededError, match="Token limit of 150"):
        runner.run("hi")
    assert runner.guard.spent_tokens == 110 <= 150


def test_prompt_that_does_not_fit_sends_nothing() -> None:
    calls: list[dict] = []
    agent = Agent(fixed_model(100, 10, seen=calls))
    runner = Runner(
        Step.solution(agent),
        prices=prices(),
        usage_limits=UsageLimits(total_cost_usd_limit=Decimal("0.0001")),
    )
    with pytest.raises(UsageLimitExceededError, match="Not even the prompt fits"):
        runner.run("x" * 100)
    assert calls == []


def test_estimate_mode_reserves_less_than_bound() -> None:
    agent = Agent(fixed_model(100, 10), model_settings={"max_tokens": 10})
    text = "word " * 2000
    bound = Runner(
        Step.solution(agent), prices=prices(), usage_limits=UsageLimits(total_cost_usd_limit=Decimal("0.04"))
    )
    estimate = Runner(
        Step.solution(agent),
        prices=prices(),
        usage_limits=UsageLimits(total_cost_usd_limit=Decimal("0.04")),
        limit_mode="estimate",
    )
    with pytest.raises(UsageLimitExceededError):
        bound.run(text * 1)  # 10,000 bytes bound the prompt at ~$0.05: too much
    assert estimate.run(text).success  # ~2,500 estimated tokens fit


def test_explicit_cost_reporter_taken_as_given() -> None:
    @dataclass
    class Reported:
        output: str
        cost_usd: Decimal
        token_counts: int

    class Proprietary:
        async def run(self, value: str) -> Reported:
            return Reported(output="done", cost_usd=Decimal("0.4242"), token_counts=77)

    tracker = CostTracker(prices())
    result = Runner(Step("custom", Proprietary()), prices=prices(), tracker=tracker).run("x")
    step = result.step_history[0]
    assert (step.cost_usd, step.token_counts, step.output) == (Decimal("0.4242"), 77, "done")
    (record,) = tracker.records()
    assert record.price_source == "explicit"


# -- through the real OpenAI SDK and pydantic-ai, against the local server -------------------


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalOpenAIServer]:
    with LocalOpenAIServer() as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        yield srv


@pytest.fixture
async def chat_agent(server: LocalOpenAIServer) -> AsyncIterator[Agent]:
    agent = make_agent_async("openai:gpt-4o", "You are concise.", str)
    async with agent:
        yield agent


async def test_real_agents_through_the_local_server(server: LocalOpenAIServer, chat_agent: Agent) -> None:
    tracker = CostTracker(prices())
    runner = Runner(Step.solution(chat_agent) >> Step.validate(chat_agent), prices=prices(), tracker=tracker)
    result = await runner.run_async("What is 2 + 2?")
    assert server.hits == 2
    for step in result.step_history:
        usage = step.usage
        assert usage is not None and usage.prompt_tokens > 0
        expected = Decimal(usage.prompt_tokens) * Decimal("0.000005") + Decimal(usage.completion_tokens) * Decimal(
            "0.000015"
        )
        assert step.cost_usd == expected
    records = list(tracker.records())
    assert [r.request_id is not None for r in records] == [True, True]


async def test_fifty_concurrent_runs_share_one_limit(server: LocalOpenAIServer, chat_agent: Agent) -> None:
    limit = Decimal("0.02")
    tracker = CostTracker(prices())
    runner = Runner(
        Step.solution(chat_agent) >> Step.reflect(chat_agent),
        prices=prices(),
        tracker=tracker,
        usage_limits=UsageLimits(total_cost_usd_limit=limit),
    )
    outcomes = await asyncio.gather(*(runner.run_async(f"question {i}") for i in range(50)), return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, UsageLimitExceededError)]
    assert refused, "the limit must refuse some runs"
    assert not [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, UsageLimitExceededError)]
    assert tracker.total_cost <= limit
    assert runner.guard.spent_usd == tracker.total_cost
    assert server.hits == tracker.calls < 100
    assert runner.guard.reserved_usd == 0


async def test_image_step_priced_by_quality_and_size(server: LocalOpenAIServer) -> None:
    image = make_agent_async("openai:dall-e-3", "A poster:", str, quality="hd", size="1792x1024", n=2)
    result = await Runner(Step("poster", image), prices=prices()).run_async("a red fox")
    step = result.step_history[0]
    assert step.cost_usd == Decimal("0.240")
    assert step.usage is not None and step.usage.image_count == 2
    assert server.requests[-1].body["quality"] == "hd"


async def test_strict_failure_sends_zero_requests(server: LocalOpenAIServer, chat_agent: Agent) -> None:
    mini = make_agent_async("openai:gpt-4.1-nano", "x", str)
    async with mini:
        pipeline = Step.solution(chat_agent) >> Step.validate(mini)
        config = parse_config("[cost]\nstrict = true\n" + CONFIG)
        runner = Runner(pipeline, prices=PriceTable(config.prices, strict=True))
        with pytest.raises(PricingNotConfiguredError, match=re.escape("provider=openai, model=gpt-4.1-nano")):
            await runner.run_async("x")
    assert server.hits == 0


def test_strict_image_size_checked_up_front() -> None:
    image = make_agent_async("openai:dall-e-3", "x", str, quality="hd", size="1024x1024")
    runner = Runner(Pipeline((Step("img", image),)), prices=prices(strict=True))
    with pytest.raises(PricingNotConfiguredError, match="no price for hd 1024x1024 images"):
        runner.run("x")


def test_runner_draws_on_a_shared_budget(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from llmledger import Budget

    # each step: actual $0.00235; worst case (36-token prompt bound, 200 output tokens) $0.00318
    agent = Agent(fixed_model(20, 150), model_settings={"max_tokens": 200})
    with Budget(tmp_path / "l.db", "pipelines", limit_usd="0.006") as budget:
        runner = Runner(
            Step.solution(agent) >> Step.validate(agent) >> Step.reflect(agent), prices=prices(), budget=budget
        )
        with pytest.raises(UsageLimitExceededError, match="Budget 'pipelines'") as info:
            runner.run("task")
        assert [s.name for s in info.value.result.step_history] == ["solution", "validate"]
        assert budget.spent == Decimal("0.00235") * 2 == runner.guard.spent_usd
