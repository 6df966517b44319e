"""CSV exports: one row per call, or one row per group of a breakdown."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from ..ledger.record import CallRecord
from .stats import Totals

__all__ = ["CALL_FIELDS", "GROUP_FIELDS", "write_calls_csv", "write_groups_csv"]

CALL_FIELDS = (
    "timestamp",
    "session_id",
    "operation_type",
    "provider",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "images",
    "cost_usd",
    "success",
    "request_id",
    "labels",
)
"""The columns of a per-call CSV (labels as ``key=value;...``)."""

GROUP_FIELDS = (
    "calls",
    "failed_calls",
    "unpriced_calls",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "total_tokens",
    "cost_usd",
)
"""The columns of a grouped CSV after the group's own column."""


def write_calls_csv(records: Iterable[CallRecord], path: str | Path) -> int:
    """Write one row per call (streamed: records are not all held at once); return the rows written."""
    count = 0
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CALL_FIELDS)
        for r in records:
            writer.writerow(
                (
                    datetime.fromtimestamp(r.timestamp, tz=UTC).isoformat(),
                    r.session_id,
                    r.operation_type,
                    r.provider or "",
                    r.model or "",
                    r.prompt_tokens,
                    r.completion_tokens,
                    r.cached_tokens,
                    r.reasoning_tokens,
                    r.image_count,
                    "" if r.cost_usd is None else f"{r.cost_usd:f}",
                    "true" if r.success else "false",
                    r.request_id or "",
                    ";".join(f"{k}={v}" for k, v in r.labels.items()),
                )
            )
            count += 1
    return count


def write_groups_csv(groups: Mapping[str, Totals], by: str, path: str | Path) -> int:
    """Write one row per group (``by`` names the first column), dearest first; return the rows written."""
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow((by, *GROUP_FIELDS))
        for key, t in sorted(groups.items(), key=lambda kv: (-kv[1].cost_usd, kv[0])):
            writer.writerow(
                (
                    key,
                    t.calls,
                    t.failed_calls,
                    t.unpriced_calls,
                    t.prompt_tokens,
                    t.completion_tokens,
                    t.cached_tokens,
                    t.total_tokens,
                    f"{t.cost_usd:f}",
                )
            )
    return len(groups)
