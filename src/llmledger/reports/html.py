"""The HTML report: one self-contained page (plotly.js inline) that opens offline.

Needs the ``html`` extra (``pip install "llmledger[html]"``): plotly. Only ``llmledger report
--html`` imports this module. The numbers come ready in an :class:`~.overview.Overview`; this
module only draws them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

try:
    import plotly.graph_objects as go
    import plotly.offline
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError('install "llmledger[html]" to write HTML reports') from exc

from .._version import __version__
from ..money import format_usd
from .overview import Overview
from .stats import Totals
from .text import pluralise, unit_word

__all__ = ["MAX_BARS", "render_html"]

MAX_BARS = 30
"""A breakdown chart shows at most this many groups, the dearest."""

_CONFIG = {"displaylogo": False, "responsive": True}
_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "height": 380,
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "font": {"family": "system-ui, sans-serif", "size": 12},
}
_CSS = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1280px; color: #222; }
h1 { margin-bottom: 4px; } .sub { color: #666; margin-top: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 12px; margin: 20px 0; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: 12px 16px; }
.card .v { font-size: 22px; font-weight: 600; } .card .k { color: #666; font-size: 13px; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.chart { border: 1px solid #eee; border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin-bottom: 24px; }
th, td { border-bottom: 1px solid #eee; padding: 4px 8px; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
"""


def _usd(amount: Decimal) -> float:
    return float(amount)


def _figure_div(fig: go.Figure, div_id: str) -> str:
    fig.update_layout(**_LAYOUT)
    text: str = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_CONFIG)
    return f'<div class="chart">{text}</div>'


def _bars(groups: Mapping[str, Totals], title: str, div_id: str) -> str:
    rows = sorted(groups.items(), key=lambda kv: (-kv[1].cost_usd, kv[0]))[:MAX_BARS]
    rows.reverse()  # dearest on top of a horizontal bar chart
    fig = go.Figure(
        go.Bar(
            x=[_usd(t.cost_usd) for _, t in rows],
            y=[key for key, _ in rows],
            orientation="h",
            customdata=[[t.calls, t.total_tokens] for _, t in rows],
            hovertemplate="%{y}<br>$%{x:.4f}<br>%{customdata[0]} calls, %{customdata[1]} tokens<extra></extra>",
        )
    )
    shown = f" (top {MAX_BARS} of {len(groups)})" if len(groups) > MAX_BARS else ""
    fig.update_layout(title=title + shown, xaxis_title="cost (USD)", yaxis={"automargin": True, "type": "category"})
    return _figure_div(fig, div_id)


def _over_time(overview: Overview) -> str:
    when = [datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S") for ts, _ in overview.over_time]
    costs = [_usd(t.cost_usd) for _, t in overview.over_time]
    running, cumulative = 0.0, []
    for cost in costs:
        running += cost
        cumulative.append(running)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=when, y=costs, name=f"per {_bucket_name(overview.bucket_s)}"))
    fig.add_trace(go.Scatter(x=when, y=cumulative, name="cumulative", yaxis="y2", mode="lines+markers"))
    fig.update_layout(
        title="Cost over time (UTC)",
        yaxis={"title": "cost per bucket (USD)"},
        yaxis2={"title": "cumulative (USD)", "overlaying": "y", "side": "right", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
    )
    return _figure_div(fig, "cost-over-time")


def _bucket_name(seconds: int) -> str:
    for size, name in ((7 * 86400, "week"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            count = seconds // size
            return name if count == 1 else f"{count} {pluralise(name)}"
    return f"{seconds} s"


def _distribution(overview: Overview, word: str) -> str:
    costs = [_usd(t.cost_usd) for t in overview.per_unit.values()]
    fig = go.Figure(go.Histogram(x=costs, nbinsx=min(50, max(5, len(costs) // 2)), name=word))
    fig.update_layout(title=f"Cost per {word} ({len(costs):,} {pluralise(word)})", xaxis_title="cost (USD)")
    fig.update_yaxes(title=f"{pluralise(word)}")
    return _figure_div(fig, "unit-distribution")


def _card(key: str, value: str) -> str:
    return f'<div class="card"><div class="v">{html.escape(value)}</div><div class="k">{html.escape(key)}</div></div>'


def _cards(overview: Overview) -> str:
    t = overview.stats.totals
    cards = [
        _card("total cost", format_usd(t.cost_usd)),
        _card("calls", f"{t.calls:,}"),
        _card("tokens", f"{t.total_tokens:,}"),
        _card("input / output tokens", f"{t.prompt_tokens:,} / {t.completion_tokens:,}"),
        _card("cached tokens", f"{t.cached_tokens:,}"),
    ]
    per_1k = t.cost_per_1k_tokens
    if per_1k is not None:
        cards.append(_card("cost per 1K tokens", format_usd(per_1k)))
    if overview.stats.unit_label and overview.stats.units:
        word = unit_word(overview.stats.unit_label)
        cards.append(_card(f"{pluralise(word)}", f"{overview.stats.units:,}"))
        cards.append(_card(f"cost per {word}", format_usd(t.cost_usd / overview.stats.units)))
    if t.failed_calls:
        cards.append(_card("failed calls", f"{t.failed_calls:,}"))
    if t.unpriced_calls:
        cards.append(_card("unpriced calls (not in the cost)", f"{t.unpriced_calls:,}"))
    return f'<div class="cards">{"".join(cards)}</div>'


def _table(headers: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    head = "".join(f'<th class="{"n" if i in numeric else ""}">{html.escape(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"n" if i in numeric else ""}">{html.escape(c)}</td>' for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _top_calls(overview: Overview) -> str:
    rows = [
        [
            datetime.fromtimestamp(r.timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S"),
            r.operation_type,
            r.model or "unknown",
            ", ".join(f"{k}={v}" for k, v in r.labels.items()),
            f"{r.total_tokens:,}",
            format_usd(r.cost_usd, 6),
        ]
        for r in overview.top_calls
    ]
    return _table(["time (UTC)", "operation", "model", "labels", "tokens", "cost"], rows, {4, 5})


def _top_units(overview: Overview, word: str, top: int = 20) -> str:
    units = sorted(overview.per_unit.items(), key=lambda kv: (-kv[1].cost_usd, kv[0]))[:top]
    rows = [[u, f"{t.calls:,}", f"{t.total_tokens:,}", format_usd(t.cost_usd, 6)] for u, t in units]
    return _table([word, "calls", "tokens", "cost"], rows, {1, 2, 3})


def render_html(overview: Overview) -> str:
    """The report page: totals, cost over time, by model, by operation, by each label, per unit, top calls and units.

    plotly.js is written into the page once, so it opens with no network at all.
    """
    stats = overview.stats
    first = "" if stats.first_ts is None else datetime.fromtimestamp(stats.first_ts, tz=UTC).isoformat()[:19]
    last = "" if stats.last_ts is None else datetime.fromtimestamp(stats.last_ts, tz=UTC).isoformat()[:19]
    parts = [
        f"<h1>{html.escape(overview.title)}</h1>",
        f'<p class="sub">{html.escape(first)} - {html.escape(last)} UTC, written by llmledger {__version__}</p>',
        _cards(overview),
        _over_time(overview),
        '<div class="grid">',
        _bars(stats.by_model, "Cost by model", "by-model"),
        _bars(stats.by_operation, "Cost by operation", "by-operation"),
    ]
    for i, (label, groups) in enumerate(overview.by_label.items()):
        parts.append(_bars(groups, f"Cost by {label}", f"by-label-{i}"))
    word = unit_word(stats.unit_label) if stats.unit_label else "unit"
    if overview.per_unit:
        parts.append(_distribution(overview, word))
    parts.append("</div>")
    parts += [f"<h2>Most expensive calls (top {len(overview.top_calls)})</h2>", _top_calls(overview)]
    if overview.per_unit:
        parts += [f"<h2>Most expensive {pluralise(word)}</h2>", _top_units(overview, word)]
    plotly_js = plotly.offline.get_plotlyjs()
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(overview.title)} - llmledger</title><style>{_CSS}</style>"
        f'<script type="text/javascript">{plotly_js}</script></head>\n<body>\n'
        + "\n".join(parts)
        + "\n</body></html>\n"
    )
