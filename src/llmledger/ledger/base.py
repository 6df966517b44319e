"""The :class:`Ledger` protocol: where call records go, and where reports read them back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from ..reports.stats import SessionStats, Totals
from .filters import Filters
from .record import CallRecord, SessionInfo

__all__ = ["Ledger"]


@runtime_checkable
class Ledger(Protocol):
    """A store of call records. Implementations: memory, SQLite, PostgreSQL.

    ``write`` must be idempotent on the record id (a retried batch adds nothing twice) and must
    refuse a record whose ``request_id`` is already stored, returning it, so it is not counted twice.
    """

    def write(self, records: Sequence[CallRecord]) -> list[CallRecord]:
        """Store records durably; return those refused because their ``request_id`` was already stored."""
        ...

    def add_session(self, session: SessionInfo) -> None:
        """Record a session (ignored when it is already there)."""
        ...

    def sessions(self) -> list[SessionInfo]:
        """Every session, oldest first."""
        ...

    def records(self, session_id: str | None = None, *, filters: Filters | None = None) -> Iterator[CallRecord]:
        """The records of one session, or all (those ``filters`` keeps), in time order."""
        ...

    def stats(
        self, session_id: str | None = None, *, unit_label: str | None = None, filters: Filters | None = None
    ) -> SessionStats:
        """Totals and breakdowns by operation and model of the calls ``filters`` keeps, aggregated by the store."""
        ...

    def breakdown(self, by: str, session_id: str | None = None, *, filters: Filters | None = None) -> dict[str, Totals]:
        """Totals per operation, model, provider, UTC day (``day``), or value of the label ``by``."""
        ...

    def per_unit(self, unit_label: str, filters: Filters | None = None) -> dict[str, Totals]:
        """Totals per value of ``unit_label`` (calls without the label are left out)."""
        ...

    def over_time(self, bucket_s: float, filters: Filters | None = None) -> list[tuple[float, Totals]]:
        """Totals per time bucket of ``bucket_s`` seconds: (bucket start, totals), oldest first."""
        ...

    def top_calls(self, n: int, filters: Filters | None = None) -> list[CallRecord]:
        """The ``n`` most expensive calls, dearest first (unpriced last)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
