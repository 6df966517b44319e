"""Run the batch demo: both ways of matching layouts to masters, tracked in one SQLite ledger."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import IO

from ..budget import Reserver
from ..fallback import FallbackPolicy
from ..ledger import Ledger, open_ledger
from ..ledger.record import LabelValue
from ..pricing import PriceTable, load_prices
from ..testing import LocalOpenAIServer
from ..tracker import CostTracker
from ._batch import Batch
from ._result import MODES, DemoResult, Mode, ModeResult, end_text, report_path_for
from ._result import count_words as _count
from ._scenario import MatchVerdict, PanelCount, demo_responder, layout_names, master_ids, pair_request
from ._worker import PairTask, PanelTask, count_panels, detect_pair

__all__ = ["run_demo"]

_UNIT_LABEL = "layout_name"
_PAIR_OUTPUT_CAP = 64
"""Output tokens a one-at-a-time answer (``{"match": ..., "confidence": ...}``) stays under."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Job:
    base_url: str | None
    model: str
    layouts: list[str]
    masters: tuple[str, ...]
    fallback: bool
    out: IO[str]
    budget: Reserver | None = None
    pair_worst_usd: Decimal = Decimal(0)

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()


def _pair_labels(task: PairTask) -> dict[str, LabelValue]:
    return {"layout_name": task.layout_name, "master_id": task.master_id}


def _layout_labels(task: PanelTask) -> dict[str, LabelValue]:
    return {"layout_name": task.layout_name}


def _pairs(job: _Job, layout: str, masters: Sequence[str]) -> list[PairTask]:
    return [PairTask(base_url=job.base_url, model=job.model, layout_name=layout, master_id=m) for m in masters]


def _count_matches(verdicts: Sequence[MatchVerdict | None]) -> str:
    matched = sum(1 for v in verdicts if v is not None and v.match)
    unanswered = sum(1 for v in verdicts if v is None)
    return f"{matched} of {_count(len(verdicts), 'master')} match" + (
        f", {unanswered} unanswered" if unanswered else ""
    )


def _run_one_at_a_time(job: _Job, batch: Batch) -> tuple[int, int]:
    """One call per (layout, master) pair, one ``tracked_map`` per layout."""
    for number, layout in enumerate(job.layouts, start=1):
        job.say(f"Layout {number}/{len(job.layouts)}: {layout}")
        verdicts = batch.run(
            detect_pair,
            _pairs(job, layout, job.masters),
            operation_type="one_at_a_time_detection",
            labels=_pair_labels,
            unit_word="masters",
            description=layout,
        )
        job.say(f"  {layout}: {_count_matches(verdicts)}")
    return 0, 0


def _describe_panels(layout: str, answer: PanelCount | None) -> str:
    if answer is None:
        return f"  {layout}: no answer"
    return (
        f"  {layout}: {_count(answer.panel_count, 'panel')}, {_count(len(answer.matches), 'match')}, "
        f"{len(answer.uncertain)} uncertain"
    )


def _run_hybrid(job: _Job, batch: Batch) -> tuple[int, int]:
    """One panel-counting call per layout, then one-at-a-time checks of the uncertain masters."""
    tasks = [
        PanelTask(base_url=job.base_url, model=job.model, layout_name=layout, master_ids=job.masters)
        for layout in job.layouts
    ]
    job.say(f"Counting panels: {_count(len(tasks), 'layout')}, {_count(len(job.masters), 'master')} per call")
    answers = batch.run(
        count_panels,
        tasks,
        operation_type="hybrid_panel_count",
        labels=_layout_labels,
        unit_word="layouts",
        description="panel counts",
    )
    for layout, answer in zip(job.layouts, answers, strict=True):
        job.say(_describe_panels(layout, answer))
    uncertain = [(layout, a.uncertain) for layout, a in zip(job.layouts, answers, strict=True) if a and a.uncertain]
    if not job.fallback:
        job.say(f"{len(uncertain)} of {_count(len(job.layouts), 'layout')} left masters uncertain (no fallback)")
        return 0, 0
    policy = FallbackPolicy(job.budget)
    chosen: list[tuple[str, tuple[str, ...]]] = []
    for layout, answer in zip(job.layouts, answers, strict=True):
        masters = answer.uncertain if answer else ()
        decision = policy.decide(
            layout,
            needed=bool(masters),
            why=f"{_count(len(masters), 'master')} uncertain",
            worst_case_usd=job.pair_worst_usd * len(masters),
        )
        if decision.fall_back:
            chosen.append((layout, masters))
            decision.release()  # the tracked calls below are what is spent; the hold only proved it fits
    fallback = [task for layout, masters in chosen for task in _pairs(job, layout, masters)]
    job.say(
        f"Fallback: {len(uncertain)} of {_count(len(job.layouts), 'layout')} uncertain -> "
        f"{_count(len(fallback), 'one-at-a-time call')}"
    )
    job.say(_policy_line(policy))
    if fallback:
        verdicts = batch.run(
            detect_pair,
            fallback,
            operation_type="fallback_one_at_a_time_detection",
            labels=_pair_labels,
            unit_word="masters",
            description="fallback",
        )
        job.say(f"  fallback: {_count_matches(verdicts)}")
    return len(chosen), len(fallback)


def _policy_line(policy: FallbackPolicy) -> str:
    """``Fallback policy: 1 layout fell back (masters uncertain), 2 did not need it, 0 over budget``."""
    counts = policy.counts()
    return (
        f"Fallback policy: {_count(counts['needed'], 'layout')} fell back (masters uncertain), "
        f"{counts['not_needed']} did not need it, {counts['over_budget']} skipped (worst case over budget)"
    )


_RUNNERS: dict[Mode, Callable[[_Job, Batch], tuple[int, int]]] = {
    "one_at_a_time": _run_one_at_a_time,
    "hybrid": _run_hybrid,
}
_TITLES: dict[Mode, str] = {
    "one_at_a_time": "one call per (layout, master) pair",
    "hybrid": "one panel-counting call per layout",
}


def _run_mode(
    mode: Mode,
    job: _Job,
    *,
    prices: PriceTable | None,
    ledger: Ledger | None,
    workers: int,
    plain: bool | None,
    report: Path | None,
) -> ModeResult:
    title = _TITLES[mode] + (", one-at-a-time fallback" if mode == "hybrid" and job.fallback else "")
    job.say(f"\n== {mode}: {title} ==")
    tracker = None
    if prices is not None and ledger is not None:
        tracker = CostTracker(prices, ledger, unit_label=_UNIT_LABEL, name=mode)
    batch = Batch(tracker=tracker, workers=workers, plain=plain, out=job.out)
    try:
        fallback_layouts, fallback_calls = _RUNNERS[mode](job, batch)
    finally:
        batch.close()
        if tracker is not None:
            tracker.close()
    for error in batch.errors[:3]:
        job.say(f"  failed call: {error}")
    if len(batch.errors) > 3:
        job.say(f"  ... and {len(batch.errors) - 3} more failed calls")
    written = tracker.write_report(report) if tracker is not None and report is not None else None
    return ModeResult(
        mode=mode,
        session_id=tracker.session_id if tracker else None,
        total_cost=tracker.total_cost if tracker else None,
        calls=batch.calls,
        failed_calls=len(batch.errors),
        cached_tokens=tracker.stats().totals.cached_tokens if tracker else 0,
        fallback_layouts=fallback_layouts,
        fallback_calls=fallback_calls,
        report_path=written,
        summary=tracker.summary() if tracker else None,
    )


# -- the entry point -------------------------------------------------------------------------------


def _price_line(prices: PriceTable, model: str) -> str:
    price = prices.lookup(model)
    if price is None:
        return f"Prices: no price found for {model}: its calls are recorded with an unknown cost"
    return f"Prices: {model} from {price.source_detail}"


def _pair_worst_usd(prices: PriceTable, model: str) -> Decimal:
    """The worst case of one one-at-a-time check: its prompt, uncached, plus the output cap."""
    from ..testing import count_prompt_tokens
    from ..usage import Usage

    prompt = count_prompt_tokens(pair_request(model, "layout_000.jpg", "0000A_0000_00"))
    cost = prices.cost(model, Usage(prompt_tokens=prompt, completion_tokens=_PAIR_OUTPUT_CAP)).total_usd
    if cost is None:
        raise ValueError(f"no price for {model}: a fallback budget needs one")
    return cost


def _check(*, layouts: int, masters: int, workers: int, live: bool) -> None:
    for name, value in (("layouts", layouts), ("masters", masters), ("concurrent workers", workers)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    if live and not os.environ.get("OPENAI_API_KEY"):
        raise ValueError("--live calls the real OpenAI API and needs OPENAI_API_KEY; it is not set")


def run_demo(
    modes: Sequence[Mode] = MODES,
    *,
    layouts: int = 3,
    masters: int = 41,
    workers: int = 8,
    fallback: bool | None = None,
    track_costs: bool = True,
    db: str | Path = "llmledger.db",
    cost_report: str | Path | None = None,
    model: str = "gpt-4o",
    live: bool = False,
    plain: bool | None = None,
    prices: PriceTable | None = None,
    out: IO[str] | None = None,
    fallback_budget: Reserver | None = None,
) -> DemoResult:
    """Compare ``layouts`` page layouts against ``masters`` master images, in each of ``modes``.

    Calls go through the real ``openai`` SDK, from ``workers`` worker processes, to a
    :class:`~llmledger.testing.LocalOpenAIServer` started for the run (or to OpenAI with ``live``).
    Each mode is one tracker session, named after the mode, in the SQLite ledger ``db``.

    Args:
        modes: ``one_at_a_time``, ``hybrid`` or both (compared at the end).
        layouts: how many layouts.
        masters: how many master images.
        workers: worker processes.
        fallback: check the masters a hybrid panel count leaves uncertain one at a time; default:
            on when both modes run (a fair comparison), off for hybrid alone.
        track_costs: ``False`` runs the calls without a tracker and records nothing.
        db: the SQLite ledger.
        cost_report: write each mode's JSON cost report here (the mode goes before the suffix
            when both modes run).
        model: the model to call.
        live: call the real OpenAI API (needs ``OPENAI_API_KEY``; costs real money).
        plain: force plain progress lines (``True``) or the bar (``False``); default: auto.
        prices: the prices; default :func:`~llmledger.load_prices`.
        out: where to write (default ``sys.stdout``).
        fallback_budget: what hybrid's fallback may spend (a ``LimitGuard`` or a ``Budget``): a
            layout falls back only while the worst case of its one-at-a-time checks fits
            (:class:`~llmledger.fallback.FallbackPolicy`); ``None``: every uncertain layout does.

    Returns:
        Per mode: the session, total cost, calls and fallbacks.

    Raises:
        ValueError: a count below 1, or ``live`` without ``OPENAI_API_KEY``.
    """
    _check(layouts=layouts, masters=masters, workers=workers, live=live)
    stream = out or sys.stdout
    chosen = [m for m in MODES if m in modes]
    job = _Job(
        base_url=None,
        model=model,
        layouts=layout_names(layouts),
        masters=tuple(master_ids(masters)),
        fallback=fallback if fallback is not None else len(chosen) > 1,
        out=stream,
    )
    where = "the OpenAI API (live)" if live else "a local OpenAI-compatible server"
    job.say(
        f"llmledger demo: {_count(layouts, 'layout')} x {_count(masters, 'master')}, {model}, "
        f"{_count(workers, 'worker')}, {where}"
    )
    table = (prices or load_prices()) if track_costs else None
    if table is not None:
        job.say(_price_line(table, model))
    if fallback_budget is not None:
        job = replace(job, budget=fallback_budget, pair_worst_usd=_pair_worst_usd(table or load_prices(), model))
    results: dict[Mode, ModeResult] = {}
    with contextlib.ExitStack() as stack:
        ledger = open_ledger(db) if table is not None else None
        if ledger is not None:
            stack.callback(ledger.close)
        server = None if live else stack.enter_context(LocalOpenAIServer(demo_responder))
        if server is not None:
            job = replace(job, base_url=server.base_url)
        for mode in chosen:
            if server is not None:
                server.reset()  # each mode starts with a cold prompt cache
            report = report_path_for(Path(cost_report), mode, several=len(chosen) > 1) if cost_report else None
            results[mode] = _run_mode(
                mode, job, prices=table, ledger=ledger, workers=workers, plain=plain, report=report
            )
    result = DemoResult(modes=results, db_path=Path(db) if track_costs else None, fallback=job.fallback)
    job.say(end_text(result))
    return result
