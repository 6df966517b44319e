"""Decimal helpers: parsing prices exactly and rounding for display only.

Money in llmledger is always :class:`decimal.Decimal` US dollars. Floats appear only when a value
is shown to a person.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

__all__ = ["ZERO", "format_usd", "to_decimal"]

ZERO = Decimal(0)


def to_decimal(value: object) -> Decimal:
    """Convert a price or cost to an exact :class:`~decimal.Decimal`.

    Floats are converted through their shortest ``repr`` (``0.005`` becomes ``Decimal('0.005')``,
    not the binary expansion), which is what a person who typed the number meant.

    Raises:
        ValueError: for booleans, NaN, infinities and anything that is not a number.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"expected a number, got {value!r}") from None
    else:
        raise ValueError(f"expected a number, got {value!r}")
    if not result.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return result


def format_usd(amount: Decimal | None, places: int = 4) -> str:
    """Format dollars for display, ``$1.2345``; ``None`` (unknown) shows as ``unknown``."""
    if amount is None:
        return "unknown"
    quantum = Decimal(1).scaleb(-places)
    return f"${amount.quantize(quantum, rounding=ROUND_HALF_EVEN):,}"
