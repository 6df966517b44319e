"""A ledger that keeps records in memory: for tests, short scripts and the tracker's default."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from ..reports.stats import SessionStats, Totals, aggregate, breakdown, over_time, per_unit, top_calls
from .filters import Filters
from .record import CallRecord, SessionInfo

__all__ = ["MemoryLedger"]


class MemoryLedger:
    """Records in a list, with the same duplicate rules as the database ledgers."""

    def __init__(self) -> None:
        self._records: list[CallRecord] = []
        self._ids: set[str] = set()
        self._request_ids: set[str] = set()
        self._sessions: dict[str, SessionInfo] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryLedger({len(self._records)} records)"

    def __len__(self) -> int:
        return len(self._records)

    def write(self, records: Sequence[CallRecord]) -> list[CallRecord]:
        """Keep records; return those whose ``request_id`` was already kept."""
        refused: list[CallRecord] = []
        with self._lock:
            for record in records:
                if record.id in self._ids:
                    continue
                if record.request_id is not None:
                    if record.request_id in self._request_ids:
                        refused.append(record)
                        continue
                    self._request_ids.add(record.request_id)
                self._ids.add(record.id)
                self._records.append(record)
        return refused

    def add_session(self, session: SessionInfo) -> None:
        """Keep a session."""
        with self._lock:
            self._sessions.setdefault(session.id, session)

    def sessions(self) -> list[SessionInfo]:
        """Every session, oldest first."""
        with self._lock:
            return sorted(self._sessions.values(), key=lambda s: s.started_at)

    def records(self, session_id: str | None = None, *, filters: Filters | None = None) -> Iterator[CallRecord]:
        """The records of one session, or all, in time order."""
        return iter(self._chosen(filters, session_id))

    def _chosen(self, filters: Filters | None, session_id: str | None = None) -> list[CallRecord]:
        wanted = (filters or Filters()).with_session(session_id)
        with self._lock:
            return sorted((r for r in self._records if wanted.matches(r)), key=lambda r: r.timestamp)

    def stats(
        self, session_id: str | None = None, *, unit_label: str | None = None, filters: Filters | None = None
    ) -> SessionStats:
        """Aggregate in Python."""
        session = session_id if session_id is not None else (filters.session_id if filters else None)
        return aggregate(self._chosen(filters, session_id), session_id=session, unit_label=unit_label)

    def breakdown(self, by: str, session_id: str | None = None, *, filters: Filters | None = None) -> dict[str, Totals]:
        """Totals per group."""
        return breakdown(self._chosen(filters, session_id), by)

    def per_unit(self, unit_label: str, filters: Filters | None = None) -> dict[str, Totals]:
        """Totals per value of ``unit_label``."""
        return per_unit(self._chosen(filters), unit_label)

    def over_time(self, bucket_s: float, filters: Filters | None = None) -> list[tuple[float, Totals]]:
        """Totals per time bucket of ``bucket_s`` seconds."""
        return over_time(self._chosen(filters), bucket_s)

    def top_calls(self, n: int, filters: Filters | None = None) -> list[CallRecord]:
        """The ``n`` most expensive calls, dearest first."""
        return top_calls(self._chosen(filters), n)

    def close(self) -> None:
        """Nothing to release."""
