"""What every instrumented call shares: plan before the request, record and settle after.

:class:`Instrumentation` is the state of one instrumented client (its tracker, provider, labels
and how to undo it); :class:`MeteredCall` is one call made through it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..exceptions import UsageLimitExceededError
from ..guard import CallPlan
from ..ledger.record import LabelValue
from ..tracker import warn_missing_usage
from ..usage import ImageUsage, Usage, extract_model, extract_request_id, extract_usage

if TYPE_CHECKING:
    from ..tracker import CostTracker

__all__ = ["Instrumentation", "MeteredCall", "int_or_none"]


@dataclass(slots=True, kw_only=True)
class Instrumentation:
    """One instrumented client or agent."""

    tracker: CostTracker
    """Where its calls are recorded."""
    provider: str | None
    """The provider its calls are priced under (``None``: from the model name)."""
    operation_type: str | None = None
    """The operation recorded for every call; ``None``: the SDK method's name."""
    labels: dict[str, LabelValue] = field(default_factory=dict)
    """Labels recorded with every call."""
    undo: list[Callable[[], None]] = field(default_factory=list)
    """What :func:`~llmledger.instrument.uninstrument` runs, last first."""

    def start(
        self,
        operation: str,
        model: str | None,
        *,
        prompt_bound: Callable[[], int],
        requested_cap: int | None,
        images: tuple[ImageUsage, ...] = (),
    ) -> MeteredCall:
        """Plan a call before it is sent (reserving its worst case when limits apply).

        Raises:
            UsageLimitExceededError: the call does not fit what is left; send nothing.
        """
        plan: CallPlan | None = None
        guard = self.tracker.guard
        if guard.limited and model:
            plan = guard.plan(
                model,
                provider=self.provider,
                prompt_tokens_bound=prompt_bound(),
                requested_cap=requested_cap,
                images=images,
            )
        return MeteredCall(self, self.operation_type or operation, model, plan)


class MeteredCall:
    """One call through an instrumented client: recorded exactly once, then its reservation settled."""

    __slots__ = ("done", "instrumentation", "model", "operation", "plan", "start")

    def __init__(
        self, instrumentation: Instrumentation, operation: str, model: str | None, plan: CallPlan | None
    ) -> None:
        self.instrumentation = instrumentation
        self.operation = operation
        self.model = model
        self.plan = plan
        self.done = False
        self.start = time.perf_counter()

    @property
    def new_cap(self) -> int | None:
        """The output cap the guard chose (the caller set none), to put in the request; else ``None``."""
        plan = self.plan
        return plan.output_cap if plan is not None and plan.cap_was_set else None

    def record_response(self, response: Any, **labels: LabelValue) -> Decimal | None:
        """Record a complete (non-streamed) response; return its cost."""
        missing = f"no usage data in {type(response).__name__}"
        return self.record(
            extract_usage(response),
            model=extract_model(response),
            request_id=extract_request_id(response),
            missing=missing,
            labels=labels,
        )

    def record(
        self,
        usage: Usage | None,
        *,
        model: str | None = None,
        request_id: str | None = None,
        missing: str = "no usage data",
        labels: Mapping[str, LabelValue] | None = None,
    ) -> Decimal | None:
        """Record the call with its usage (``None``: unpriced, with a warning saying ``missing``), once.

        ``labels`` are added to the instrumentation's for this call. Returns the cost.
        """
        if self.done:
            return None
        self.done = True
        inst = self.instrumentation
        if usage is None:
            warn_missing_usage(f"{self.operation}: {missing}; recorded as unpriced", stacklevel=4)
        cost = None
        merged: dict[str, Any] = {**inst.labels, **labels} if labels else inst.labels
        try:
            cost = inst.tracker.track_usage(
                usage,
                self.operation,
                model=model or self.model,
                provider=inst.provider,
                request_id=request_id,
                latency_s=time.perf_counter() - self.start,
                warn=False,
                **merged,
            )
        finally:
            if self.plan is not None:
                self.plan.settle(cost, usage.total_tokens if usage is not None else 0)
        return cost

    def release(self) -> bool:
        """The call was not made: give the reservation back. ``False`` if it was already recorded."""
        if self.done:
            return False
        self.done = True
        if self.plan is not None:
            self.plan.release()
        return True

    def fail(self, error: BaseException) -> None:
        """The request failed before an answer: give the reservation back, record the failure."""
        if not self.release() or isinstance(error, UsageLimitExceededError):
            return
        inst = self.instrumentation
        labels: dict[str, Any] = inst.labels
        inst.tracker.track_failure(
            self.operation,
            error,
            model=self.model,
            provider=inst.provider,
            latency_s=time.perf_counter() - self.start,
            **labels,
        )


def int_or_none(value: Any) -> int | None:
    """An ``int`` argument, or ``None`` for anything else (``NOT_GIVEN``, ``omit``, ``None``)."""
    return value if type(value) is int else None
