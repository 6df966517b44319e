"""Terminal tables (rich) for comparisons and estimates: rendering only, the numbers come ready."""

from __future__ import annotations

from decimal import Decimal

from rich import box
from rich.table import Table
from rich.text import Text

from ..money import format_usd
from .compare import Comparison
from .estimate import BatchEstimate
from .stats import Totals
from .text import unit_word

__all__ = ["comparison_table", "estimate_table", "format_percent"]


def format_percent(value: Decimal | None) -> str:
    """``96.8%``; ``-`` when undefined."""
    return "-" if value is None else f"{value.quantize(Decimal('0.1'))}%"


def _name(info_id: str, name: str | None) -> str:
    return name or info_id


def _cells(t: Totals | None) -> list[str]:
    if t is None:
        return ["-", "-", "-", "-"]
    per_1k = t.cost_per_1k_tokens
    return [format_usd(t.cost_usd), f"{t.calls:,}", f"{t.total_tokens:,}", format_usd(per_1k) if per_1k else "-"]


def comparison_table(comparison: Comparison) -> Table:
    """Per unit: A's and B's cost, calls, tokens and cost per 1K tokens, and B's saving; totals last."""
    c = comparison
    a_name, b_name = _name(c.a.id, c.a.name), _name(c.b.id, c.b.name)
    table = Table(
        title=f"B = {b_name} against A = {a_name}",
        caption=f"A: session {c.a.id}, B: session {c.b.id}; saving = 1 - cost B / cost A",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
    )
    table.add_column(unit_word(c.unit_label) if c.unit_label else "", no_wrap=True)
    for side in ("A", "B"):
        for column in ("cost", "calls", "tokens", "$/1K tok"):
            table.add_column(f"{side} {column}", justify="right", no_wrap=True)
    table.add_column("saving", justify="right", no_wrap=True)
    for row in c.units:
        table.add_row(row.unit, *_cells(row.a), *_cells(row.b), format_percent(row.saving_percent))
    if c.units:
        table.add_section()
        table.add_row(
            Text(f"per {unit_word(c.unit_label or 'unit')} ({c.units_a:,} / {c.units_b:,})", style="italic"),
            format_usd(c.cost_per_unit_a) if c.cost_per_unit_a is not None else "-",
            "",
            "",
            "",
            format_usd(c.cost_per_unit_b) if c.cost_per_unit_b is not None else "-",
            "",
            "",
            "",
            format_percent(c.saving_per_unit_percent),
        )
    table.add_row(
        Text("total", style="bold"),
        *_cells(c.totals_a),
        *_cells(c.totals_b),
        Text(format_percent(c.saving_percent), style="bold"),
    )
    return table


def estimate_table(estimate: BatchEstimate, *, source: str, unit_label: str) -> Table:
    """The projection, its interval, the budget to ask for, and the expected calls and tokens."""
    e = estimate
    word = unit_word(unit_label)
    table = Table(title=f"Estimate for {e.units:,} {word} units from {source}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    table.add_row("sampled units", f"{e.sample_units:,}")
    table.add_row(f"mean cost per {word}", format_usd(e.mean_cost_per_unit, 6))
    table.add_row("projected cost", format_usd(e.projected_cost, 2))
    table.add_row(f"{e.confidence:.0%} interval (bootstrap)", f"{format_usd(e.low, 2)} - {format_usd(e.high, 2)}")
    table.add_row("budget to ask for", Text(format_usd(e.budget, 2), style="bold green"))
    table.add_row("expected calls", f"{e.expected_calls:,}")
    table.add_row("expected tokens", f"{e.expected_tokens:,}")
    return table
