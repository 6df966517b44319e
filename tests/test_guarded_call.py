from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import openai
import pytest

from llmledger import CostTracker, PriceTable, UsageLimitExceededError, UsageLimits, tracked_map
from llmledger.budgets import Budget
from llmledger.config import parse_config
from llmledger.testing import LocalOpenAIServer

PRICES = PriceTable(
    parse_config(
        "[cost.providers.openai.gpt-4o]\nprompt_tokens_per_1k = 0.005\ncompletion_tokens_per_1k = 0.015\n"
    ).prices
)
MESSAGES = [{"role": "user", "content": "Count the panels in this layout."}]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalOpenAIServer]:
    with LocalOpenAIServer() as srv:
        yield srv


@pytest.fixture
def client(server: LocalOpenAIServer) -> Iterator[openai.OpenAI]:
    server.reset()
    with openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0) as c:
        yield c


def test_capped_max_tokens_reaches_the_server(server: LocalOpenAIServer, client: openai.OpenAI) -> None:
    tracker = CostTracker(PRICES, usage_limits=UsageLimits(total_cost_usd_limit=Decimal("0.003")))
    with tracker.call("count", model="openai:gpt-4o", messages=MESSAGES, layout_name="a.jpg") as call:
        assert call.max_tokens is not None
        response = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=call.max_tokens)
        cost = call.record(response)
    # the cap is what $0.003 buys after the prompt's bound, at $0.015 per 1K output tokens
    assert 1 <= call.max_tokens < 200
    assert server.requests[-1].body["max_tokens"] == call.max_tokens
    assert cost is not None and cost == tracker.total_cost <= Decimal("0.003")
    assert tracker.limits is not None and tracker.limits.reserved_usd == 0
    assert tracker.limits.spent_usd == cost
    (record,) = tracker.records()
    assert record.labels == {"layout_name": "a.jpg"}


def test_unaffordable_call_reaches_no_server(server: LocalOpenAIServer, client: openai.OpenAI) -> None:
    tracker = CostTracker(PRICES, usage_limits=UsageLimits(total_cost_usd_limit=Decimal("0.0001")))
    with (
        pytest.raises(UsageLimitExceededError, match="Not even the prompt fits"),
        tracker.call("count", model="openai:gpt-4o", messages=MESSAGES * 10),
    ):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert server.hits == 0
    assert tracker.calls == 0


def test_failure_inside_releases_and_records(client: openai.OpenAI) -> None:
    tracker = CostTracker(PRICES, usage_limits=UsageLimits(total_cost_usd_limit=Decimal("1")))
    with (
        pytest.raises(openai.InternalServerError),
        tracker.call("count", model="openai:gpt-4o", messages=MESSAGES, max_tokens=100) as call,
    ):
        client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, max_tokens=call.max_tokens, extra_headers={"x-llmledger-fail": "500"}
        )
    assert tracker.limits is not None
    assert (tracker.limits.reserved_usd, tracker.limits.spent_usd) == (0, 0)
    assert tracker.stats().totals.failed_calls == 1


def test_shared_budget_with_a_tracker(tmp_path: Path, client: openai.OpenAI) -> None:
    db = tmp_path / "l.db"
    with Budget(db, "batch", limit_usd="0.01") as budget:
        tracker = CostTracker(PRICES, ledger=str(db), budget=budget)
        spent_calls = 0
        with pytest.raises(UsageLimitExceededError):
            for _ in range(100):
                with tracker.call("count", model="openai:gpt-4o", messages=MESSAGES, max_tokens=50) as call:
                    call.record(client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=50))
                    spent_calls += 1
        tracker.close()
        assert 0 < spent_calls < 100
        assert budget.spent == tracker.total_cost <= Decimal("0.01")
        assert budget.reserved == 0


def square(item: int) -> tuple[int, dict[str, object]]:
    return item * item, {
        "id": f"chatcmpl-{item}",
        "object": "chat.completion",
        "model": "gpt-4o",
        "choices": [],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 0, "total_tokens": 1000},
    }


def test_tracked_map_reserves_before_each_item() -> None:
    tracker = CostTracker(PRICES, usage_limits=UsageLimits(total_cost_usd_limit=Decimal("0.05")))
    with pytest.raises(ValueError, match="worst_case"):
        tracked_map(square, range(3), tracker=tracker, operation_type="op", executor="thread")
    outcomes = tracked_map(
        square,
        range(30),
        tracker=tracker,
        operation_type="op",
        workers=4,
        executor="thread",
        worst_case=Decimal("0.006"),
    )
    done = [o for o in outcomes if o.ok]
    refused = [o for o in outcomes if not o.ok]
    assert refused and all((o.error or "").startswith("UsageLimitExceededError") for o in refused)
    assert tracker.total_cost == Decimal("0.005") * len(done) <= Decimal("0.05")
    assert tracker.calls == len(done)
