"""CallGuard: plan a call's worst case, reserve it, pick its output cap, settle it afterwards.

Shared by the pipeline runner, image agents and instrumented clients, so every path that sends a
request checks limits the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .bounds import LimitMode, affordable_output_tokens
from .budget import Reservation, Reserver
from .exceptions import PricingNotConfiguredError, UsageLimitExceededError
from .models import split_model_ref
from .money import ZERO, format_usd
from .pricing import ModelPrice, PriceTable
from .usage import ImageUsage

__all__ = ["CallGuard", "CallPlan"]


@dataclass(slots=True, kw_only=True)
class CallPlan:
    """What a guarded call may spend, and the output cap to send with it."""

    prompt_tokens_bound: int
    """Upper bound (or estimate) of the prompt's tokens."""
    output_cap: int | None
    """``max_tokens`` to send; ``None``: leave the request as it is."""
    cap_was_set: bool
    """Whether the guard chose ``output_cap`` (the caller had set none)."""
    worst_usd: Decimal | None
    """The reserved worst-case cost (``None``: not priced)."""
    reservation: Reservation | None
    """The reservation to settle, if limits apply."""

    def settle(self, actual_usd: Decimal | None, tokens: int) -> None:
        """Settle the reservation with the actual cost (unknown: the worst case stays spent)."""
        if self.reservation is not None:
            self.reservation.settle(actual_usd, tokens)
            self.reservation = None

    def release(self) -> None:
        """The call was not made (or failed before it cost anything): give the reservation back."""
        if self.reservation is not None:
            self.reservation.release()
            self.reservation = None


class CallGuard:
    """Plans and reserves calls against a :class:`~llmledger.budget.Reserver`.

    Args:
        prices: the price table.
        reserver: a :class:`~llmledger.budget.LimitGuard` or a shared budget; ``None``: no limits.
        mode: ``bound`` (guaranteed) or ``estimate`` prompt counts; see :mod:`llmledger.bounds`.
    """

    def __init__(self, prices: PriceTable, reserver: Reserver | None, *, mode: LimitMode = "bound") -> None:
        self.prices = prices
        self.reserver = reserver
        self.mode = mode

    @property
    def limited(self) -> bool:
        """Whether any limit applies."""
        if self.reserver is None:
            return False
        return self.reserver.has_cost_limit or self.reserver.has_token_limit

    def plan(
        self,
        model: str,
        *,
        provider: str | None = None,
        prompt_tokens_bound: int,
        requested_cap: int | None,
        images: tuple[ImageUsage, ...] = (),
    ) -> CallPlan:
        """Reserve the worst case of a call and choose its output cap.

        Raises:
            UsageLimitExceededError: the worst case does not fit what is left (nothing is sent).
            PricingNotConfiguredError: strict mode without a price, or a cost limit on a model
                that has no price (its cost could not be bounded).
        """
        reserver = self.reserver
        if not self.limited or reserver is None:
            return CallPlan(
                prompt_tokens_bound=prompt_tokens_bound,
                output_cap=requested_cap,
                cap_was_set=False,
                worst_usd=None,
                reservation=None,
            )
        price = self.prices.lookup(model, provider=provider)
        if price is None and reserver.has_cost_limit:
            prov, name = split_model_ref(model, provider)
            raise PricingNotConfiguredError(
                prov or "unknown",
                name,
                detail="a cost limit is set, and a call without a price cannot be bounded",
            )
        model_cap = price.max_output_tokens if price is not None else None
        cap = requested_cap
        cap_was_set = False
        if cap is None:
            # only a call without an output cap needs what is left (a database read for a Budget)
            remaining_usd = reserver.remaining_usd
            prompt_cost = _prompt_worst(price, prompt_tokens_bound) if price is not None else ZERO
            completion_rate = price.rates_for(prompt_tokens_bound).per_token[3] if price is not None else None
            affordable = affordable_output_tokens(
                remaining_usd, prompt_cost, completion_rate, reserver.remaining_tokens, prompt_tokens_bound
            )
            if affordable is not None and affordable < 1 and not images:
                raise UsageLimitExceededError(
                    f"Not even the prompt fits what is left: up to {prompt_tokens_bound:,} prompt tokens "
                    f"({format_usd(prompt_cost, 6)}), {format_usd(remaining_usd)} left",
                    limit=remaining_usd,
                    requested=prompt_cost,
                )
            candidates = [c for c in (affordable, model_cap) if c is not None]
            if candidates and not images:
                cap = max(1, min(candidates))
                cap_was_set = True
        worst = _worst_usd(price, prompt_tokens_bound, cap, images) if price is not None else ZERO
        tokens = prompt_tokens_bound + (cap or 0)
        reservation = reserver.reserve(worst, tokens=tokens)
        return CallPlan(
            prompt_tokens_bound=prompt_tokens_bound,
            output_cap=cap,
            cap_was_set=cap_was_set,
            worst_usd=worst,
            reservation=reservation,
        )


def _prompt_worst(price: ModelPrice, prompt_tokens: int) -> Decimal:
    rates = price.rates_for(prompt_tokens)
    per_token = [r for r in (rates.per_token[0], rates.per_token[2]) if r is not None]
    return prompt_tokens * max(per_token) if per_token else ZERO


def _worst_usd(price: ModelPrice, prompt_tokens: int, cap: int | None, images: tuple[ImageUsage, ...]) -> Decimal:
    """Every prompt token at the dearest input rate, the whole output cap, every image."""
    worst = _prompt_worst(price, prompt_tokens)
    completion_rate = price.rates_for(prompt_tokens).per_token[3]
    if cap and completion_rate is not None:
        worst += cap * completion_rate
    for image in images:
        per_image = price.image_prices.get((image.quality, image.size))
        if per_image is None:
            raise PricingNotConfiguredError(
                price.provider, price.model, detail=f"no price for {image.quality} {image.size} images"
            )
        worst += image.count * per_image
    return worst
