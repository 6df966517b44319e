"""Aggregates of call records: :class:`Totals` and :class:`SessionStats`.

Pure data and pure functions; the ledgers fill these with SQL, the tracker incrementally.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..ledger.record import CallRecord
from ..money import ZERO

__all__ = [
    "SessionStats",
    "Totals",
    "aggregate",
    "breakdown",
    "counts_to_totals",
    "group_key",
    "over_time",
    "per_unit",
    "top_calls",
    "totals_to_counts",
]

DAY = "day"
"""The breakdown key that groups calls by UTC calendar day (``2025-01-31``)."""


@dataclass(slots=True, kw_only=True)
class Totals:
    """Sums over a set of calls."""

    calls: int = 0
    """Calls recorded, failed ones included."""
    failed_calls: int = 0
    """Calls that failed."""
    unpriced_calls: int = 0
    """Successful calls whose cost is unknown."""
    prompt_tokens: int = 0
    """Input tokens (cache included)."""
    completion_tokens: int = 0
    """Output tokens (reasoning included)."""
    cached_tokens: int = 0
    """Cache-read input tokens."""
    cache_write_tokens: int = 0
    """Cache-write input tokens."""
    reasoning_tokens: int = 0
    """Reasoning output tokens."""
    images: int = 0
    """Images generated."""
    cost_usd: Decimal = ZERO
    """Sum of the known costs (unpriced calls add nothing; see ``unpriced_calls``)."""

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost_per_1k_tokens(self) -> Decimal | None:
        """Cost per 1,000 tokens, ``None`` without tokens."""
        return self.cost_usd * 1000 / self.total_tokens if self.total_tokens else None

    def add(self, record: CallRecord) -> None:
        """Add one record."""
        self.calls += 1
        if not record.success:
            self.failed_calls += 1
        elif record.cost_usd is None:
            self.unpriced_calls += 1
        self.prompt_tokens += record.prompt_tokens
        self.completion_tokens += record.completion_tokens
        self.cached_tokens += record.cached_tokens
        self.cache_write_tokens += record.cache_write_tokens
        self.reasoning_tokens += record.reasoning_tokens
        if record.images:
            self.images += record.image_count
        if record.cost_usd is not None:
            self.cost_usd += record.cost_usd

    def remove(self, record: CallRecord) -> None:
        """Take one record back out (a duplicate the ledger refused)."""
        self.calls -= 1
        if not record.success:
            self.failed_calls -= 1
        elif record.cost_usd is None:
            self.unpriced_calls -= 1
        self.prompt_tokens -= record.prompt_tokens
        self.completion_tokens -= record.completion_tokens
        self.cached_tokens -= record.cached_tokens
        self.cache_write_tokens -= record.cache_write_tokens
        self.reasoning_tokens -= record.reasoning_tokens
        self.images -= record.image_count
        if record.cost_usd is not None:
            self.cost_usd -= record.cost_usd

    def merged(self, other: Totals) -> Totals:
        """The sum of two totals."""
        return Totals(
            calls=self.calls + other.calls,
            failed_calls=self.failed_calls + other.failed_calls,
            unpriced_calls=self.unpriced_calls + other.unpriced_calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            images=self.images + other.images,
            cost_usd=self.cost_usd + other.cost_usd,
        )


@dataclass(slots=True, kw_only=True)
class SessionStats:
    """Totals of a session (or of a whole ledger) and its breakdowns."""

    session_id: str | None
    """The session, or ``None`` for several."""
    unit_label: str | None = None
    """The label that groups calls into units (``layout_name``)."""
    totals: Totals = field(default_factory=Totals)
    """Sums over every call."""
    units: int = 0
    """Distinct values of ``unit_label`` seen."""
    by_operation: dict[str, Totals] = field(default_factory=dict)
    """Totals per ``operation_type``."""
    by_model: dict[str, Totals] = field(default_factory=dict)
    """Totals per model."""
    first_ts: float | None = None
    """Timestamp of the first call."""
    last_ts: float | None = None
    """Timestamp of the last call."""


def group_key(record: CallRecord, by: str) -> str:
    """The group a record falls in for a breakdown ``by`` operation, model, provider or a label."""
    if by == "operation":
        return record.operation_type
    if by == "model":
        return record.model or "unknown"
    if by == "provider":
        return record.provider or "unknown"
    if by == DAY:
        return datetime.fromtimestamp(record.timestamp, tz=UTC).date().isoformat()
    value = record.labels.get(by)
    if value is None:
        return "(none)"
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def aggregate(
    records: Iterable[CallRecord], *, session_id: str | None = None, unit_label: str | None = None
) -> SessionStats:
    """Aggregate records in Python (the memory ledger and tests use this; SQL ledgers use SQL)."""
    stats = SessionStats(session_id=session_id, unit_label=unit_label)
    units: set[str] = set()
    for record in records:
        stats.totals.add(record)
        stats.by_operation.setdefault(record.operation_type, Totals()).add(record)
        stats.by_model.setdefault(record.model or "unknown", Totals()).add(record)
        if unit_label is not None and record.labels.get(unit_label) is not None:
            units.add(str(record.labels[unit_label]))
        stats.first_ts = record.timestamp if stats.first_ts is None else min(stats.first_ts, record.timestamp)
        stats.last_ts = record.timestamp if stats.last_ts is None else max(stats.last_ts, record.timestamp)
    stats.units = len(units)
    return stats


def breakdown(records: Iterable[CallRecord], by: str) -> dict[str, Totals]:
    """Totals per group of ``by`` (operation, model, provider or any label)."""
    groups: dict[str, Totals] = {}
    for record in records:
        groups.setdefault(group_key(record, by), Totals()).add(record)
    return groups


def per_unit(records: Iterable[CallRecord], unit_label: str) -> dict[str, Totals]:
    """Totals per value of ``unit_label``; calls without the label belong to no unit and are left out."""
    from ..ledger.filters import label_text

    units: dict[str, Totals] = {}
    for record in records:
        unit = label_text(record.labels.get(unit_label))
        if unit is not None:
            units.setdefault(unit, Totals()).add(record)
    return units


def over_time(records: Iterable[CallRecord], bucket_s: float) -> list[tuple[float, Totals]]:
    """Totals per time bucket of ``bucket_s`` seconds (bucket start, totals), oldest first, empty buckets left out."""
    if bucket_s <= 0:
        raise ValueError(f"bucket_s must be positive, got {bucket_s}")
    buckets: dict[float, Totals] = {}
    for record in records:
        start = (record.timestamp // bucket_s) * bucket_s
        buckets.setdefault(start, Totals()).add(record)
    return sorted(buckets.items())


def top_calls(records: Iterable[CallRecord], n: int) -> list[CallRecord]:
    """The ``n`` most expensive calls, dearest first (unpriced calls last; ties by time)."""
    return heapq.nsmallest(
        n,
        records,
        key=lambda r: (r.cost_usd is None, -(r.cost_usd or 0), r.timestamp, r.id),
    )


def counts_to_totals(counts: list[Any]) -> Totals:
    """A :class:`Totals` from the tracker's compact running sums.

    The layout: ``[calls, failed, unpriced, prompt, completion, cached, cache_write, reasoning,
    images, cost_usd]``.
    """
    return Totals(
        calls=counts[0],
        failed_calls=counts[1],
        unpriced_calls=counts[2],
        prompt_tokens=counts[3],
        completion_tokens=counts[4],
        cached_tokens=counts[5],
        cache_write_tokens=counts[6],
        reasoning_tokens=counts[7],
        images=counts[8],
        cost_usd=counts[9],
    )


def totals_to_counts(totals: Totals) -> list[Any]:
    """The compact running sums of :func:`counts_to_totals`, back from a :class:`Totals`."""
    return [
        totals.calls,
        totals.failed_calls,
        totals.unpriced_calls,
        totals.prompt_tokens,
        totals.completion_tokens,
        totals.cached_tokens,
        totals.cache_write_tokens,
        totals.reasoning_tokens,
        totals.images,
        totals.cost_usd,
    ]
