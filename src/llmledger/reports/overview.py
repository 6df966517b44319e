"""Everything the HTML report shows, gathered from the ledger's SQL aggregates in a few queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ledger.base import Ledger
from ..ledger.filters import Filters
from ..ledger.record import CallRecord, SessionInfo
from .stats import SessionStats, Totals

__all__ = ["BUCKETS_S", "Overview", "collect_overview", "pick_bucket"]

BUCKETS_S = (1, 10, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400)
"""Time bucket sizes the cost-over-time chart chooses from, in seconds."""


def pick_bucket(first_ts: float | None, last_ts: float | None, *, target: int = 60) -> int:
    """The smallest bucket in :data:`BUCKETS_S` that draws the span in at most ``target`` bars."""
    span = (last_ts or 0) - (first_ts or 0)
    for bucket in BUCKETS_S:
        if span / bucket <= target:
            return bucket
    return BUCKETS_S[-1]


@dataclass(slots=True, kw_only=True)
class Overview:
    """A session's (or a whole ledger's) numbers for a report page."""

    title: str
    """What the page is about."""
    session: SessionInfo | None
    """The session, ``None`` for the whole ledger."""
    stats: SessionStats
    """Totals and the per-operation and per-model breakdowns."""
    bucket_s: int
    """The size of a cost-over-time bucket, seconds."""
    over_time: list[tuple[float, Totals]]
    """Totals per time bucket."""
    by_label: dict[str, dict[str, Totals]] = field(default_factory=dict)
    """Breakdowns by each label asked for (and ``day``)."""
    per_unit: dict[str, Totals] = field(default_factory=dict)
    """Totals per unit (empty without a unit label)."""
    top_calls: list[CallRecord] = field(default_factory=list)
    """The most expensive calls."""


def collect_overview(
    ledger: Ledger,
    session: SessionInfo | None,
    *,
    by: tuple[str, ...] = (),
    unit_label: str | None = None,
    filters: Filters | None = None,
    top: int = 20,
) -> Overview:
    """Gather a report's numbers: each one an aggregate query, never every record in Python."""
    base = (filters or Filters()).with_session(session.id if session else None)
    label = unit_label or (session.unit_label if session else None)
    stats = ledger.stats(unit_label=label, filters=base)
    bucket = pick_bucket(stats.first_ts, stats.last_ts)
    title = f"Session {session.name or session.id}" if session else "All sessions"
    return Overview(
        title=title,
        session=session,
        stats=stats,
        bucket_s=bucket,
        over_time=ledger.over_time(bucket, base),
        by_label={name: ledger.breakdown(name, filters=base) for name in by},
        per_unit=ledger.per_unit(label, base) if label else {},
        top_calls=ledger.top_calls(top, base),
    )
