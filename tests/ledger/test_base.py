"""Behaviour every ledger shares (the :class:`~llmledger.ledger.Ledger` protocol), run on each kind."""

from decimal import Decimal

from llmledger import CallRecord
from llmledger.ledger import Ledger
from llmledger.ledger.record import SessionInfo


def make(i: int, **kw: object) -> CallRecord:
    base: dict[str, object] = {
        "id": f"r{i}",
        "timestamp": 1_700_000_000.0 + i,
        "session_id": "s1",
        "operation_type": "op",
        "provider": "openai",
        "model": "gpt-4o",
        "prompt_tokens": 100,
        "completion_tokens": 10,
        "cached_tokens": 50,
        "cost_usd": Decimal("0.000123456789"),
        "labels": {"layout_name": f"l{i % 3}", "master_id": f"m{i}"},
    }
    base.update(kw)
    return CallRecord(**base)  # type: ignore[arg-type]


def test_round_trip_keeps_every_field(ledger: Ledger) -> None:
    record = make(
        1,
        images=(("hd", "1792x1024", 2),),
        price={"prompt_per_million": "2.5"},
        price_source="catalog",
        price_detail="genai-prices",
        request_id="chatcmpl-1",
        latency_s=0.25,
        reasoning_tokens=3,
        cache_write_tokens=7,
    )
    ledger.write([record])
    (back,) = list(ledger.records("s1"))
    assert back == record


def test_unknown_cost_stays_none(ledger: Ledger) -> None:
    ledger.write([make(1, cost_usd=None), make(2)])
    costs = [r.cost_usd for r in ledger.records()]
    assert costs == [None, Decimal("0.000123456789")]
    stats = ledger.stats("s1")
    assert stats.totals.unpriced_calls == 1
    assert stats.totals.cost_usd == Decimal("0.000123456789")


def test_duplicate_request_id_refused_and_reported(ledger: Ledger) -> None:
    first = make(1, request_id="chatcmpl-abc")
    assert ledger.write([first]) == []
    again = make(2, request_id="chatcmpl-abc")
    assert ledger.write([again, make(3)]) == [again]
    assert [r.id for r in ledger.records()] == ["r1", "r3"]


def test_rewriting_the_same_batch_is_idempotent(ledger: Ledger) -> None:
    batch = [make(i, request_id=f"req-{i}") for i in range(5)]
    assert ledger.write(batch) == []
    assert ledger.write(batch) == []  # a retried batch: same record ids, nothing added, nothing refused
    assert len(list(ledger.records())) == 5


def test_stats_and_breakdowns(ledger: Ledger) -> None:
    ledger.write([make(i, operation_type="a" if i < 4 else "b") for i in range(6)])
    ledger.write(
        [
            make(
                9,
                success=False,
                error="boom",
                cost_usd=None,
                prompt_tokens=0,
                completion_tokens=0,
                cached_tokens=0,
            )
        ]
    )
    stats = ledger.stats("s1", unit_label="layout_name")
    assert stats.totals.calls == 7
    assert stats.totals.failed_calls == 1
    assert stats.totals.prompt_tokens == 600
    assert stats.totals.cost_usd == Decimal("0.000123456789") * 6
    assert stats.units == 3
    assert {k: v.calls for k, v in stats.by_operation.items()} == {"a": 4, "b": 2, "op": 1}
    by_layout = ledger.breakdown("layout_name", "s1")
    assert {k: v.calls for k, v in by_layout.items()} == {"l0": 3, "l1": 2, "l2": 2}
    assert ledger.breakdown("model")["gpt-4o"].calls == 7


def test_sessions(ledger: Ledger) -> None:
    ledger.add_session(SessionInfo(id="b", started_at=2.0, unit_label="layout_name", name="hybrid"))
    ledger.add_session(SessionInfo(id="a", started_at=1.0))
    ledger.add_session(SessionInfo(id="a", started_at=5.0))
    assert [(s.id, s.name) for s in ledger.sessions()] == [("a", None), ("b", "hybrid")]


def test_same_request_id_twice_in_one_batch_is_refused(ledger: Ledger) -> None:
    first = make(1, request_id="chatcmpl-x")
    second = make(2, request_id="chatcmpl-x")
    assert ledger.write([first, second]) == [second]
    assert [r.id for r in ledger.records()] == ["r1"]


def test_boolean_labels_group_the_same_everywhere(ledger: Ledger) -> None:
    ledger.write([make(1, labels={"cached": True}), make(2, labels={"cached": False}), make(3, labels={"cached": 1})])
    groups = {k: v.calls for k, v in ledger.breakdown("cached").items()}
    assert groups == {"true": 1, "false": 1, "1": 1}
