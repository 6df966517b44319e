"""tracked_map: run calls in worker processes, record them in the main process.

Workers extract usage from their own API responses and hand back plain picklable data; only the
main process records, so workers share no state and no database connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from .budget import CombinedReserver, Reservation, Reserver
from .exceptions import UsageLimitExceededError
from .ledger.record import LabelValue
from .reporter import explicit_cost
from .tracker import CostTracker
from .usage import Usage, extract_model, extract_provider, extract_request_id, extract_usage

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

__all__ = ["CallData", "MapOutcome", "call_data", "tracked_map"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallData:
    """What a worker hands back about one call: plain, picklable data."""

    usage: Usage | None
    """The call's usage (``None``: the response carried none)."""
    model: str | None = None
    """The model the response names."""
    provider: str | None = None
    """The provider whose response shape was recognised."""
    request_id: str | None = None
    """The response id."""
    cost_usd: Decimal | None = None
    """A cost reported by the call itself (an ExplicitCostReporter)."""
    latency_s: float | None = None
    """How long the call took in the worker."""


def call_data(response_or_usage: Any, *, latency_s: float | None = None) -> CallData:
    """Reduce a response (or a :class:`Usage`) to :class:`CallData`; run this in the worker."""
    if isinstance(response_or_usage, CallData):
        return response_or_usage
    if isinstance(response_or_usage, Usage):
        return CallData(usage=response_or_usage, latency_s=latency_s)
    explicit = explicit_cost(response_or_usage)
    usage = extract_usage(response_or_usage)
    if explicit is not None and usage is None:
        usage = Usage(prompt_tokens=explicit[1])
    return CallData(
        usage=usage,
        model=extract_model(response_or_usage),
        provider=extract_provider(response_or_usage),
        request_id=extract_request_id(response_or_usage),
        cost_usd=explicit[0] if explicit else None,
        latency_s=latency_s,
    )


@dataclass(frozen=True, slots=True)
class MapOutcome(Generic[T, R]):
    """One item's outcome."""

    item: T
    """The input item."""
    result: R | None
    """What ``fn`` returned first (``None`` on failure)."""
    error: str | None
    """The failure, as ``Type: message``, or ``None``."""
    cost_usd: Decimal | None
    """What the call cost (``None``: failed or unknown)."""

    @property
    def ok(self) -> bool:
        """Whether the item succeeded."""
        return self.error is None


def _run_one(fn: Callable[[Any], Any], item: Any) -> tuple[Any, CallData | None, str | None]:
    """Runs in the worker: call ``fn``, reduce its response to plain data, never raise."""
    start = time.perf_counter()
    try:
        returned = fn(item)
        if not (isinstance(returned, tuple) and len(returned) == 2):
            raise TypeError("fn must return (result, response_or_usage)")
        result, response = returned
        return result, call_data(response, latency_s=time.perf_counter() - start), None
    except Exception as exc:
        return None, None, f"{type(exc).__name__}: {exc}"


def tracked_map(
    fn: Callable[[T], tuple[R, Any]],
    items: Iterable[T],
    *,
    tracker: CostTracker,
    operation_type: str,
    workers: int = 8,
    labels: Mapping[str, LabelValue] | Callable[[T], Mapping[str, LabelValue]] | None = None,
    model: str | None = None,
    budget: Reserver | None = None,
    worst_case: Callable[[T], Decimal] | Decimal | None = None,
    worst_case_tokens: Callable[[T], int] | int = 0,
    executor: Literal["process", "thread"] | Executor = "process",
    mp_context: Any = None,
) -> list[MapOutcome[T, R]]:
    """Run ``fn`` over ``items`` in ``workers`` processes and record every call as it completes.

    ``fn(item)`` returns ``(result, response_or_usage)``; it must be picklable (a module-level
    function) for processes. At most ``workers`` items are in flight at once. A worker that
    raises is recorded with :meth:`CostTracker.track_failure` and the map goes on; a worker
    process that dies fails only the items it was running. ``model`` prices calls whose
    response does not name one (``fn`` returning a bare :class:`Usage`). ``executor="thread"``
    runs ``fn`` in threads instead, for calls that only wait on the network; an
    :class:`~concurrent.futures.Executor` is used as it is (and left open), so a batch of many
    maps pays for starting its worker processes once.

    With ``budget`` (or limits on the tracker), each item's ``worst_case`` (dollars, or a function
    of the item; and ``worst_case_tokens``) is reserved in the main process before the item is
    handed to a worker, and settled with the actual cost when it comes back; an item that does
    not fit is not sent, and its outcome carries the ``UsageLimitExceededError``.

    Returns:
        One :class:`MapOutcome` per item, in input order.
    """
    reserver = _reserver(tracker, budget)
    if reserver is not None and worst_case is None:
        raise ValueError("a budget or limits need worst_case= (the most one item may cost) to reserve before each call")
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    pending = list(enumerate(items))
    pending.reverse()
    outcomes: dict[int, MapOutcome[T, R]] = {}
    item_labels = labels if callable(labels) else (lambda _item: labels or {})

    held: dict[int, Reservation] = {}

    def reserve(index: int, item: T) -> bool:
        if reserver is None:
            return True
        worst = worst_case(item) if callable(worst_case) else worst_case
        tokens = worst_case_tokens(item) if callable(worst_case_tokens) else worst_case_tokens
        try:
            held[index] = reserver.reserve(worst or Decimal(0), tokens=tokens)
        except UsageLimitExceededError as exc:
            outcomes[index] = MapOutcome(item, None, f"UsageLimitExceededError: {exc}", None)
            return False
        return True

    def record(index: int, item: T, result: Any, data: CallData | None, error: str | None) -> None:
        extra: dict[str, Any] = dict(item_labels(item))
        reservation = held.pop(index, None)
        if error is not None or data is None:
            if reservation is not None:
                reservation.release()
            tracker.track_failure(operation_type, error or "no result", **extra)
            outcomes[index] = MapOutcome(item, None, error or "no result", None)
            return
        cost = tracker.track_usage(
            data.usage,
            operation_type,
            model=data.model or model,
            provider=data.provider,
            request_id=data.request_id,
            latency_s=data.latency_s,
            cost_usd=data.cost_usd,
            **extra,
        )
        if reservation is not None:
            reservation.settle(cost, data.usage.total_tokens if data.usage is not None else 0)
        outcomes[index] = MapOutcome(item, result, None, cost)

    while pending:
        pool = executor if not isinstance(executor, str) else _make_pool(executor, workers, mp_context)
        owned = isinstance(executor, str)
        in_flight: dict[Future[Any], tuple[int, T]] = {}
        try:
            while pending or in_flight:
                while pending and len(in_flight) < workers:
                    index, item = pending.pop()
                    if reserve(index, item):
                        in_flight[pool.submit(_run_one, fn, item)] = (index, item)
                if not in_flight:
                    continue
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    index, item = in_flight.pop(future)
                    try:
                        result, data, error = future.result()
                    except BrokenProcessPool as exc:
                        record(index, item, None, None, f"worker process died: {exc}")
                        raise
                    except Exception as exc:  # the result could not be sent back (not picklable)
                        result, data, error = None, None, f"{type(exc).__name__}: {exc}"
                    record(index, item, result, data, error)
        except BrokenProcessPool as exc:
            for index, item in in_flight.values():
                record(index, item, None, None, f"worker process died: {exc}")
            if not owned:  # the caller's pool is broken: go on in a pool of our own
                executor = "process"
        finally:
            if owned:
                pool.shutdown(wait=True, cancel_futures=True)
    return [outcomes[i] for i in sorted(outcomes)]


def _reserver(tracker: CostTracker, budget: Reserver | None) -> Reserver | None:
    own = tracker.guard.reserver if tracker.guard.limited else None
    if own is None:
        return budget
    if budget is None:
        return own
    return CombinedReserver(own, budget)


def _make_pool(executor: str, workers: int, mp_context: Any) -> Executor:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    if executor == "thread":
        return ThreadPoolExecutor(max_workers=workers)
    context = mp_context or multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)
