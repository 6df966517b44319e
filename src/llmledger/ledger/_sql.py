"""SQL shared by the database ledgers: inserts and aggregation queries.

The queries are written once with two dialect hooks: the placeholder and how a label is read
out of the ``labels`` JSON column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from ..reports.stats import SessionStats, Totals
from .record import COLUMNS

__all__ = ["aggregate_sql", "insert_sql", "rows_to_stats", "totals_from_row"]

_SUMS = (
    "COUNT(*)",
    "SUM(CASE WHEN success THEN 0 ELSE 1 END)",
    "SUM(CASE WHEN success AND cost_usd IS NULL THEN 1 ELSE 0 END)",
    "SUM(prompt_tokens)",
    "SUM(completion_tokens)",
    "SUM(cached_tokens)",
    "SUM(cache_write_tokens)",
    "SUM(reasoning_tokens)",
    "SUM(images)",
    "SUM(cost_pusd)",
)


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


def rows_to_stats(
    query: Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]],
    *,
    session_id: str | None,
    unit_label: str | None,
    label_expr: Callable[[str], tuple[str, tuple[Any, ...]]],
    placeholder: str,
) -> SessionStats:
    """Fill :class:`SessionStats` with a few aggregate queries run through ``query``."""
    where, params = (f"WHERE session_id = {placeholder}", (session_id,)) if session_id else ("", ())
    stats = SessionStats(session_id=session_id, unit_label=unit_label)
    (row,) = query(aggregate_sql(None, where), params)
    stats.totals = totals_from_row(row[:10])
    stats.first_ts, stats.last_ts = row[10], row[11]
    for grp, *sums in query(aggregate_sql("operation_type", where), params):
        stats.by_operation[grp] = totals_from_row(sums)
    for grp, *sums in query(aggregate_sql("model", where), params):
        stats.by_model[grp or "unknown"] = totals_from_row(sums)
    if unit_label:
        expr, expr_params = label_expr(unit_label)
        (count,) = query(f"SELECT COUNT(DISTINCT {expr}) FROM llmledger_calls {where}", (*expr_params, *params))
        stats.units = int(count[0] or 0)
    return stats
