"""Report queries (filters, per unit, over time, top calls, by day) and compare/estimate, on every ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from llmledger.ledger import Ledger
from llmledger.ledger.filters import Filters, parse_when
from llmledger.ledger.record import CallRecord, SessionInfo
from llmledger.reports.compare import compare_sessions
from llmledger.reports.estimate import estimate_session

DAY1 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC).timestamp()
DAY2 = datetime(2025, 3, 2, 10, 0, tzinfo=UTC).timestamp()
A = SessionInfo(id="sess-a", started_at=DAY1, unit_label="doc", name="one_at_a_time")
B = SessionInfo(id="sess-b", started_at=DAY1 + 1, unit_label="doc", name="hybrid")


def _call(i: int, session: str, doc: str | None, cost: str | None, ts: float, **extra: object) -> CallRecord:
    labels = {"doc": doc} if doc is not None else {}
    labels.update(extra)  # type: ignore[arg-type]
    return CallRecord(
        id=f"{session}-{i}",
        timestamp=ts,
        session_id=session,
        operation_type="detect" if i % 2 else "count",
        model="gpt-4o",
        prompt_tokens=100,
        completion_tokens=10,
        cost_usd=None if cost is None else Decimal(cost),
        labels=labels,
    )


@pytest.fixture
def filled(ledger: Ledger) -> Ledger:
    """A: 4 docs x 2 calls at $0.01 (docs 1-2 on day 1, 3-4 on day 2); B: 4 docs x 1 call at $0.002."""
    ledger.add_session(A)
    ledger.add_session(B)
    records = []
    for d in range(4):
        ts = DAY1 if d < 2 else DAY2
        for k in range(2):
            records.append(_call(2 * d + k, "sess-a", f"doc{d}", "0.01", ts + k, flag=d % 2 == 0))
        records.append(_call(d, "sess-b", f"doc{d}", "0.002", ts + 5))
    records.append(_call(99, "sess-a", None, None, DAY2 + 50))  # no unit, unpriced
    ledger.write(records)
    return ledger


def test_compare_saving_is_exact(filled: Ledger) -> None:
    c = compare_sessions(filled, A, B)
    assert c.unit_label == "doc"
    assert c.totals_a.cost_usd == Decimal("0.08") and c.totals_a.calls == 9
    assert c.totals_b.cost_usd == Decimal("0.008") and c.totals_b.calls == 4
    assert c.saving_percent == Decimal("90.00")  # 1 - 0.008 / 0.08
    assert [u.unit for u in c.units] == ["doc0", "doc1", "doc2", "doc3"]
    assert all(u.a is not None and u.a.cost_usd == Decimal("0.02") and u.a.calls == 2 for u in c.units)
    assert all(u.saving_percent == Decimal("90.00") for u in c.units)
    assert c.cost_per_unit_a == Decimal("0.02") and c.cost_per_unit_b == Decimal("0.002")
    assert c.saving_per_unit_percent == Decimal("90.00")


def test_compare_with_filters(filled: Ledger) -> None:
    day2 = Filters(since=parse_when("2025-03-02"), until=parse_when("2025-03-02", end=True))
    c = compare_sessions(filled, A, B, filters=day2)
    assert [u.unit for u in c.units] == ["doc2", "doc3"]
    assert c.totals_a.calls == 5 and c.totals_a.unpriced_calls == 1
    only_doc1 = compare_sessions(filled, A, B, filters=Filters(where=(("doc", "doc1"),)))
    assert only_doc1.totals_a.cost_usd == Decimal("0.02") and only_doc1.totals_b.cost_usd == Decimal("0.002")


def test_estimate_degenerate_sample_is_exact(filled: Ledger) -> None:
    e = estimate_session(filled, A, 10_000)
    assert e.sample_units == 4
    assert e.mean_cost_per_unit == Decimal("0.02")
    assert e.projected_cost == e.low == e.high == Decimal("200")
    assert e.budget == Decimal("200")
    assert e.expected_calls == 20_000  # 8 unit calls / 4 units (the unlabelled call is no unit's)
    assert e.expected_tokens == 20_000 * 110
    assert e.warnings and "only 4 units" in e.warnings[0]


def test_breakdown_by_day_label_filter_and_bool(filled: Ledger) -> None:
    days = filled.breakdown("day", "sess-a")
    assert {k: v.calls for k, v in days.items()} == {"2025-03-01": 4, "2025-03-02": 5}
    flags = filled.breakdown("flag", "sess-a")
    assert {k: v.calls for k, v in flags.items()} == {"true": 4, "false": 4, "(none)": 1}
    true_only = filled.stats("sess-a", filters=Filters(where=(("flag", "true"),)))
    assert true_only.totals.calls == 4 and true_only.totals.cost_usd == Decimal("0.04")


def test_per_unit_over_time_top_calls(filled: Ledger) -> None:
    a = Filters(session_id="sess-a")
    units = filled.per_unit("doc", a)
    assert {k: (v.calls, v.cost_usd) for k, v in units.items()} == {f"doc{d}": (2, Decimal("0.02")) for d in range(4)}
    buckets = filled.over_time(86400, a)
    assert [(datetime.fromtimestamp(ts, tz=UTC).date().isoformat(), t.calls) for ts, t in buckets] == [
        ("2025-03-01", 4),
        ("2025-03-02", 5),
    ]
    top = filled.top_calls(3)
    assert [r.cost_usd for r in top] == [Decimal("0.01")] * 3
    assert filled.top_calls(20, a)[-1].cost_usd is None  # unpriced last
    assert len(list(filled.records(filters=Filters(where=(("doc", "doc3"),))))) == 3


def test_stats_with_filters_matches_python(filled: Ledger) -> None:
    from llmledger.reports.stats import aggregate

    f = Filters(session_id="sess-a", since=DAY1 + 0.5)
    stats = filled.stats(unit_label="doc", filters=f)
    expected = aggregate((r for r in filled.records("sess-a") if r.timestamp >= DAY1 + 0.5), unit_label="doc")
    assert stats.totals == expected.totals
    assert stats.units == expected.units == 4
    assert stats.by_operation == expected.by_operation
