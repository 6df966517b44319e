"""Results that report their own cost: the :class:`ExplicitCostReporter` protocol."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol, runtime_checkable

from .money import to_decimal

__all__ = ["ExplicitCostReporter", "explicit_cost"]


@runtime_checkable
class ExplicitCostReporter(Protocol):
    """Any object with ``cost_usd`` and ``token_counts``: its cost is taken as given.

    Use it for calls llmledger cannot price itself (a proprietary API, a cached result that cost
    nothing, a price negotiated off-list).
    """

    cost_usd: Decimal | float | None
    """What the call cost in US dollars (``None``: unknown)."""
    token_counts: int
    """Tokens the call used, prompt and completion together."""


def explicit_cost(obj: object) -> tuple[Decimal | None, int] | None:
    """``(cost_usd, token_counts)`` of an :class:`ExplicitCostReporter`, else ``None``.

    Raises:
        ValueError: the reported cost is negative or not a finite number, or the tokens are negative.
    """
    if not isinstance(obj, ExplicitCostReporter):
        return None
    raw = obj.cost_usd
    cost = None if raw is None else to_decimal(raw)
    if cost is not None and cost < 0:
        raise ValueError(f"cost_usd must not be negative, got {raw!r}")
    tokens = obj.token_counts
    if type(tokens) is not int or tokens < 0:
        raise ValueError(f"token_counts must be a non-negative integer, got {tokens!r}")
    return cost, tokens
