"""Which calls a report covers: :class:`Filters` (time range, label values), applied in SQL or Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .record import CallRecord, LabelValue

__all__ = ["Filters", "label_text", "parse_when", "parse_where"]


def label_text(value: LabelValue) -> str | None:
    """A label value as reports group and filter it: ``true``/``false`` for booleans, ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Filters:
    """A narrowing of the calls read: a time range and label values; empty means every call.

    The ledgers apply it in SQL (the memory ledger in Python) through :meth:`matches`' rules.
    """

    session_id: str | None = None
    """Only this session's calls (the ``session_id`` argument of the ledger methods also sets it)."""
    since: float | None = None
    """Only calls at or after this time, seconds since the epoch."""
    until: float | None = None
    """Only calls before this time, seconds since the epoch."""
    where: tuple[tuple[str, str], ...] = ()
    """``(label, value)`` pairs every call must carry (values compared as text, booleans as ``true``)."""

    def with_session(self, session_id: str | None) -> Filters:
        """These filters, narrowed to ``session_id`` when it is given."""
        if session_id is None or session_id == self.session_id:
            return self
        return Filters(session_id=session_id, since=self.since, until=self.until, where=self.where)

    def matches(self, record: CallRecord) -> bool:
        """Whether ``record`` passes (the memory ledger's filter; SQL does the same)."""
        if self.session_id is not None and record.session_id != self.session_id:
            return False
        if self.since is not None and record.timestamp < self.since:
            return False
        if self.until is not None and record.timestamp >= self.until:
            return False
        return all(label_text(record.labels.get(label)) == value for label, value in self.where)


def parse_when(text: str, *, end: bool = False) -> float:
    """An ISO date or datetime as seconds since the epoch (naive means UTC).

    A bare date with ``end=True`` means the end of that day (so ``--until 2025-01-31`` includes the 31st).

    Raises:
        ValueError: the text is not an ISO date or datetime.
    """
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"expected an ISO date or datetime (2025-01-31, 2025-01-31T12:00), got {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if end and len(text.strip()) == 10:
        when += timedelta(days=1)
    return when.timestamp()


def parse_where(items: list[str] | tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``["layout_name=a.jpg", ...]`` as ``(("layout_name", "a.jpg"), ...)``.

    Raises:
        ValueError: an item without ``=`` or with an empty label.
    """
    pairs = []
    for item in items:
        label, sep, value = item.partition("=")
        if not sep or not label.strip():
            raise ValueError(f"expected label=value, got {item!r}")
        pairs.append((label.strip(), value))
    return tuple(pairs)
