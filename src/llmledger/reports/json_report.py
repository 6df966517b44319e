"""The JSON cost report: ``session_summary`` plus ``detailed_api_calls``.

Costs are written as JSON numbers carrying the exact Decimal digits, so
``json.loads(text, parse_float=Decimal)`` gives back exactly the Decimal that was recorded.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..ledger.record import CallRecord, SessionInfo
from .compare import Comparison
from .estimate import BatchEstimate
from .stats import SessionStats, Totals
from .text import pluralise, unit_word

__all__ = ["build_report", "comparison_dict", "dumps_exact", "estimate_dict", "summary_dict"]

_RESERVED = {"operation_type", "model", "token_usage", "total_cost", "timestamp"}


def summary_dict(stats: SessionStats) -> dict[str, Any]:
    """The ``session_summary`` object."""
    t = stats.totals
    summary: dict[str, Any] = {
        "session_id": stats.session_id,
        "total_cost": t.cost_usd,
        "total_tokens": t.total_tokens,
        "input_tokens": t.prompt_tokens,
        "output_tokens": t.completion_tokens,
        "cached_tokens": t.cached_tokens,
        "reasoning_tokens": t.reasoning_tokens,
        "images": t.images,
        "total_api_calls": t.calls,
        "failed_api_calls": t.failed_calls,
        "unpriced_api_calls": t.unpriced_calls,
    }
    averages: dict[str, Any] = {}
    if stats.unit_label:
        word = unit_word(stats.unit_label).replace(" ", "_")
        summary["unit_label"] = stats.unit_label
        summary[f"{pluralise(word)}_processed"] = stats.units
        if stats.units:
            averages[f"cost_per_{word}"] = t.cost_usd / stats.units
            averages[f"tokens_per_{word}"] = t.total_tokens / stats.units
            averages[f"api_calls_per_{word}"] = t.calls / stats.units
    if t.total_tokens:
        averages["cost_per_1k_tokens"] = t.cost_usd * 1000 / t.total_tokens
    summary["averages"] = averages
    summary["operation_breakdown"] = {op: totals.calls for op, totals in sorted(stats.by_operation.items())}
    summary["model_breakdown"] = {
        model: {"calls": totals.calls, "total_cost": totals.cost_usd}
        for model, totals in sorted(stats.by_model.items())
    }
    return summary


def call_dict(record: CallRecord) -> dict[str, Any]:
    """One entry of ``detailed_api_calls``: labels at top level, then usage and cost."""
    entry: dict[str, Any] = {"operation_type": record.operation_type}
    for key, value in record.labels.items():
        entry[key if key not in _RESERVED else f"label_{key}"] = value
    entry["model"] = record.model
    entry["token_usage"] = {
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "total_tokens": record.total_tokens,
        "cached_tokens": record.cached_tokens,
    }
    if record.reasoning_tokens:
        entry["token_usage"]["reasoning_tokens"] = record.reasoning_tokens
    if record.images:
        entry["images"] = [{"quality": q, "size": s, "count": n} for q, s, n in record.images]
    entry["total_cost"] = record.cost_usd
    entry["timestamp"] = datetime.fromtimestamp(record.timestamp, tz=UTC).isoformat()
    if not record.success:
        entry["success"] = False
        entry["error"] = record.error
    if record.request_id:
        entry["request_id"] = record.request_id
    return entry


def build_report(stats: SessionStats, records: Iterable[CallRecord]) -> dict[str, Any]:
    """The whole report."""
    return {"session_summary": summary_dict(stats), "detailed_api_calls": [call_dict(r) for r in records]}


def dumps_exact(data: Any, *, indent: int | None = 2) -> str:
    """``json.dumps`` that writes Decimals as exact JSON numbers (not strings, not floats)."""
    marker = f"__llmledger_decimal_{secrets.token_hex(4)}__"

    def default(value: object) -> str:
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError(f"cannot write {value} as JSON")
            return f"{marker}{value:f}"
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    text = json.dumps(data, indent=indent, default=default)
    return re.sub(f'"{marker}(-?[0-9.]+)"', r"\1", text)


def _totals_dict(t: Totals | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {
        "total_cost": t.cost_usd,
        "calls": t.calls,
        "failed_calls": t.failed_calls,
        "unpriced_calls": t.unpriced_calls,
        "total_tokens": t.total_tokens,
        "input_tokens": t.prompt_tokens,
        "output_tokens": t.completion_tokens,
        "cached_tokens": t.cached_tokens,
        "cost_per_1k_tokens": t.cost_per_1k_tokens,
    }


def _session_dict(info: SessionInfo) -> dict[str, Any]:
    return {"session_id": info.id, "name": info.name, "unit_label": info.unit_label}


def comparison_dict(comparison: Comparison) -> dict[str, Any]:
    """A comparison as JSON-ready data (costs as Decimals, for :func:`dumps_exact`)."""
    c = comparison
    return {
        "a": _session_dict(c.a),
        "b": _session_dict(c.b),
        "unit_label": c.unit_label,
        "totals": {"a": _totals_dict(c.totals_a), "b": _totals_dict(c.totals_b)},
        "saving_percent": c.saving_percent,
        "units_a": c.units_a,
        "units_b": c.units_b,
        "cost_per_unit": {"a": c.cost_per_unit_a, "b": c.cost_per_unit_b},
        "saving_per_unit_percent": c.saving_per_unit_percent,
        "units": [
            {"unit": u.unit, "a": _totals_dict(u.a), "b": _totals_dict(u.b), "saving_percent": u.saving_percent}
            for u in c.units
        ],
    }


def estimate_dict(estimate: BatchEstimate, *, session: SessionInfo, unit_label: str) -> dict[str, Any]:
    """An estimate as JSON-ready data."""
    e = estimate
    return {
        "session": _session_dict(session),
        "unit_label": unit_label,
        "units": e.units,
        "sample_units": e.sample_units,
        "mean_cost_per_unit": e.mean_cost_per_unit,
        "projected_cost": e.projected_cost,
        "interval": {"confidence": e.confidence, "low": e.low, "high": e.high, "method": "bootstrap"},
        "budget": e.budget,
        "expected_calls": e.expected_calls,
        "expected_tokens": e.expected_tokens,
        "resamples": e.resamples,
        "seed": e.seed,
        "unpriced_calls": e.unpriced_calls,
        "warnings": list(e.warnings),
    }
