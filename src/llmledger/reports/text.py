"""The plain-text session summary (``COST TRACKING SUMMARY``)."""

from __future__ import annotations

from decimal import Decimal

from ..money import format_usd
from .stats import SessionStats

__all__ = ["pluralise", "render_summary"]

RULE = "=" * 60


def pluralise(word: str) -> str:
    """``layout`` -> ``layouts``, ``batch`` -> ``batches``, ``category`` -> ``categories``."""
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def unit_word(unit_label: str) -> str:
    """The word for a unit label: ``layout_name`` -> ``layout``, ``master_id`` -> ``master``."""
    for suffix in ("_name", "_id", "_key"):
        if unit_label.endswith(suffix) and len(unit_label) > len(suffix):
            return unit_label[: -len(suffix)].replace("_", " ")
    return unit_label.replace("_", " ")


def render_summary(stats: SessionStats) -> str:
    """Render the session summary block."""
    t = stats.totals
    lines = [
        "COST TRACKING SUMMARY",
        RULE,
        f"Total cost: {format_usd(t.cost_usd)}",
        f"Total tokens: {t.total_tokens:,}",
        f"  - Input tokens: {t.prompt_tokens:,}",
        f"  - Output tokens: {t.completion_tokens:,}",
        f"  - Cached tokens: {t.cached_tokens:,}",
    ]
    if t.reasoning_tokens:
        lines.append(f"  - Reasoning tokens: {t.reasoning_tokens:,}")
    if t.images:
        lines.append(f"Images generated: {t.images:,}")
    lines.append(f"Total API calls: {t.calls:,}")
    if t.failed_calls:
        lines.append(f"Failed API calls: {t.failed_calls:,}")
    if t.unpriced_calls:
        lines.append(f"Unpriced API calls (cost unknown, not included): {t.unpriced_calls:,}")
    lines.append("Averages:")
    if stats.unit_label:
        word = unit_word(stats.unit_label)
        units = stats.units
        lines.insert(lines.index("Averages:"), f"{pluralise(word).capitalize()} processed: {units:,}")
        if units:
            lines += [
                f"  - Cost per {word}: {format_usd(t.cost_usd / units)}",
                f"  - Tokens per {word}: {t.total_tokens / units:,.1f}",
                f"  - API calls per {word}: {t.calls / units:,.1f}",
            ]
    elif t.calls:
        lines.append(f"  - Cost per call: {format_usd(t.cost_usd / t.calls)}")
        lines.append(f"  - Tokens per call: {t.total_tokens / t.calls:,.1f}")
    per_1k = t.cost_per_1k_tokens
    lines.append(f"  - Cost per 1K tokens: {format_usd(per_1k if per_1k is not None else Decimal(0))}")
    lines.append("Operation breakdown:")
    for operation, totals in sorted(stats.by_operation.items(), key=lambda kv: (-kv[1].calls, kv[0])):
        lines.append(f"  - {operation}: {totals.calls:,} calls")
    lines.append(RULE)
    return "\n".join(lines)
