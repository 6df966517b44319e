"""What the demo returns, and the text it ends with."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from ..money import format_usd
from ..reports.text import pluralise

__all__ = [
    "MODES",
    "DemoResult",
    "Mode",
    "ModeResult",
    "count_words",
    "end_text",
    "report_path_for",
    "saving_line",
]

Mode = Literal["one_at_a_time", "hybrid"]
MODES: tuple[Mode, ...] = ("one_at_a_time", "hybrid")
"""Every mode, in the order the demo runs them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModeResult:
    """What one mode did and cost."""

    mode: Mode
    """``one_at_a_time`` or ``hybrid``."""
    session_id: str | None
    """The tracker session (``None``: costs not tracked)."""
    total_cost: Decimal | None
    """The session's total cost (``None``: costs not tracked)."""
    calls: int
    """Model calls made, failed ones included."""
    failed_calls: int
    """Calls that failed."""
    cached_tokens: int
    """Prompt tokens served from the provider's cache (0 when not tracked)."""
    fallback_layouts: int = 0
    """Layouts whose panel count left masters uncertain and were checked one at a time."""
    fallback_calls: int = 0
    """One-at-a-time calls made for those layouts."""
    report_path: Path | None = None
    """The JSON cost report written, if any."""
    summary: str | None = None
    """The tracker's ``COST TRACKING SUMMARY`` text (``None``: costs not tracked)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoResult:
    """What :func:`~llmledger.demo.run_demo` did, per mode."""

    modes: dict[Mode, ModeResult]
    """The modes that ran, in order."""
    db_path: Path | None
    """The SQLite ledger (``None``: costs not tracked)."""
    fallback: bool = False
    """Whether hybrid checked its uncertain masters one at a time."""

    @property
    def saving_percent(self) -> Decimal | None:
        """How much cheaper hybrid was than one-at-a-time, in percent, to 0.1 (negative: dearer)."""
        one, hybrid = self.modes.get("one_at_a_time"), self.modes.get("hybrid")
        if one is None or hybrid is None or one.total_cost is None or hybrid.total_cost is None:
            return None
        if not one.total_cost:
            return None
        return ((1 - hybrid.total_cost / one.total_cost) * 100).quantize(Decimal("0.1"))


def count_words(n: int, word: str) -> str:
    """``1 layout``, ``3 layouts``."""
    return f"{n} {word if n == 1 else pluralise(word)}"


def report_path_for(path: Path, mode: Mode, *, several: bool) -> Path:
    """Where ``mode``'s JSON report goes: ``path``, or ``cost_report.hybrid.json`` when several run."""
    return path.with_name(f"{path.stem}.{mode}{path.suffix}") if several else path


def saving_line(result: DemoResult) -> str | None:
    """``Hybrid saves 96.8% against one-at-a-time ($0.0123 vs $0.3850)``, or ``None``."""
    percent = result.saving_percent
    if percent is None:
        return None
    hybrid, one = result.modes["hybrid"].total_cost, result.modes["one_at_a_time"].total_cost
    costs = f"({format_usd(hybrid)} vs {format_usd(one)})"
    if percent >= 0:
        return f"Hybrid saves {percent}% against one-at-a-time {costs}"
    return f"Hybrid costs {-percent}% more than one-at-a-time {costs}"


def _mode_text(outcome: ModeResult, *, fallback: bool) -> list[str]:
    fell_back = ""
    if outcome.mode == "hybrid" and fallback:
        fell_back = f", {count_words(outcome.fallback_layouts, 'layout')} fell back"
    lines = ["", f"{outcome.mode}: {count_words(outcome.calls, 'call')}{fell_back}"]
    if outcome.summary is not None:
        lines += [f"Session {outcome.session_id}", outcome.summary]
    return lines


def end_text(result: DemoResult) -> str:
    """The summaries, the saving, where the ledger and reports went, and what to run next."""
    lines = [line for outcome in result.modes.values() for line in _mode_text(outcome, fallback=result.fallback)]
    if result.db_path is None:
        return "\n".join([*lines, "", "Cost tracking was off: costs were not tracked and nothing was written."])
    saving = saving_line(result)
    if saving:
        lines += ["", saving]
    lines += ["", f"Ledger: {result.db_path}"]
    lines += [f"Cost report ({o.mode}): {o.report_path}" for o in result.modes.values() if o.report_path]
    first = next(iter(result.modes.values()))
    db = shlex.quote(str(result.db_path))
    lines.append(f"Next: llmledger summary --db {db} --session {first.session_id} --by master_id")
    return "\n".join(lines)
