"""SQL shared by the database ledgers: inserts and aggregation queries.

The queries are written once; a :class:`Dialect` holds what differs: the placeholder, how a label
is read out of the ``labels`` JSON column, and how a timestamp becomes a day or a time bucket.
Every report reads sums from the database; only the grouped rows cross into Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from ..reports.stats import DAY, SessionStats, Totals
from .filters import Filters
from .record import COLUMNS, CallRecord

__all__ = [
    "Dialect",
    "Query",
    "SQLReads",
    "aggregate_sql",
    "insert_sql",
    "query_breakdown",
    "query_over_time",
    "query_per_unit",
    "query_stats",
    "query_top_calls",
    "totals_from_row",
    "where_sql",
]

Query = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]
"""Runs one statement with its parameters and returns every row."""

_SUMS = (
    "COUNT(*)",
    "SUM(CASE WHEN success THEN 0 ELSE 1 END)",
    # cost_pusd and cost_usd are NULL together; cost_pusd is in the covering index (schema v3)
    "SUM(CASE WHEN success AND cost_pusd IS NULL THEN 1 ELSE 0 END)",
    "SUM(prompt_tokens)",
    "SUM(completion_tokens)",
    "SUM(cached_tokens)",
    "SUM(cache_write_tokens)",
    "SUM(reasoning_tokens)",
    "SUM(images)",
    "SUM(cost_pusd)",
)
_BY_COLUMN = {"operation": "operation_type", "model": "model", "provider": "provider"}


@dataclass(frozen=True, slots=True)
class Dialect:
    """What the SQL of one database says differently."""

    placeholder: str
    """The parameter marker: ``?`` or ``%s``."""
    label_expr: Callable[[str], tuple[str, tuple[Any, ...]]]
    """The SQL text (and its parameters) of a label's value as text, ``NULL`` when absent."""
    day_expr: str
    """The SQL text of ``ts`` as its UTC day, ``YYYY-MM-DD``."""
    bucket_expr: str
    """The SQL text of the start of ``ts``'s bucket; two placeholders, both the bucket in seconds."""


def insert_sql(placeholder: str, conflict: tuple[str, str]) -> str:
    """``INSERT`` of one call row; ``conflict`` is (text after INSERT, text at the end)."""
    values = ", ".join([placeholder] * len(COLUMNS))
    return f"INSERT {conflict[0]}INTO llmledger_calls ({', '.join(COLUMNS)}) VALUES ({values}){conflict[1]}"


def aggregate_sql(group: str | None, where: str) -> str:
    """Sums over the calls matching ``where``, grouped by the SQL expression ``group``."""
    select = ", ".join(_SUMS)
    if group is None:
        return f"SELECT {select}, MIN(ts), MAX(ts) FROM llmledger_calls {where}"
    return f"SELECT {group} AS grp, {select} FROM llmledger_calls {where} GROUP BY 1"


def where_sql(filters: Filters, dialect: Dialect) -> tuple[str, tuple[Any, ...]]:
    """The ``WHERE`` clause (empty when nothing filters) and its parameters."""
    mark = dialect.placeholder
    parts: list[str] = []
    params: list[Any] = []
    if filters.session_id is not None:
        parts.append(f"session_id = {mark}")
        params.append(filters.session_id)
    if filters.since is not None:
        parts.append(f"ts >= {mark}")
        params.append(filters.since)
    if filters.until is not None:
        parts.append(f"ts < {mark}")
        params.append(filters.until)
    for label, value in filters.where:
        expr, expr_params = dialect.label_expr(label)
        parts.append(f"{expr} = {mark}")
        params += [*expr_params, value]
    return ("WHERE " + " AND ".join(parts) if parts else ""), tuple(params)


def totals_from_row(row: Iterable[Any]) -> Totals:
    """A :class:`Totals` from the ten sums of ``aggregate_sql`` (cost summed in pico-dollars)."""
    calls, failed, unpriced, prompt, completion, cached, written, reasoning, images, pusd = (int(v or 0) for v in row)
    return Totals(
        calls=calls,
        failed_calls=failed,
        unpriced_calls=unpriced,
        prompt_tokens=prompt,
        completion_tokens=completion,
        cached_tokens=cached,
        cache_write_tokens=written,
        reasoning_tokens=reasoning,
        images=images,
        cost_usd=Decimal(pusd).scaleb(-12).normalize() if pusd else Decimal(0),
    )


def query_stats(query: Query, dialect: Dialect, filters: Filters, unit_label: str | None) -> SessionStats:
    """Fill :class:`SessionStats` with one grouped scan (operation x model) and, with a unit label, a count."""
    where, params = where_sql(filters, dialect)
    stats = SessionStats(session_id=filters.session_id, unit_label=unit_label)
    select = ", ".join(_SUMS)
    sql = (
        f"SELECT operation_type, model, {select}, MIN(ts), MAX(ts) FROM llmledger_calls {where}"
        " GROUP BY operation_type, model"
    )
    for operation, model, *rest in query(sql, params):
        totals = totals_from_row(rest[:10])
        first, last = rest[10], rest[11]
        stats.totals = stats.totals.merged(totals)
        stats.by_operation[operation] = stats.by_operation.get(operation, Totals()).merged(totals)
        key = model or "unknown"
        stats.by_model[key] = stats.by_model.get(key, Totals()).merged(totals)
        stats.first_ts = first if stats.first_ts is None else min(stats.first_ts, first)
        stats.last_ts = last if stats.last_ts is None else max(stats.last_ts, last)
    if unit_label:
        expr, expr_params = dialect.label_expr(unit_label)
        ((count,),) = query(f"SELECT COUNT(DISTINCT {expr}) FROM llmledger_calls {where}", (*expr_params, *params))
        stats.units = int(count or 0)
    return stats


def _group_expr(by: str, dialect: Dialect) -> tuple[str, tuple[Any, ...]]:
    if by in _BY_COLUMN:
        return _BY_COLUMN[by], ()
    if by == DAY:
        return dialect.day_expr, ()
    return dialect.label_expr(by)


def query_breakdown(query: Query, dialect: Dialect, by: str, filters: Filters) -> dict[str, Totals]:
    """Totals per operation, model, provider, UTC day (``day``) or value of the label ``by``."""
    expr, expr_params = _group_expr(by, dialect)
    where, params = where_sql(filters, dialect)
    rows = query(aggregate_sql(expr, where), (*expr_params, *params))
    return {("(none)" if grp is None else str(grp)): totals_from_row(sums) for grp, *sums in rows}


def query_per_unit(query: Query, dialect: Dialect, unit_label: str, filters: Filters) -> dict[str, Totals]:
    """Totals per value of ``unit_label``; calls without it are left out."""
    expr, expr_params = dialect.label_expr(unit_label)
    where, params = where_sql(filters, dialect)
    rows = query(aggregate_sql(expr, where), (*expr_params, *params))
    return {str(grp): totals_from_row(sums) for grp, *sums in rows if grp is not None}


def query_over_time(query: Query, dialect: Dialect, bucket_s: float, filters: Filters) -> list[tuple[float, Totals]]:
    """Totals per time bucket (start, totals), oldest first."""
    if bucket_s <= 0:
        raise ValueError(f"bucket_s must be positive, got {bucket_s}")
    where, params = where_sql(filters, dialect)
    rows = query(aggregate_sql(dialect.bucket_expr, where), (float(bucket_s), float(bucket_s), *params))
    return sorted((float(grp), totals_from_row(sums)) for grp, *sums in rows)


def query_top_calls(
    query: Query, dialect: Dialect, n: int, filters: Filters, from_row: Callable[[tuple[Any, ...]], CallRecord]
) -> list[CallRecord]:
    """The ``n`` most expensive calls, dearest first (unpriced last), read with ``ORDER BY ... LIMIT``."""
    where, params = where_sql(filters, dialect)
    sql = (
        f"SELECT {', '.join(COLUMNS)} FROM llmledger_calls {where}"
        f" ORDER BY CASE WHEN cost_pusd IS NULL THEN 1 ELSE 0 END, cost_pusd DESC, ts, id LIMIT {int(n)}"
    )
    return [from_row(row) for row in query(sql, params)]


class SQLReads:
    """The read side shared by the SQL ledgers: every aggregate runs in the database.

    A subclass sets :attr:`dialect` and provides ``_query(sql, params)`` and ``_from_row(row)``.
    """

    dialect: ClassVar[Dialect]

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    @staticmethod
    def _from_row(row: tuple[Any, ...]) -> CallRecord:
        return CallRecord.from_row(dict(zip(COLUMNS, row, strict=True)))

    def stats(
        self, session_id: str | None = None, *, unit_label: str | None = None, filters: Filters | None = None
    ) -> SessionStats:
        """Totals and breakdowns, aggregated in SQL."""
        return query_stats(self._query, self.dialect, (filters or Filters()).with_session(session_id), unit_label)

    def breakdown(self, by: str, session_id: str | None = None, *, filters: Filters | None = None) -> dict[str, Totals]:
        """Totals per operation, model, provider, day or label value, aggregated in SQL."""
        return query_breakdown(self._query, self.dialect, by, (filters or Filters()).with_session(session_id))

    def per_unit(self, unit_label: str, filters: Filters | None = None) -> dict[str, Totals]:
        """Totals per value of ``unit_label``, aggregated in SQL."""
        return query_per_unit(self._query, self.dialect, unit_label, filters or Filters())

    def over_time(self, bucket_s: float, filters: Filters | None = None) -> list[tuple[float, Totals]]:
        """Totals per time bucket of ``bucket_s`` seconds (bucket start, totals), aggregated in SQL."""
        return query_over_time(self._query, self.dialect, bucket_s, filters or Filters())

    def top_calls(self, n: int, filters: Filters | None = None) -> list[CallRecord]:
        """The ``n`` most expensive calls, dearest first, read with ``ORDER BY ... LIMIT``."""
        return query_top_calls(self._query, self.dialect, n, filters or Filters(), self._from_row)
