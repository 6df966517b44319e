"""GuardedCall: one call reserved before it is sent, recorded and settled after (``tracker.call``).

A thin context manager around :class:`~llmledger.instrument._recording.MeteredCall`, the one
plan / record / settle lifecycle that instrumented clients use too.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from .bounds import messages_prompt_bound
from .instrument._recording import Instrumentation, MeteredCall
from .ledger.record import LabelValue
from .usage import ImageUsage

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
        def bound() -> int:
            if prompt_tokens_bound is not None:
                return prompt_tokens_bound
            return messages_prompt_bound(messages, tracker.guard.mode) if messages is not None else 0

        self._requested_cap = max_tokens
        self._call: MeteredCall = Instrumentation(tracker=tracker, provider=provider, labels=labels).start(
            operation_type, model, prompt_bound=bound, requested_cap=max_tokens, images=images
        )
        self.cost_usd: Decimal | None = None
        """What the call cost, once recorded."""

    @property
    def max_tokens(self) -> int | None:
        """The output cap to send: the caller's, or what the remaining budget affords."""
        plan = self._call.plan
        return plan.output_cap if plan is not None else self._requested_cap

    @property
    def recorded(self) -> bool:
        """Whether the call was recorded (or released)."""
        return self._call.done

    def __enter__(self) -> GuardedCall:
        return self

    def record(self, response: Any, **labels: LabelValue) -> Decimal | None:
        """Record the response, settle the reservation with its actual cost, return the cost."""
        self.cost_usd = self._call.record_response(response, **labels)
        return self.cost_usd

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            self._call.fail(exc)
        else:
            self._call.release()
