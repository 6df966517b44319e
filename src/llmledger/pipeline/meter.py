"""StepMeter: reserve before each model request of a step, price and record after it."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..exceptions import UsageLimitExceededError
from ..guard import CallGuard, CallPlan
from ..ledger.record import LabelValue
from ..money import ZERO, format_usd
from ..usage import ImageUsage, Usage

if TYPE_CHECKING:
    from ..tracker import CostTracker

__all__ = ["StepMeter"]


class StepMeter:
    """Meters one step of one run: every model request it makes is planned, recorded and summed."""

    def __init__(self, *, guard: CallGuard, tracker: CostTracker, operation_type: str, labels: dict[str, LabelValue]):
        self.guard = guard
        self.tracker = tracker
        self.operation_type = operation_type
        self.labels = labels
        self.usage: Usage | None = None
        """Usage summed over the step's requests."""
        self.cost_usd: Decimal | None = ZERO
        """Cost summed over the step's requests; ``None`` once any request could not be priced."""
        self.requests = 0
        """Requests made."""
        self.model: str | None = None
        """The model of the last request."""

    def before(
        self,
        model: str,
        *,
        provider: str | None,
        prompt_tokens_bound: int,
        requested_cap: int | None,
        images: tuple[ImageUsage, ...] = (),
    ) -> CallPlan:
        """Reserve a request's worst case; raises :class:`UsageLimitExceededError` if it does not fit."""
        return self.guard.plan(
            model,
            provider=provider,
            prompt_tokens_bound=prompt_tokens_bound,
            requested_cap=requested_cap,
            images=images,
        )

    def before_unbounded(self) -> CallPlan:
        """For an opaque agent that cannot be bounded: refuse only when nothing is left."""
        reserver = self.guard.reserver
        if reserver is not None:
            left = reserver.remaining_usd
            if left is not None and left <= 0:
                raise UsageLimitExceededError(
                    f"Cost limit reached: {format_usd(left)} left", limit=left, spent=None, requested=ZERO
                )
            tokens_left = reserver.remaining_tokens
            if tokens_left is not None and tokens_left <= 0:
                raise UsageLimitExceededError("Token limit reached", limit=tokens_left, requested=0)
        return CallPlan(prompt_tokens_bound=0, output_cap=None, cap_was_set=False, worst_usd=None, reservation=None)

    def after(
        self,
        plan: CallPlan,
        usage: Usage | None,
        *,
        model: str | None,
        provider: str | None,
        request_id: str | None = None,
        latency_s: float | None = None,
        cost_usd: Decimal | None = None,
    ) -> Decimal | None:
        """Price and record a finished request, settle its reservation, add it to the step's sums."""
        labels: dict[str, Any] = self.labels
        try:
            cost = self.tracker.track_usage(
                usage,
                self.operation_type,
                model=model,
                provider=provider,
                request_id=request_id,
                latency_s=latency_s,
                cost_usd=cost_usd,
                **labels,
            )
        finally:
            tokens = usage.total_tokens if usage is not None else 0
            if plan.reservation is not None:
                plan.settle(cost, tokens)
            elif self.guard.reserver is not None and self.guard.limited:
                # an opaque call: charge what it cost against the limit after the fact
                self.guard.reserver.charge(cost, tokens)
        self.requests += 1
        self.model = model or self.model
        if usage is not None:
            self.usage = usage if self.usage is None else self.usage + usage
        if cost is None or self.cost_usd is None:
            self.cost_usd = None
        else:
            self.cost_usd += cost
        return cost

    def failed(self, plan: CallPlan, error: BaseException, *, model: str | None, provider: str | None) -> None:
        """A request failed before it was answered: give its reservation back, record the failure."""
        plan.release()
        if not isinstance(error, UsageLimitExceededError):
            labels: dict[str, Any] = self.labels
            self.tracker.track_failure(self.operation_type, error, model=model, provider=provider, **labels)


def now() -> float:
    """A monotonic clock for latencies."""
    return time.perf_counter()
