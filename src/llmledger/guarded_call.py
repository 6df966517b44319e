"""GuardedCall: one call reserved before it is sent, recorded and settled after (``tracker.call``)."""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .bounds import messages_prompt_bound
from .exceptions import UsageLimitExceededError
from .guard import CallPlan
from .ledger.record import LabelValue
from .tracker import warn_missing_usage
from .usage import ImageUsage, extract_model, extract_usage

if TYPE_CHECKING:
    from decimal import Decimal

    from .tracker import CostTracker

__all__ = ["GuardedCall"]


class GuardedCall:
    """The context manager :meth:`CostTracker.call` returns."""

    def __init__(
        self,
        tracker: CostTracker,
        operation_type: str,
        *,
        model: str,
        provider: str | None,
        messages: Any,
        prompt_tokens_bound: int | None,
        max_tokens: int | None,
        images: tuple[ImageUsage, ...],
        labels: dict[str, LabelValue],
    ) -> None:
        self.tracker = tracker
        self.operation_type = operation_type
        self.model = model
        self.provider = provider
        self.labels = labels
        bound = prompt_tokens_bound
        if bound is None:
            bound = messages_prompt_bound(messages, tracker.guard.mode) if messages is not None else 0
        self.plan: CallPlan = tracker.guard.plan(
            model, provider=provider, prompt_tokens_bound=bound, requested_cap=max_tokens, images=images
        )
        self.cost_usd: Decimal | None = None
        """What the call cost, once recorded."""
        self.recorded = False
        self._start = time.perf_counter()

    @property
    def max_tokens(self) -> int | None:
        """The output cap to send: the caller's, or what the remaining budget affords."""
        return self.plan.output_cap

    def __enter__(self) -> GuardedCall:
        self._start = time.perf_counter()
        return self

    def record(self, response: Any, **labels: LabelValue) -> Decimal | None:
        """Record the response, settle the reservation with its actual cost, return the cost."""
        usage = extract_usage(response)
        if usage is None:
            warn_missing_usage(
                f"no usage data in {type(response).__name__} for {self.operation_type}: recorded as unpriced"
            )
        request_id = response.get("id") if isinstance(response, dict) else getattr(response, "id", None)
        merged: dict[str, Any] = {**self.labels, **labels}
        try:
            self.cost_usd = self.tracker.track_usage(
                usage,
                self.operation_type,
                model=extract_model(response) or self.model,
                provider=self.provider,
                request_id=request_id if isinstance(request_id, str) else None,
                latency_s=time.perf_counter() - self._start,
                warn=False,
                **merged,
            )
        finally:
            self.plan.settle(self.cost_usd, usage.total_tokens if usage is not None else 0)
            self.recorded = True
        return self.cost_usd

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.recorded:
            return
        self.plan.release()
        if exc is not None and not isinstance(exc, UsageLimitExceededError):
            labels: dict[str, Any] = self.labels
            self.tracker.track_failure(self.operation_type, exc, model=self.model, provider=self.provider, **labels)
