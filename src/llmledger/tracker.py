"""CostTracker: usage -> cost -> record -> ledger, with running totals.

One tracker is one session (a batch run, a pipeline run). It is safe to use from many threads
and asyncio tasks at once; records are written to the ledger in batches.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, Self, TypeVar

from .bounds import LimitMode
from .budget import CombinedReserver, LimitGuard, Reserver, UsageLimits
from .exceptions import CostUnknownWarning, LedgerError, PricingNotConfiguredError, UsageMissingWarning
from .guard import CallGuard
from .labels import CONTEXT_LABELS, context_labels
from .ledger import DB_ENV, Ledger, MemoryLedger, open_ledger
from .ledger.record import CallRecord, LabelValue, SessionInfo
from .models import split_model_ref
from .money import ZERO
from .pricing import Cost, ModelPrice, PriceTable, load_prices
from .reporter import explicit_cost
from .reports.stats import SessionStats, Totals, counts_to_totals, totals_to_counts
from .usage import ImageUsage, Usage, extract_model, extract_provider, extract_request_id, extract_usage

if TYPE_CHECKING:
    from .guarded_call import GuardedCall

__all__ = ["CostTracker", "Listener"]

logger = logging.getLogger("llmledger.tracker")

_T = TypeVar("_T")

Listener = Callable[[CallRecord], None]
"""Called with every record the tracker takes (progress displays use this)."""


class CostTracker:
    """Record every model call with its usage, cost, model and labels.

    Args:
        prices: a :class:`~llmledger.PriceTable`, or a config path; default :func:`~llmledger.load_prices`.
        ledger: a ledger, or a database (SQLite path); default ``$LLMLEDGER_DB``, else in memory.
        session: the session id; default a new one (time and random suffix).
        unit_label: the label that groups calls into units of work (``layout_name``), used by
            the summary's per-unit averages.
        name: a human name for the session (shown by ``llmledger sessions``).
        budget: a shared :class:`~llmledger.Budget` (or any reserver) that :meth:`call` reserves from.
        usage_limits: limits of this tracker's own, checked by :meth:`call` the same way.
        limit_mode: ``bound`` (guaranteed worst case) or ``estimate``; see :mod:`llmledger.bounds`.
        spill_path: where :meth:`close` writes the records it could not get into the ledger
            (JSON lines; load them later with ``llmledger import``).
        batch_size: records written to the ledger per batch.
        flush_interval_s: a batch is also written when this much time passed since the last one.
        clock: seconds since the epoch; injectable for tests.
    """

    def __init__(
        self,
        prices: PriceTable | str | Path | None = None,
        ledger: Ledger | str | Path | None = None,
        session: str | None = None,
        unit_label: str | None = None,
        *,
        name: str | None = None,
        budget: Reserver | None = None,
        usage_limits: UsageLimits | None = None,
        limit_mode: LimitMode = "bound",
        spill_path: str | Path | None = None,
        batch_size: int = 500,
        flush_interval_s: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.prices = prices if isinstance(prices, PriceTable) else load_prices(prices)
        """The prices used."""
        if ledger is None:
            ledger = os.environ.get(DB_ENV) or MemoryLedger()
        self.ledger: Ledger = open_ledger(ledger)
        """Where records go."""
        self._clock = clock
        started = clock()
        self.session_id = session or _new_session_id(started)
        """This session's id."""
        self.unit_label = unit_label
        """The label that groups calls into units."""
        self.name = name
        """A human name for the session."""
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pending: list[CallRecord] = []
        self._last_flush = time.monotonic()
        self._seen_request_ids: set[str] = set()
        self._ids = itertools.count()
        self._id_prefix = f"{self.session_id}-{os.urandom(3).hex()}-"
        # running sums per (operation, model): see reports.stats.counts_to_totals for the layout
        self._groups: dict[tuple[str, str], list[Any]] = {}
        self._units: set[str] = set()
        self._first_ts: float | None = None
        self._last_ts: float | None = None
        self._listeners: list[Listener] = []
        self._price_json: dict[int, tuple[ModelPrice, dict[str, str]]] = {}
        self._model_refs: dict[tuple[str, str | None], tuple[str | None, str]] = {}
        self._warned_ledger = False
        self.spill_path = Path(spill_path) if spill_path is not None else None
        self.limits = LimitGuard(usage_limits) if usage_limits is not None else None
        """This tracker's own limits, if any."""
        self.budget = budget
        """The shared budget, if any."""
        reservers: list[Reserver] = [r for r in (self.limits, budget) if r is not None]
        reserver: Reserver | None = (
            None if not reservers else reservers[0] if len(reservers) == 1 else CombinedReserver(*reservers)
        )
        self.guard = CallGuard(self.prices, reserver, mode=limit_mode)
        """Plans and reserves guarded calls (see :meth:`call`)."""
        self._session_info = SessionInfo(id=self.session_id, started_at=started, unit_label=unit_label, name=name)
        self._session_written = False
        self._closed = False

    def __repr__(self) -> str:
        return f"CostTracker(session={self.session_id!r}, calls={self.calls}, total_cost={self.total_cost})"

    # -- recording ---------------------------------------------------------------------------

    def track_api_call(
        self,
        operation_type: str,
        *,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        cached_tokens: int = 0,
        reasoning_tokens: int = 0,
        cache_write_tokens: int = 0,
        images: int | ImageUsage | Sequence[ImageUsage] | None = None,
        provider: str | None = None,
        request_id: str | None = None,
        latency_s: float | None = None,
        **labels: LabelValue,
    ) -> Decimal | None:
        """Record one call from its token counts and return its cost (``None``: unknown).

        Raises:
            ValueError: a count is negative or not an integer.
            PricingNotConfiguredError: strict mode and the model has no configured price (the
                call is recorded as unpriced first).
        """
        if images or not (
            type(prompt_tokens) is int
            and type(completion_tokens) is int
            and type(cached_tokens) is int
            and type(cache_write_tokens) is int
            and type(reasoning_tokens) is int
            and cached_tokens >= 0
            and cache_write_tokens >= 0
            and cached_tokens + cache_write_tokens <= prompt_tokens
            and 0 <= reasoning_tokens <= completion_tokens
        ):
            # the general path: Usage validates (and raises a clear ValueError)
            usage = Usage(
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                cached_tokens=cached_tokens,
                cache_write_tokens=cache_write_tokens,
                reasoning_tokens=reasoning_tokens,
                images=_images(images),
            )
            return self._track_usage(usage, operation_type, model, provider, request_id, latency_s, None, labels)
        # the hot path: counts already valid, no Usage object needed
        counts = (
            prompt_tokens,
            completion_tokens,
            cached_tokens,
            cache_write_tokens,
            reasoning_tokens,
            (),
            1,
        )
        prov, name = self._split(model, provider)
        if name is None:
            return self._track_usage(None, operation_type, None, prov, request_id, latency_s, None, labels)
        try:
            cost = self.prices.cost_of(name, prov, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens)
        except PricingNotConfiguredError:
            cost = self._record_unpriced_then_raise(operation_type, counts, name, prov, request_id, latency_s, labels)
        self._record(operation_type, counts, cost, request_id, latency_s, labels, success=True, error=None)
        return cost.total_usd

    def track_usage(
        self,
        usage: Usage | None,
        operation_type: str,
        *,
        model: str | None,
        provider: str | None = None,
        request_id: str | None = None,
        latency_s: float | None = None,
        cost_usd: Decimal | None = None,
        warn: bool = True,
        **labels: LabelValue,
    ) -> Decimal | None:
        """Record one call from a :class:`~llmledger.Usage` and return its cost.

        ``usage=None`` records the call as unpriced, with a :class:`~llmledger.UsageMissingWarning`
        (``warn=False``: the caller has warned already). ``cost_usd`` takes a cost as given (an
        :class:`~llmledger.ExplicitCostReporter`'s) instead of pricing the usage.
        """
        if usage is None and cost_usd is None and warn:
            warn_missing_usage(f"no usage data for {operation_type}: recorded as unpriced")
        return self._track_usage(usage, operation_type, model, provider, request_id, latency_s, cost_usd, labels)

    def _track_usage(
        self,
        usage: Usage | None,
        operation_type: str,
        model: str | None,
        provider: str | None,
        request_id: str | None,
        latency_s: float | None,
        cost_usd: Decimal | None,
        labels: Mapping[str, LabelValue],
    ) -> Decimal | None:
        prov, name = self._split(model, provider)
        if cost_usd is not None:
            cost = Cost(
                total_usd=cost_usd,
                source="explicit",
                source_detail="reported by the caller",
                provider=prov,
                model=name or "",
            )
        elif usage is None:
            cost = Cost.unknown(name or "", prov, "no usage data")
        elif name is None:
            warnings.warn(
                f"{operation_type}: no model given, the call is recorded unpriced",
                CostUnknownWarning,
                stacklevel=2,
            )
            cost = Cost.unknown("", prov, "no model")
        else:
            try:
                cost = self.prices.cost(name, usage, provider=prov)
            except PricingNotConfiguredError:
                cost = self._record_unpriced_then_raise(
                    operation_type, _counts(usage), name, prov, request_id, latency_s, labels
                )
        self._record(operation_type, _counts(usage), cost, request_id, latency_s, labels, success=True, error=None)
        return cost.total_usd

    def _record_unpriced_then_raise(
        self,
        operation_type: str,
        counts: _Counts,
        name: str,
        provider: str | None,
        request_id: str | None,
        latency_s: float | None,
        labels: Mapping[str, LabelValue],
    ) -> NoReturn:
        """Strict mode and no price: keep the call (unpriced, so nothing is lost), then re-raise."""
        unknown = Cost.unknown(name, provider, "pricing not configured")
        self._record(operation_type, counts, unknown, request_id, latency_s, labels, success=True, error=None)
        raise  # re-raises the PricingNotConfiguredError being handled

    def _split(self, model: str | None, provider: str | None) -> tuple[str | None, str | None]:
        if not model:
            return provider, None
        key = (model, provider)
        found = self._model_refs.get(key)
        if found is None:
            found = self._model_refs[key] = split_model_ref(model, provider)
        return found

    def track(self, response: Any, operation_type: str, **labels: LabelValue) -> Decimal | None:
        """Record a call from any response :func:`~llmledger.extract_usage` understands.

        The model and the request id come from the response. A response without usage logs the
        warning "no usage data" and is recorded unpriced; this never raises into the caller
        (except in strict mode, for a model the config does not price).
        """
        request_id = labels.pop("request_id", None)
        try:
            explicit = explicit_cost(response)
        except ValueError as exc:
            logger.warning("ignoring the reported cost of %s: %s", operation_type, exc)
            explicit = None
        model = _label_str(labels.pop("model", None)) or extract_model(response)
        provider = _label_str(labels.pop("provider", None)) or extract_provider(response)
        if request_id is None:
            request_id = extract_request_id(response)
        cost_usd: Decimal | None = None
        usage = extract_usage(response)
        if explicit is not None:
            cost_usd, tokens = explicit
            usage = usage or Usage(prompt_tokens=tokens)
        elif usage is None:
            warn_missing_usage(f"no usage data in {type(response).__name__} for {operation_type}: recorded as unpriced")
        return self._track_usage(usage, operation_type, model, provider, _label_str(request_id), None, cost_usd, labels)

    def track_failure(
        self,
        operation_type: str,
        error: BaseException | str,
        *,
        model: str | None = None,
        provider: str | None = None,
        latency_s: float | None = None,
        **labels: LabelValue,
    ) -> None:
        """Record a failed call: counted, no tokens, no cost."""
        prov, name = split_model_ref(model, provider) if model else (provider, None)
        message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self._record(
            operation_type,
            _FAILED,
            Cost.unknown(name or "", prov, "failed"),
            None,
            latency_s,
            labels,
            success=False,
            error=message,
        )

    def _record(
        self,
        operation_type: str,
        counts: _Counts,
        cost: Cost,
        request_id: str | None,
        latency_s: float | None,
        labels: Mapping[str, LabelValue],
        *,
        success: bool,
        error: str | None,
    ) -> None:
        prompt, completion, cached, written, reasoning, images, requests = counts
        known = cost.total_usd is not None
        context = CONTEXT_LABELS.get()
        if context:
            labels = {**context, **labels}  # explicit labels win
        # positional, in field order: the hot path (see CallRecord's docstring)
        record = _new_record(
            CallRecord,
            (
                f"{self._id_prefix}{next(self._ids):x}",
                self._clock(),
                self.session_id,
                operation_type,
                cost.provider,
                cost.model or None,
                prompt,
                completion,
                cached,
                written,
                reasoning,
                images,
                requests,
                cost.total_usd,
                self._price_mapping(cost.price),
                cost.source if known else None,
                cost.source_detail if known else (cost.reason or ""),
                labels,
                request_id,
                success,
                error,
                latency_s,
            ),
        )
        flush_now = False
        with self._lock:
            if request_id is not None:
                if request_id in self._seen_request_ids:
                    logger.warning("request %s was tracked already: not counted again", request_id)
                    return
                self._seen_request_ids.add(request_id)
            self._count(record)
            self._pending.append(record)
            if len(self._pending) >= self.batch_size or time.monotonic() - self._last_flush > self.flush_interval_s:
                flush_now = True
        for listener in self._listeners:
            listener(record)
        if flush_now:
            self._flush(raise_errors=False)

    def _count(self, record: CallRecord) -> None:
        """Add a record to the running sums (kept per operation and model; caller holds the lock)."""
        key = (record.operation_type, record.model or "unknown")
        acc = self._groups.get(key)
        if acc is None:
            acc = self._groups[key] = [0, 0, 0, 0, 0, 0, 0, 0, 0, ZERO]
        acc[0] += 1
        if not record.success:
            acc[1] += 1
        elif record.cost_usd is None:
            acc[2] += 1
        else:
            acc[9] += record.cost_usd
        acc[3] += record.prompt_tokens
        acc[4] += record.completion_tokens
        acc[5] += record.cached_tokens
        acc[6] += record.cache_write_tokens
        acc[7] += record.reasoning_tokens
        if record.images:
            acc[8] += record.image_count
        if self.unit_label is not None:
            unit = record.labels.get(self.unit_label)
            if unit is not None:
                self._units.add(str(unit))
        if self._first_ts is None:
            self._first_ts = record.timestamp
        self._last_ts = record.timestamp

    def _uncount(self, record: CallRecord) -> None:
        """Take a record back out of the running sums (a duplicate the ledger refused)."""
        acc = self._groups[record.operation_type, record.model or "unknown"]
        totals = counts_to_totals(acc)
        totals.remove(record)
        acc[:] = totals_to_counts(totals)

    def _price_mapping(self, price: ModelPrice | None) -> dict[str, str] | None:
        if price is None:
            return None
        cached = self._price_json.get(id(price))
        if cached is not None and cached[0] is price:
            return cached[1]
        mapping = _describe_price(price)
        self._price_json[id(price)] = (price, mapping)
        return mapping

    # -- listeners -----------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(record)`` for every record taken from now on."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)

    # -- writing -------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every pending record to the ledger.

        Raises:
            LedgerError: the ledger cannot be written; the records stay pending (nothing is dropped).
        """
        self._flush(raise_errors=True)

    def _flush(self, *, raise_errors: bool) -> None:
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
                self._last_flush = time.monotonic()
            if not batch and self._session_written:
                return
            try:
                if not self._session_written:
                    self.ledger.add_session(self._session_info)
                    self._session_written = True
                refused = self.ledger.write(batch)
            except Exception as exc:
                with self._lock:
                    self._pending[:0] = batch  # keep them, in order, for the next flush
                if raise_errors:
                    raise exc if isinstance(exc, LedgerError) else LedgerError(str(exc)) from exc
                if not self._warned_ledger:
                    self._warned_ledger = True
                    logger.warning("ledger write failed (%s); %d records kept for the next flush", exc, len(batch))
                return
            if refused:
                with self._lock:
                    for record in refused:
                        self._uncount(record)
                logger.warning(
                    "%d records were already in the ledger (same request id): not counted again", len(refused)
                )

    @property
    def pending(self) -> int:
        """Records taken but not yet written to the ledger."""
        return len(self._pending)

    def close(self) -> None:
        """Flush and stop; the ledger stays open for its owner.

        Raises:
            LedgerError: the ledger cannot be written. With ``spill_path`` set, the records are
                first written there (the message says where); without it they stay pending.
        """
        if self._closed:
            return
        try:
            self.flush()
        except LedgerError as exc:
            if self.spill_path is None:
                raise
            count = self.spill(self.spill_path)
            raise LedgerError(
                f"{exc}; {count} records were written to {self.spill_path}: load them with "
                f"`llmledger import {self.spill_path}`"
            ) from exc
        self._closed = True

    def spill(self, path: str | Path) -> int:
        """Write the pending records to a JSON-lines file and drop them from memory; return how many."""
        from .ledger.jsonl import write_jsonl

        with self._write_lock, self._lock:
            batch, self._pending = self._pending, []
        try:
            return write_jsonl(batch, path)
        except BaseException:
            with self._lock:
                self._pending[:0] = batch
            raise

    def call(
        self,
        operation_type: str,
        *,
        model: str,
        provider: str | None = None,
        messages: Any = None,
        prompt_tokens_bound: int | None = None,
        max_tokens: int | None = None,
        images: tuple[ImageUsage, ...] = (),
        **labels: LabelValue,
    ) -> GuardedCall:
        """Reserve a call's worst case before it is sent; record and settle it after.

        Use it as a context manager::

            with tracker.call("detect", model="openai:gpt-4o", messages=messages) as call:
                response = client.chat.completions.create(
                    model="gpt-4o", messages=messages, max_tokens=call.max_tokens
                )
                call.record(response)

        ``call.max_tokens`` is the caller's ``max_tokens``, or, when none was given and a limit
        applies, what the remaining budget affords. An exception inside the block releases the
        reservation and records a failure.

        Raises:
            UsageLimitExceededError: the worst case does not fit what is left (send nothing).
        """
        from .guarded_call import GuardedCall

        return GuardedCall(
            self,
            operation_type,
            model=model,
            provider=provider,
            messages=messages,
            prompt_tokens_bound=prompt_tokens_bound,
            max_tokens=max_tokens,
            images=images,
            labels=labels,
        )

    # -- instrumentation -----------------------------------------------------------------------

    def instrument(self, target: _T, *, operation_type: str | None = None, **labels: LabelValue) -> _T:
        """Record every call made through an SDK client (or a pydantic-ai agent) from now on.

        Works on ``openai.OpenAI`` / ``AsyncOpenAI``, ``anthropic.Anthropic`` / ``AsyncAnthropic``,
        ``google.genai.Client`` (``client.aio`` included) and pydantic-ai ``Agent``. The client is
        instrumented *in place* and returned, so ``client = tracker.instrument(OpenAI())`` works;
        other clients stay untouched. Streams are priced from their final usage; with ``budget=``
        or ``usage_limits=`` each call reserves its worst case before it is sent. See
        :mod:`llmledger.instrument`.

        Args:
            target: the client or agent.
            operation_type: the operation recorded for every call (default: the SDK method, such
                as ``openai.chat.completions``).
            **labels: labels recorded with every call made through ``target``.

        Raises:
            TypeError: ``target`` is not a supported client or agent.
            ValueError: ``target`` is already instrumented by another tracker.
        """
        from .instrument import instrument

        return instrument(self, target, operation_type=operation_type, labels=labels)

    def uninstrument(self, target: _T) -> _T:
        """Undo :meth:`instrument`: ``target`` sends its calls unrecorded again (no-op if not instrumented)."""
        from .instrument import uninstrument

        return uninstrument(target)

    def labels(self, **labels: LabelValue) -> AbstractContextManager[Mapping[str, LabelValue]]:
        """Attach labels to every call recorded inside a ``with`` block, in this thread and its tasks.

        ``with tracker.labels(layout_name="a.jpg"):`` labels instrumented calls and ``track*`` calls
        alike (of any tracker). asyncio tasks and ``asyncio.to_thread`` inherit the labels; for a
        plain thread use :func:`llmledger.labels.run_in_context` or
        :class:`llmledger.labels.ContextThreadPoolExecutor`. Labels given to a call win.
        """
        return context_labels(**labels)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- totals --------------------------------------------------------------------------------

    @property
    def total_cost(self) -> Decimal:
        """Sum of the known costs so far (see ``stats().totals.unpriced_calls`` for unknown ones)."""
        with self._lock:
            return sum((acc[9] for acc in self._groups.values()), ZERO)

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens so far."""
        with self._lock:
            return sum(acc[3] + acc[4] for acc in self._groups.values())

    @property
    def calls(self) -> int:
        """Calls recorded so far, failed ones included."""
        with self._lock:
            return sum(acc[0] for acc in self._groups.values())

    def stats(self) -> SessionStats:
        """A snapshot of this session's totals and breakdowns."""
        with self._lock:
            groups = [(key, counts_to_totals(acc)) for key, acc in self._groups.items()]
            stats = SessionStats(
                session_id=self.session_id,
                unit_label=self.unit_label,
                units=len(self._units),
                first_ts=self._first_ts,
                last_ts=self._last_ts,
            )
        for (operation, model), totals in groups:
            stats.totals = stats.totals.merged(totals)
            stats.by_operation[operation] = stats.by_operation.get(operation, Totals()).merged(totals)
            stats.by_model[model] = stats.by_model.get(model, Totals()).merged(totals)
        return stats

    def by_operation(self) -> dict[str, Totals]:
        """Totals per operation type."""
        return self.stats().by_operation

    def by_model(self) -> dict[str, Totals]:
        """Totals per model."""
        return self.stats().by_model

    def by_label(self, label: str) -> dict[str, Totals]:
        """Totals per value of any label (flushes, then asks the ledger)."""
        self.flush()
        return self.ledger.breakdown(label, self.session_id)

    def records(self) -> Iterable[CallRecord]:
        """This session's records (flushes, then reads the ledger)."""
        self.flush()
        return self.ledger.records(self.session_id)

    # -- summaries -----------------------------------------------------------------------------

    def summary(self) -> str:
        """The session summary as text (the ``COST TRACKING SUMMARY`` block)."""
        from .reports.text import render_summary

        return render_summary(self.stats())

    def print_summary(self) -> None:
        """Print :meth:`summary`."""
        print(self.summary())

    def report(self) -> dict[str, Any]:
        """The JSON cost report as a dict (costs as exact Decimals)."""
        from .reports.json_report import build_report

        return build_report(self.stats(), self.records())

    def write_report(self, path: str | Path) -> Path:
        """Write the JSON cost report; costs are JSON numbers that round-trip exactly."""
        from .reports.json_report import dumps_exact

        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dumps_exact(self.report()), encoding="utf-8")
        return target


_Counts = tuple[int, int, int, int, int, tuple[tuple[str, str, int], ...], int]
_FAILED: _Counts = (0, 0, 0, 0, 0, (), 1)
_new_record = tuple.__new__


def _counts(usage: Usage | None) -> _Counts:
    if usage is None:
        return _FAILED
    images = tuple((i.quality, i.size, i.count) for i in usage.images) if usage.images else ()
    return (
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.cached_tokens,
        usage.cache_write_tokens,
        usage.reasoning_tokens,
        images,
        usage.requests,
    )


def _images(images: int | ImageUsage | Sequence[ImageUsage] | None) -> tuple[ImageUsage, ...]:
    if images is None or images == 0:
        return ()
    if isinstance(images, int):
        return (ImageUsage(count=images),)
    if isinstance(images, ImageUsage):
        return (images,)
    return tuple(images)


def warn_missing_usage(message: str, *, stacklevel: int = 3) -> None:
    """Say that a call had no usage data: a log line and a :class:`~llmledger.UsageMissingWarning`."""
    logger.warning(message)
    warnings.warn(message, UsageMissingWarning, stacklevel=stacklevel)


def _label_str(value: object) -> str | None:
    return None if value is None else str(value)


def _describe_price(price: ModelPrice) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for key in (
        "prompt_per_million",
        "completion_per_million",
        "cached_prompt_per_million",
        "cache_write_per_million",
    ):
        value = getattr(price, key)
        if value is not None:
            mapping[key] = str(value)
    for (quality, size), value in price.image_prices.items():
        mapping[f"image_{quality}_{size}"] = str(value)
    return mapping


def _new_session_id(started: float) -> str:
    stamp = datetime.fromtimestamp(started, tz=UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{os.urandom(3).hex()}"
