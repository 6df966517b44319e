import os
import signal
from decimal import Decimal
from typing import Any

import pytest

from llmledger import CostTracker, MemoryLedger, PriceTable, Usage, UsageMissingWarning, tracked_map
from llmledger.config import parse_config

PRICES = PriceTable(
    parse_config(
        "[cost.providers.openai.gpt-4o]\nprompt_tokens_per_1k = 0.0025\ncompletion_tokens_per_1k = 0.01\n"
    ).prices
)


def call(item: int) -> tuple[int, Any]:
    """A worker: items divisible by 5 raise; others return a chat-completion-shaped dict."""
    if item % 5 == 0:
        raise RuntimeError(f"item {item} failed")
    response = {
        "id": f"chatcmpl-{item}",
        "object": "chat.completion",
        "model": "gpt-4o",
        "choices": [],
        "usage": {"prompt_tokens": 100 * item, "completion_tokens": item, "total_tokens": 101 * item},
    }
    return item * 2, response


def usage_only(item: int) -> tuple[str, Usage]:
    return f"r{item}", Usage(prompt_tokens=1000, completion_tokens=100)


def no_usage(item: int) -> tuple[int, dict[str, object]]:
    return item, {"id": f"chatcmpl-n{item}", "object": "chat.completion", "model": "gpt-4o", "choices": []}


def die_on_three(item: int) -> tuple[int, Usage]:
    if item == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return item, Usage(prompt_tokens=1000)


def test_eight_processes_record_every_call_once_and_count_failures() -> None:
    ledger = MemoryLedger()
    tracker = CostTracker(PRICES, ledger=ledger)
    items = list(range(1, 41))
    outcomes = tracked_map(
        call,
        items,
        tracker=tracker,
        operation_type="detect",
        workers=8,
        labels=lambda i: {"master_id": f"m{i}"},
    )
    assert [o.item for o in outcomes] == items
    failed = [o for o in outcomes if not o.ok]
    assert [o.item for o in failed] == [5, 10, 15, 20, 25, 30, 35, 40]
    assert failed[0].error == "RuntimeError: item 5 failed"
    assert all(o.result == o.item * 2 for o in outcomes if o.ok)
    tracker.flush()
    stats = ledger.stats()
    assert stats.totals.calls == 40
    assert stats.totals.failed_calls == 8
    ok_items = [i for i in items if i % 5]
    assert stats.totals.prompt_tokens == sum(100 * i for i in ok_items)
    expected = sum(Decimal(100 * i) * Decimal("0.0025") / 1000 + Decimal(i) * Decimal("0.01") / 1000 for i in ok_items)
    assert tracker.total_cost == expected
    records = list(ledger.records())
    assert sorted(r.labels["master_id"] for r in records) == sorted(f"m{i}" for i in items)
    assert len({r.request_id for r in records if r.success}) == 32


def test_threads_and_plain_usage() -> None:
    tracker = CostTracker(PRICES)
    outcomes = tracked_map(
        usage_only,
        range(10),
        tracker=tracker,
        operation_type="op",
        workers=3,
        executor="thread",
        labels={"layout_name": "a.jpg"},
        model="openai:gpt-4o",
    )
    assert all(o.ok for o in outcomes)
    assert [o.result for o in outcomes] == [f"r{i}" for i in range(10)]
    assert tracker.calls == 10
    assert tracker.total_cost == 10 * (Decimal("0.0025") + Decimal("0.001"))
    assert tracker.by_label("layout_name")["a.jpg"].calls == 10


def test_a_killed_worker_fails_only_its_items_and_the_map_goes_on() -> None:
    tracker = CostTracker(PRICES)
    outcomes = tracked_map(
        die_on_three, range(8), tracker=tracker, operation_type="op", workers=2, model="openai:gpt-4o"
    )
    assert len(outcomes) == 8
    dead = [o for o in outcomes if not o.ok]
    assert 3 in [o.item for o in dead]
    assert all("worker process died" in (o.error or "") for o in dead)
    assert len(dead) <= 2, "only the items in flight with the dead worker fail"
    assert tracker.calls == 8
    assert tracker.stats().totals.failed_calls == len(dead)


def test_a_response_without_usage_warns_and_is_recorded_unpriced() -> None:
    tracker = CostTracker(PRICES)
    with pytest.warns(UsageMissingWarning, match="no usage data for detect"):
        outcomes = tracked_map(no_usage, range(3), tracker=tracker, operation_type="detect", executor="thread")
    assert [o.ok for o in outcomes] == [True, True, True]
    assert [o.cost_usd for o in outcomes] == [None, None, None]
    stats = tracker.stats()
    assert (stats.totals.calls, stats.totals.unpriced_calls, stats.totals.cost_usd) == (3, 3, 0)
