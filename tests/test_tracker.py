import asyncio
import json
import threading
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from openai.types.chat import ChatCompletion

from llmledger import (
    CallRecord,
    CostTracker,
    LedgerError,
    MemoryLedger,
    PriceTable,
    PricingNotConfiguredError,
    SQLiteLedger,
    UsageMissingWarning,
)
from llmledger.config import parse_config
from llmledger.ledger.record import SessionInfo

O3 = parse_config(
    """
    [cost.providers.openai.o3]
    prompt_tokens_per_1k = 0.002
    completion_tokens_per_1k = 0.008
    cached_prompt_tokens_per_1k = 0.0005
    """
)


def prices(strict: bool = False) -> PriceTable:
    return PriceTable(O3.prices, strict=strict)


class Clock:
    def __init__(self) -> None:
        self.now = 1_767_225_600.0  # 2026-01-01T00:00:00Z

    def __call__(self) -> float:
        self.now += 1
        return self.now


def chat(id_: str, prompt: int, completion: int, cached: int = 0, model: str = "o3") -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": id_,
            "object": "chat.completion",
            "created": 1,
            "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "{}"}}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": cached},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        }
    )


def test_o3_call_costs_exactly_and_appears_in_report() -> None:
    tracker = CostTracker(prices(), unit_label="layout_name", session="s1", clock=Clock())
    cost = tracker.track_api_call(
        "one_at_a_time_detection",
        model="o3",
        prompt_tokens=1200,
        completion_tokens=150,
        layout_name="test_layout.jpg",
        master_id="1011A_1011_05",
    )
    assert cost == Decimal("0.0036")
    report = tracker.report()
    assert report["session_summary"]["total_cost"] == Decimal("0.0036")
    assert report["session_summary"]["operation_breakdown"] == {"one_at_a_time_detection": 1}
    (call,) = report["detailed_api_calls"]
    assert call == {
        "operation_type": "one_at_a_time_detection",
        "layout_name": "test_layout.jpg",
        "master_id": "1011A_1011_05",
        "model": "o3",
        "token_usage": {
            "prompt_tokens": 1200,
            "completion_tokens": 150,
            "total_tokens": 1350,
            "cached_tokens": 0,
        },
        "total_cost": Decimal("0.0036"),
        "timestamp": "2026-01-01T00:00:02+00:00",
    }


def test_report_file_round_trips_exact_decimals(tmp_path: Path) -> None:
    tracker = CostTracker(prices(), session="s1")
    for _ in range(3):
        tracker.track_api_call("op", model="o3", prompt_tokens=1, completion_tokens=1)
    path = tracker.write_report(tmp_path / "out" / "report.json")
    text = path.read_text()
    assert '"total_cost": 0.000030' in text  # a JSON number, not a string
    data = json.loads(text, parse_float=Decimal)
    assert data["session_summary"]["total_cost"] == Decimal("0.00003")
    assert sum(c["total_cost"] for c in data["detailed_api_calls"]) == tracker.total_cost


EXPECTED_SUMMARY = """\
COST TRACKING SUMMARY
============================================================
Total cost: $0.1168
Total tokens: 55,350
  - Input tokens: 49,200
  - Output tokens: 6,150
  - Cached tokens: 20,500
Total API calls: 41
Layouts processed: 1
Averages:
  - Cost per layout: $0.1168
  - Tokens per layout: 55,350.0
  - API calls per layout: 41.0
  - Cost per 1K tokens: $0.0021
Operation breakdown:
  - one_at_a_time_detection: 41 calls
============================================================"""


def test_summary_layout_for_known_calls() -> None:
    tracker = CostTracker(prices(), unit_label="layout_name")
    for i in range(41):
        tracker.track_api_call(
            "one_at_a_time_detection",
            model="o3",
            prompt_tokens=1200,
            completion_tokens=150,
            cached_tokens=500,
            layout_name="test_layout.jpg",
            master_id=f"m{i}",
        )
    # per call: 700*0.002/1k + 500*0.0005/1k + 150*0.008/1k = 0.0014 + 0.00025 + 0.0012 = 0.00285
    assert tracker.total_cost == Decimal("0.00285") * 41
    # $0.11685 shows as $0.1168 (banker's rounding, display only); 0.11685 / 55.35K tokens = $0.0021
    assert tracker.summary() == EXPECTED_SUMMARY


def test_summary_pluralises_unit_label_and_lists_operations_by_count() -> None:
    tracker = CostTracker(prices(), unit_label="batch")
    tracker.track_api_call("b_op", model="o3", prompt_tokens=1, completion_tokens=1, batch="x")
    for _ in range(2):
        tracker.track_api_call("a_op", model="o3", prompt_tokens=1, completion_tokens=1, batch="y")
    text = tracker.summary()
    assert "Batches processed: 2" in text
    assert "  - Cost per batch:" in text
    assert text.index("a_op: 2 calls") < text.index("b_op: 1 calls")


def test_threads_give_exact_totals() -> None:
    ledger = MemoryLedger()
    tracker = CostTracker(prices(), ledger=ledger, batch_size=64)

    def work(t: int) -> None:
        for i in range(1000):
            tracker.track_api_call("op", model="o3", prompt_tokens=1000 + t, completion_tokens=i % 7, worker=t)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tracker.flush()
    expected_prompt = sum(1000 + t for t in range(32)) * 1000
    expected_completion = 32 * sum(i % 7 for i in range(1000))
    assert tracker.calls == 32_000
    assert tracker.total_tokens == expected_prompt + expected_completion
    assert (
        tracker.total_cost
        == (Decimal(expected_prompt) * Decimal("0.002") + Decimal(expected_completion) * Decimal("0.008")) / 1000
    )
    assert len(ledger) == 32_000
    assert len({r.id for r in ledger.records()}) == 32_000
    assert ledger.stats().totals.cost_usd == tracker.total_cost


async def test_asyncio_tasks_give_exact_totals() -> None:
    tracker = CostTracker(prices())

    async def work(t: int) -> None:
        for _ in range(100):
            tracker.track_api_call("op", model="o3", prompt_tokens=10, completion_tokens=1, task=t)
            await asyncio.sleep(0)

    await asyncio.gather(*(work(t) for t in range(50)))
    assert tracker.calls == 5000
    assert tracker.total_cost == Decimal("0.000028") * 5000


def test_track_real_sdk_response_takes_model_and_id() -> None:
    ledger = MemoryLedger()
    tracker = CostTracker(prices(), ledger=ledger)
    cost = tracker.track(chat("chatcmpl-1", 2000, 100, cached=1024), "detect", layout_name="a.jpg")
    # 976 * 0.002/1k + 1024 * 0.0005/1k + 100 * 0.008/1k
    assert cost == Decimal("0.001952") + Decimal("0.000512") + Decimal("0.0008")
    tracker.flush()
    (record,) = ledger.records()
    assert record.request_id == "chatcmpl-1"
    assert record.model == "o3"
    assert record.provider == "openai"
    assert record.cached_tokens == 1024
    assert record.labels == {"layout_name": "a.jpg"}
    assert record.price_source == "config"


def test_response_without_usage_warns_and_records_unpriced(caplog: pytest.LogCaptureFixture) -> None:
    tracker = CostTracker(prices())
    response = {"id": "x", "object": "chat.completion", "model": "o3", "choices": []}
    with pytest.warns(UsageMissingWarning, match="no usage data"):
        cost = tracker.track(response, "detect")
    assert cost is None
    assert "no usage data" in caplog.text
    stats = tracker.stats()
    assert stats.totals.calls == 1
    assert stats.totals.unpriced_calls == 1
    assert tracker.total_cost == 0
    (record,) = tracker.records()
    assert record.cost_usd is None
    assert record.price_source is None
    assert "no usage data" in tracker.summary() or "Unpriced API calls" in tracker.summary()


def test_same_request_id_counts_once_in_a_session() -> None:
    tracker = CostTracker(prices())
    response = chat("chatcmpl-dup", 100, 10)
    tracker.track(response, "op")
    tracker.track(response, "op")
    tracker.track_api_call("op", model="o3", prompt_tokens=5, completion_tokens=5, request_id="chatcmpl-dup")
    assert tracker.calls == 1
    assert len(list(tracker.records())) == 1


def test_same_request_id_across_sessions_counts_once(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    with CostTracker(prices(), ledger=SQLiteLedger(path)) as first:
        first.track(chat("chatcmpl-shared", 100, 10), "op")
    second = CostTracker(prices(), ledger=SQLiteLedger(path))
    second.track(chat("chatcmpl-shared", 100, 10), "op")
    second.track(chat("chatcmpl-new", 100, 10), "op")
    assert second.calls == 2
    second.flush()  # the ledger refuses the duplicate; the tracker takes it back out of its totals
    assert second.calls == 1
    assert second.total_cost == Decimal("0.00028")
    assert SQLiteLedger(path).stats().totals.calls == 2


def test_track_failure_counts_without_tokens() -> None:
    tracker = CostTracker(prices())
    tracker.track_failure("detect", TimeoutError("read timed out"), model="o3", layout_name="a.jpg")
    stats = tracker.stats()
    assert (stats.totals.calls, stats.totals.failed_calls, stats.totals.total_tokens) == (1, 1, 0)
    (record,) = tracker.records()
    assert record.success is False
    assert record.error == "TimeoutError: read timed out"
    assert "Failed API calls: 1" in tracker.summary()


def test_strict_mode_records_then_raises() -> None:
    tracker = CostTracker(prices(strict=True))
    with pytest.raises(PricingNotConfiguredError, match="provider=openai, model=gpt-4o"):
        tracker.track_api_call("op", model="openai:gpt-4o", prompt_tokens=1, completion_tokens=1)
    assert tracker.stats().totals.unpriced_calls == 1


def test_breakdowns_by_operation_model_and_label() -> None:
    tracker = CostTracker(prices())
    tracker.track_api_call("a", model="o3", prompt_tokens=1000, completion_tokens=0, layout_name="x")
    tracker.track_api_call("b", model="o3", prompt_tokens=1000, completion_tokens=0, layout_name="y")
    tracker.track_api_call("b", model="o3", prompt_tokens=1000, completion_tokens=0, layout_name="y")
    assert {k: v.calls for k, v in tracker.by_operation().items()} == {"a": 1, "b": 2}
    assert tracker.by_model()["o3"].cost_usd == Decimal("0.006")
    by_layout = tracker.by_label("layout_name")
    assert by_layout["y"].cost_usd == Decimal("0.004")


def test_writes_are_batched(tmp_path: Path) -> None:
    ledger = SQLiteLedger(tmp_path / "l.db")
    clock = Clock()
    tracker = CostTracker(prices(), ledger=ledger, batch_size=10, flush_interval_s=3600, clock=clock)
    for _ in range(9):
        tracker.track_api_call("op", model="o3", prompt_tokens=1, completion_tokens=1)
    assert ledger.stats().totals.calls == 0
    assert tracker.pending == 9
    tracker.track_api_call("op", model="o3", prompt_tokens=1, completion_tokens=1)
    assert ledger.stats().totals.calls == 10
    tracker.track_api_call("op", model="o3", prompt_tokens=1, completion_tokens=1)
    tracker.close()
    assert ledger.stats().totals.calls == 11
    assert [s.id for s in ledger.sessions()] == [tracker.session_id]


class FlakyLedger(MemoryLedger):
    def __init__(self) -> None:
        super().__init__()
        self.down = True

    def write(self, records: Sequence[CallRecord]) -> list[CallRecord]:
        if self.down:
            raise ConnectionError("ledger unreachable")
        return super().write(records)

    def add_session(self, session: SessionInfo) -> None:
        if self.down:
            raise ConnectionError("ledger unreachable")
        super().add_session(session)


def test_unreachable_ledger_fails_loudly_at_flush_and_keeps_records() -> None:
    ledger = FlakyLedger()
    tracker = CostTracker(prices(), ledger=ledger, batch_size=2)
    for _ in range(5):  # automatic flushes fail quietly and keep the records
        tracker.track_api_call("op", model="o3", prompt_tokens=1, completion_tokens=1)
    assert tracker.pending == 5
    with pytest.raises(LedgerError, match="ledger unreachable"):
        tracker.flush()
    assert tracker.pending == 5
    ledger.down = False
    tracker.flush()
    assert tracker.pending == 0
    assert len(ledger) == 5
