"""The ``llmledger`` command line: parsing and rendering only; the work is the public API's."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .exceptions import LLMLedgerError
from .ledger import DEFAULT_DB, Ledger, SessionInfo
from .ledger.filters import Filters
from .money import format_usd, to_decimal
from .pricing import ModelPrice, load_prices
from .usage._types import ImageUsage, Usage

__all__ = ["app", "main"]

app = typer.Typer(
    name="llmledger",
    help="Know exactly what your LLM calls cost, and stop spending past a limit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
config_app = typer.Typer(help="Check pricing configs.", no_args_is_help=True)
app.add_typer(config_app, name="config")


class _Consoles:
    """Consoles made when first used, so the terminal width is read at run time."""

    @property
    def out(self) -> Console:
        return Console(soft_wrap=True)

    @property
    def err(self) -> Console:
        return Console(stderr=True, soft_wrap=True)


_consoles = _Consoles()

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Pricing config (default: $LLMLEDGER_CONFIG, llmledger.toml, flujo.toml)."),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error to stderr and exit."""
    _consoles.err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _rate(value: Decimal | None) -> str:
    return "-" if value is None else f"${value.normalize():f}"


@app.command()
def price(
    model: Annotated[str, typer.Argument(help='Model, as "provider:model" or a bare name.')],
    prompt: Annotated[int, typer.Option("--prompt", "-p", min=0, help="Prompt tokens (cache included).")] = 0,
    completion: Annotated[int, typer.Option("--completion", min=0, help="Completion tokens.")] = 0,
    cached: Annotated[int, typer.Option("--cached", min=0, help="Cache-read tokens within --prompt.")] = 0,
    cache_write: Annotated[int, typer.Option("--cache-write", min=0, help="Cache-write tokens within --prompt.")] = 0,
    images: Annotated[int, typer.Option("--images", min=0, help="Images generated.")] = 0,
    quality: Annotated[str, typer.Option(help="Image quality.")] = "standard",
    size: Annotated[str, typer.Option(help="Image size, WxH.")] = "1024x1024",
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Price one call and say where the price came from."""
    try:
        table = load_prices(config)
        usage = Usage(
            prompt_tokens=prompt,
            completion_tokens=completion,
            cached_tokens=cached,
            cache_write_tokens=cache_write,
            images=(ImageUsage(count=images, quality=quality, size=size),) if images else (),
        )
        cost = table.cost(model, usage)
    except (LLMLedgerError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        payload = {
            "model": cost.model,
            "provider": cost.provider,
            "total_usd": None if cost.total_usd is None else str(cost.total_usd),
            "prompt_usd": str(cost.prompt_usd),
            "cached_usd": str(cost.cached_usd),
            "cache_write_usd": str(cost.cache_write_usd),
            "completion_usd": str(cost.completion_usd),
            "images_usd": str(cost.images_usd),
            "source": cost.source,
            "source_detail": cost.source_detail,
            "reason": cost.reason,
        }
        _consoles.out.print_json(json.dumps(payload))
        return
    name = f"{cost.provider}:{cost.model}" if cost.provider else cost.model
    if cost.total_usd is None:
        _consoles.out.print(f"{name}: cost unknown ({cost.reason})", markup=False)
        raise typer.Exit(3)
    _consoles.out.print(
        f"{escape(name)}: [bold]{format_usd(cost.total_usd, 6)}[/]  (exact: {cost.total_usd.normalize():f})"
    )
    for label, amount in (
        ("prompt", cost.prompt_usd),
        ("cached prompt", cost.cached_usd),
        ("cache write", cost.cache_write_usd),
        ("completion", cost.completion_usd),
        ("images", cost.images_usd),
    ):
        if amount:
            _consoles.out.print(f"  {label:<14} {format_usd(amount, 6)}", highlight=False)
    _consoles.out.print(f"  source: {cost.source} - {cost.source_detail}", highlight=False, markup=False)


@config_app.command("check")
def config_check(
    path: Annotated[Path | None, typer.Argument(help="Config file (default: the one found).")] = None,
) -> None:
    """Validate a pricing config and list what it prices."""
    from .config import find_config, read_config

    try:
        file = path or find_config()
        if file is None:
            fail("no config found: set LLMLEDGER_CONFIG or create llmledger.toml")
        config = read_config(file)
    except LLMLedgerError as exc:
        fail(str(exc))
    _consoles.out.print(f"{config.path}: OK, strict={'true' if config.strict else 'false'}", markup=False)
    _consoles.out.print(_price_table(list(config.prices.values())))


def _price_table(prices: list[ModelPrice]) -> Table:
    table = Table(title="Configured prices (USD)")
    for column in ("provider", "model", "prompt / 1K", "cached / 1K", "completion / 1K", "images"):
        table.add_column(column)
    for price in prices:
        images = ", ".join(f"{q} {s} ${v.normalize():f}" for (q, s), v in sorted(price.image_prices.items()))
        cached = price.cached_prompt_per_million
        table.add_row(
            price.provider,
            price.model,
            _rate(price.prompt_per_1k),
            _rate(None if cached is None else cached.scaleb(-3)),
            _rate(price.completion_per_1k),
            images or "-",
        )
    return table


DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Ledger database: a SQLite path (default: $LLMLEDGER_DB, else llmledger.db)."),
]
SessionOption = Annotated[str | None, typer.Option("--session", "-s", help="Session id (default: the latest).")]


def _open(db: str | None) -> Ledger:
    from .ledger import DB_ENV, open_ledger

    target = db or os.environ.get(DB_ENV) or DEFAULT_DB
    if "://" not in target and not Path(target).exists():
        fail(f"no ledger at {target}: run a tracked job first, or pass --db")
    try:
        return open_ledger(target)
    except LLMLedgerError as exc:
        fail(str(exc))


def _pick_session(ledger: Ledger, session: str | None) -> SessionInfo:
    from .exceptions import SessionNotFoundError
    from .ledger.lookup import find_session

    try:
        return find_session(ledger, session)
    except SessionNotFoundError as exc:
        fail("the ledger has no sessions yet" if not ledger.sessions() else str(exc))


SinceOption = Annotated[
    str | None, typer.Option("--since", help="Only calls at or after this ISO date or datetime (UTC if naive).")
]
UntilOption = Annotated[
    str | None, typer.Option("--until", help="Only calls before this ISO datetime (a bare date: through that day).")
]
WhereOption = Annotated[
    list[str] | None, typer.Option("--where", help="Only calls with this label value, label=value (repeatable).")
]


def _filters(since: str | None, until: str | None, where: list[str] | None) -> Filters:
    from .ledger.filters import parse_when, parse_where

    try:
        return Filters(
            since=parse_when(since) if since else None,
            until=parse_when(until, end=True) if until else None,
            where=parse_where(where or []),
        )
    except ValueError as exc:
        fail(str(exc))


@app.command()
def sessions(db: DbOption = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the sessions in the ledger with their totals."""
    ledger = _open(db)
    rows = []
    for info in ledger.sessions():
        totals = ledger.stats(info.id).totals
        rows.append((info, totals))
    if as_json:
        from .reports.json_report import dumps_exact

        print(
            dumps_exact(
                [
                    {
                        "session_id": i.id,
                        "name": i.name,
                        "started_at": _iso(i.started_at),
                        "unit_label": i.unit_label,
                        "calls": t.calls,
                        "total_tokens": t.total_tokens,
                        "total_cost": t.cost_usd,
                    }
                    for i, t in rows
                ]
            )
        )
        return
    table = Table(title=f"Sessions in {_describe(ledger)}")
    for column in ("session", "name", "started (UTC)", "calls", "tokens", "cost"):
        table.add_column(
            column,
            justify="right" if column in ("calls", "tokens", "cost") else "left",
            no_wrap=column == "session",
        )
    for info, totals in rows:
        table.add_row(
            info.id,
            info.name or "",
            _iso(info.started_at)[:19].replace("T", " "),
            f"{totals.calls:,}",
            f"{totals.total_tokens:,}",
            format_usd(totals.cost_usd),
        )
    _consoles.out.print(table)


@app.command()
def summary(
    db: DbOption = None,
    session: SessionOption = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Break down by operation, model, provider, day or a label.")
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    where: WhereOption = None,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Also write CSV here: one row per call, or per group with --by.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show a session's summary, or a breakdown of it."""
    from .reports.text import render_summary

    ledger = _open(db)
    info = _pick_session(ledger, session)
    filters = _filters(since, until, where).with_session(info.id)
    if by is None:
        stats = ledger.stats(unit_label=info.unit_label, filters=filters)
        if csv_out is not None:
            _write_calls_csv(ledger, filters, csv_out)
        if as_json:
            from .reports.json_report import dumps_exact, summary_dict

            print(dumps_exact(summary_dict(stats)))
        else:
            print(render_summary(stats))
        return
    groups = ledger.breakdown(by, filters=filters)
    if csv_out is not None:
        _write_groups_csv(groups, by, csv_out)
    if as_json:
        from .reports.json_report import dumps_exact

        print(
            dumps_exact(
                {
                    k: {"calls": v.calls, "total_tokens": v.total_tokens, "total_cost": v.cost_usd}
                    for k, v in groups.items()
                }
            )
        )
        return
    table = Table(title=f"Session {info.id} by {by}", box=box.SIMPLE_HEAD)
    failures = any(t.failed_calls for t in groups.values())
    columns = (by, "calls", *(("failed",) if failures else ()), "input", "output", "cached", "cost", "$/1K tok")
    for column in columns:
        table.add_column(column, justify="left" if column == by else "right", no_wrap=True)
    ordered = sorted(groups.items()) if by == "day" else sorted(groups.items(), key=lambda kv: -kv[1].cost_usd)
    for key, t in ordered:
        per_1k = t.cost_per_1k_tokens
        table.add_row(
            escape(key),
            f"{t.calls:,}",
            *((f"{t.failed_calls:,}",) if failures else ()),
            f"{t.prompt_tokens:,}",
            f"{t.completion_tokens:,}",
            f"{t.cached_tokens:,}",
            format_usd(t.cost_usd),
            format_usd(per_1k) if per_1k is not None else "-",
        )
    _consoles.out.print(table)


def _write_calls_csv(ledger: Ledger, filters: Filters, path: Path) -> None:
    from .reports.csv_export import write_calls_csv

    path.parent.mkdir(parents=True, exist_ok=True)
    count = write_calls_csv(ledger.records(filters=filters), path)
    _consoles.err.print(f"wrote {path} ({count:,} calls)", highlight=False, markup=False)


def _write_groups_csv(groups: dict[str, Any], by: str, path: Path) -> None:
    from .reports.csv_export import write_groups_csv

    path.parent.mkdir(parents=True, exist_ok=True)
    count = write_groups_csv(groups, by, path)
    _consoles.err.print(f"wrote {path} ({count:,} groups by {by})", highlight=False, markup=False)


@app.command()
def report(
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON cost report here.")] = None,
    html_out: Annotated[
        Path | None,
        typer.Option("--html", help='Write a self-contained HTML report with charts (needs "llmledger[html]").'),
    ] = None,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write CSV here: one row per call, or per group of the first --by.")
    ] = None,
    by: Annotated[
        list[str] | None, typer.Option("--by", help="Also chart the cost by this label or day (repeatable).")
    ] = None,
    db: DbOption = None,
    session: SessionOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    where: WhereOption = None,
) -> None:
    """Write a session's JSON cost report, HTML report with charts, and/or CSV."""
    if json_out is None and html_out is None and csv_out is None:
        fail("give --json OUT.json, --html OUT.html and/or --csv OUT.csv")
    ledger = _open(db)
    info = _pick_session(ledger, session)
    filters = _filters(since, until, where).with_session(info.id)
    if json_out is not None:
        from .reports.json_report import build_report, dumps_exact

        data = build_report(ledger.stats(unit_label=info.unit_label, filters=filters), ledger.records(filters=filters))
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(dumps_exact(data), encoding="utf-8")
        _consoles.out.print(f"wrote {json_out} ({len(data['detailed_api_calls']):,} calls)", highlight=False)
    if html_out is not None:
        try:
            from .reports.html import render_html
        except ImportError as exc:
            fail(str(exc))
        from .reports.overview import collect_overview

        overview = collect_overview(ledger, info, by=tuple(by or ()), filters=filters)
        html_out.parent.mkdir(parents=True, exist_ok=True)
        html_out.write_text(render_html(overview), encoding="utf-8")
        _consoles.out.print(f"wrote {html_out} ({overview.stats.totals.calls:,} calls, opens offline)", highlight=False)
    if csv_out is not None:
        if by:
            _write_groups_csv(ledger.breakdown(by[0], filters=filters), by[0], csv_out)
        else:
            _write_calls_csv(ledger, filters, csv_out)


@app.command()
def compare(
    session_a: Annotated[str, typer.Argument(help="The baseline session: id, id prefix or name.")],
    session_b: Annotated[str, typer.Argument(help="The session compared with it.")],
    unit: Annotated[
        str | None, typer.Option("--unit", help="The label that groups calls into units (default: the session's).")
    ] = None,
    db: DbOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    where: WhereOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Compare two sessions per unit: cost, calls, tokens, cost per 1K tokens, and B's saving against A."""
    from .reports.compare import compare_sessions

    ledger = _open(db)
    a, b = _pick_session(ledger, session_a), _pick_session(ledger, session_b)
    comparison = compare_sessions(ledger, a, b, unit_label=unit, filters=_filters(since, until, where))
    if as_json:
        from .reports.json_report import comparison_dict, dumps_exact

        print(dumps_exact(comparison_dict(comparison)))
        return
    from .reports.tables import comparison_table, format_percent

    _print_wide(comparison_table(comparison))
    saving = comparison.saving_percent
    if saving is not None:
        verb = "saves" if saving >= 0 else "costs"
        amount = format_percent(abs(saving))
        _consoles.out.print(
            f"{b.name or b.id} {verb} {amount}{'' if saving >= 0 else ' more'} against {a.name or a.id}"
            f" ({format_usd(comparison.totals_b.cost_usd)} vs {format_usd(comparison.totals_a.cost_usd)})",
            highlight=False,
            markup=False,
        )


@app.command()
def estimate(
    source: Annotated[str, typer.Option("--from", help="The sample session: id, id prefix or name.")],
    units: Annotated[int, typer.Option("--units", min=1, help="Units the batch will process.")],
    unit: Annotated[
        str | None, typer.Option("--unit", help="The label that groups calls into units (default: the session's).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed (same seed, same interval).")] = 0,
    resamples: Annotated[int, typer.Option("--resamples", min=100, help="Bootstrap resamples.")] = 2000,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Project a larger batch's cost from a session's per-unit costs: interval, budget, calls and tokens."""
    from .reports.estimate import estimate_session

    ledger = _open(db)
    info = _pick_session(ledger, source)
    try:
        result = estimate_session(ledger, info, units, unit_label=unit, seed=seed, resamples=resamples)
    except ValueError as exc:
        fail(str(exc))
    label = unit or info.unit_label or ""
    if as_json:
        from .reports.json_report import dumps_exact, estimate_dict

        print(dumps_exact(estimate_dict(result, session=info, unit_label=label)))
        return
    from .reports.tables import estimate_table

    _consoles.out.print(estimate_table(result, source=info.name or info.id, unit_label=label))
    for warning in result.warnings:
        _consoles.out.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False)
    _consoles.out.print(f"Next: llmledger budget set <name> --usd {result.budget:f}", highlight=False, markup=False)


budget_app = typer.Typer(
    help="Shared budgets: one limit for every process and machine on a ledger.", no_args_is_help=True
)
app.add_typer(budget_app, name="budget")


def _db_target(db: str | None) -> str:
    from .ledger import DB_ENV

    return db or os.environ.get(DB_ENV) or DEFAULT_DB


@budget_app.command("set")
def budget_set(
    name: Annotated[str, typer.Argument(help="The budget's name.")],
    usd: Annotated[str | None, typer.Option("--usd", help="Cost limit in US dollars.")] = None,
    tokens: Annotated[int | None, typer.Option("--tokens", min=0, help="Token limit.")] = None,
    db: DbOption = None,
) -> None:
    """Create a budget or change its limits."""
    from .budgets import Budget

    if usd is None and tokens is None:
        fail("give --usd and/or --tokens")
    try:
        with Budget(_db_target(db), name, limit_usd=usd, limit_tokens=tokens) as budget:
            state = budget.state()
    except (LLMLedgerError, ValueError) as exc:
        fail(str(exc))
    _print_budgets([state], as_json=False)


@budget_app.command("show")
def budget_show(
    name: Annotated[str | None, typer.Argument(help="One budget (default: all).")] = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show limits, settled spend, reservations and what is left."""
    from .budgets import Budget

    try:
        states = Budget.all(_db_target(db))
    except LLMLedgerError as exc:
        fail(str(exc))
    if name is not None:
        states = [s for s in states if s.name == name]
        if not states:
            fail(f"no budget {name!r}")
    _print_budgets(states, as_json=as_json)


@budget_app.command("reset")
def budget_reset(name: Annotated[str, typer.Argument(help="The budget's name.")], db: DbOption = None) -> None:
    """Zero a budget's spend and drop its reservations (the limit stays)."""
    from .budgets import Budget

    try:
        if not any(s.name == name for s in Budget.all(_db_target(db))):
            fail(f"no budget {name!r}")
        with Budget(_db_target(db), name) as budget:
            budget.reset()
            state = budget.state()
    except LLMLedgerError as exc:
        fail(str(exc))
    _print_budgets([state], as_json=False)


def _print_budgets(states: list[Any], *, as_json: bool) -> None:
    from .budgets import describe

    rows = [describe(s) for s in states]
    if as_json:
        from .reports.json_report import dumps_exact

        print(dumps_exact(rows))
        return
    table = Table(title="Budgets")
    for column in ("budget", "limit", "settled", "reserved", "left", "tokens (settled / limit)"):
        table.add_column(column, justify="left" if column == "budget" else "right")
    for r in rows:
        limit_tokens = (
            f"{r['settled_tokens']:,} / {r['limit_tokens']:,}"
            if r["limit_tokens"] is not None
            else (f"{r['settled_tokens']:,}")
        )
        table.add_row(
            escape(r["name"]),
            format_usd(r["limit_usd"]) if r["limit_usd"] is not None else "-",
            format_usd(r["settled_usd"]),
            format_usd(r["reserved_usd"]),
            format_usd(r["left_usd"]) if r["left_usd"] is not None else "-",
            limit_tokens,
        )
    _consoles.out.print(table)


@app.command("import")
def import_records(
    path: Annotated[Path, typer.Argument(help="A JSON-lines spill file written by a tracker.")],
    db: DbOption = None,
) -> None:
    """Load records a tracker spilled when its ledger could not be reached (idempotent)."""
    from .ledger import open_ledger
    from .ledger.jsonl import read_jsonl

    if not path.is_file():
        fail(f"no file {path}")
    try:
        ledger = open_ledger(_db_target(db))
        records = list(read_jsonl(path))
        sessions: dict[str, float] = {}
        for record in records:
            sessions[record.session_id] = min(sessions.get(record.session_id, record.timestamp), record.timestamp)
        for session_id, started in sessions.items():
            ledger.add_session(SessionInfo(id=session_id, started_at=started))
        refused = []
        for start in range(0, len(records), 500):
            refused += ledger.write(records[start : start + 500])
        ledger.close()
    except (LLMLedgerError, ValueError) as exc:
        fail(str(exc))
    _consoles.out.print(
        f"imported {len(records) - len(refused):,} records from {path}"
        + (f"; {len(refused):,} were already in the ledger (same request id)" if refused else ""),
        markup=False,
    )


@app.command()
def demo(
    one_at_a_time: Annotated[
        bool, typer.Option("--one-at-a-time", help="Run only the one-call-per-(layout, master) mode.")
    ] = False,
    hybrid: Annotated[bool, typer.Option("--hybrid", help="Run only the one-panel-count-per-layout mode.")] = False,
    fallback: Annotated[
        bool | None,
        typer.Option(
            "--fallback-one-at-a-time/--no-fallback-one-at-a-time",
            help="Check masters a panel count leaves uncertain one at a time (default: on if both run).",
        ),
    ] = None,
    layouts: Annotated[int, typer.Option("--layouts", min=1, help="Page layouts to process.")] = 3,
    masters: Annotated[int, typer.Option("--masters", min=1, help="Master images per layout.")] = 41,
    workers: Annotated[int, typer.Option("--concurrent-workers", min=1, help="Worker processes.")] = 8,
    track_costs: Annotated[
        bool, typer.Option("--enable-cost-tracking/--no-cost-tracking", help="Track costs in the ledger.")
    ] = True,
    cost_report: Annotated[
        Path | None,
        typer.Option("--cost-report", help="Write JSON cost reports (r.json -> r.hybrid.json, ...)."),
    ] = None,
    db: Annotated[Path, typer.Option("--db", help="The SQLite ledger to write.")] = Path(DEFAULT_DB),
    model: Annotated[str, typer.Option("--model", help="The vision model to call.")] = "gpt-4o",
    live: Annotated[
        bool, typer.Option("--live", help="Call the real OpenAI API (needs OPENAI_API_KEY; costs money).")
    ] = False,
    plain: Annotated[bool, typer.Option("--plain", help="Plain progress lines instead of a bar.")] = False,
    fallback_budget: Annotated[
        str | None,
        typer.Option(
            "--fallback-budget",
            help="USD the one-at-a-time fallback may spend: a layout falls back only while its worst case fits.",
        ),
    ] = None,
) -> None:
    """Run the batch demo: layouts matched against masters, one at a time and hybrid, costs compared."""
    from .demo import MODES, run_demo

    chosen = (one_at_a_time, hybrid)
    modes = [mode for mode, wanted in zip(MODES, chosen, strict=True) if wanted] or list(MODES)
    try:
        reserver = None
        if fallback_budget is not None:
            from .budget import LimitGuard, UsageLimits

            reserver = LimitGuard(UsageLimits(total_cost_usd_limit=to_decimal(fallback_budget)))
        run_demo(
            modes,
            layouts=layouts,
            masters=masters,
            workers=workers,
            fallback=fallback,
            track_costs=track_costs,
            db=db,
            cost_report=cost_report,
            model=model,
            live=live,
            plain=True if plain else None,
            fallback_budget=reserver,
        )
    except (LLMLedgerError, ValueError) as exc:
        fail(str(exc))


def _print_wide(table: Table) -> None:
    """Print a table at its natural width even on a narrow terminal (numbers are never cut)."""
    from rich.measure import Measurement

    console = _consoles.out
    needed = Measurement.get(console, console.options.update_width(1000), table).maximum
    if needed > console.width:
        console = Console(soft_wrap=True, width=needed)
    console.print(table)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def _describe(ledger: Ledger) -> str:
    return str(getattr(ledger, "path", None) or ledger)


def main() -> None:
    """Entry point of the ``llmledger`` command."""
    app()
