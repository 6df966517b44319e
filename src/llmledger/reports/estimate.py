"""Project the cost of a larger batch from a sample's per-unit costs, with a bootstrap interval.

The sample is a session's units (its calls grouped by the unit label, summed by the ledger). The
point estimate is the mean cost per unit times the units planned; the interval comes from
resampling the units with replacement (a seeded :class:`random.Random`, so a run is reproducible).
Resampling works on whole pico-dollars, so it is exact: a sample whose units all cost the same
gives an interval of zero width, to the pico-dollar.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from ..ledger.base import Ledger
from ..ledger.filters import Filters
from ..ledger.record import PICO, SessionInfo, to_pico
from ..money import ZERO
from .stats import Totals

__all__ = ["MIN_SAMPLE_UNITS", "BatchEstimate", "budget_for", "estimate_batch", "estimate_session"]

MIN_SAMPLE_UNITS = 10
"""Below this many sampled units an estimate carries a warning: the interval says little."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchEstimate:
    """What a batch of ``units`` units should cost, judged from a sample."""

    units: int
    """Units planned."""
    sample_units: int
    """Units in the sample."""
    mean_cost_per_unit: Decimal
    """The sample's mean cost per unit."""
    projected_cost: Decimal
    """``mean_cost_per_unit * units``."""
    low: Decimal
    """Lower end of the interval (the ``(1 - confidence) / 2`` quantile of the resampled totals)."""
    high: Decimal
    """Upper end of the interval."""
    confidence: float
    """The interval's coverage, ``0.9`` for 90%."""
    budget: Decimal
    """The budget to ask for: ``high`` rounded up to two significant digits."""
    expected_calls: int
    """Calls the batch should make, at the sample's calls per unit."""
    expected_tokens: int
    """Tokens the batch should use, at the sample's tokens per unit."""
    resamples: int
    """Bootstrap resamples drawn."""
    seed: int
    """The random seed (same seed, same sample: same interval)."""
    unpriced_calls: int = 0
    """Sampled calls without a price: their cost is not in the estimate."""
    warnings: tuple[str, ...] = ()
    """What makes the estimate weak (a small sample, unpriced calls)."""


def budget_for(amount: Decimal) -> Decimal:
    """``amount`` rounded up to two significant digits: ``123.45`` -> ``130``, ``0.01234`` -> ``0.013``."""
    if amount <= 0:
        return ZERO
    quantum = Decimal(1).scaleb(amount.adjusted() - 1)
    return ((amount / quantum).to_integral_value(rounding=ROUND_CEILING) * quantum).normalize()


def _quantile_index(count: int, q: float) -> int:
    return min(count - 1, max(0, math.ceil(q * count) - 1))


def estimate_batch(
    sample: Sequence[Totals],
    units: int,
    *,
    confidence: float = 0.9,
    resamples: int = 2000,
    seed: int = 0,
) -> BatchEstimate:
    """Project ``units`` units from the per-unit totals ``sample``.

    The interval: ``resamples`` times, draw ``len(sample)`` units with replacement and scale their
    total to ``units``; the interval is the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2``
    quantiles (nearest rank) of those totals.

    Raises:
        ValueError: an empty sample, ``units`` below 1, or ``confidence`` outside (0, 1).
    """
    if not sample:
        raise ValueError("the sample has no units: nothing to estimate from")
    if units < 1:
        raise ValueError(f"units must be at least 1, got {units}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    n = len(sample)
    picos = [to_pico(t.cost_usd) for t in sample]
    rng = random.Random(seed)
    sums = sorted(sum(rng.choices(picos, k=n)) for _ in range(resamples))
    scale = Decimal(units) / n

    def total(pico_sum: int) -> Decimal:
        return (Decimal(pico_sum) * PICO * scale).quantize(PICO).normalize()

    low = total(sums[_quantile_index(resamples, (1 - confidence) / 2)])
    high = total(sums[_quantile_index(resamples, (1 + confidence) / 2)])
    cost = sum((t.cost_usd for t in sample), ZERO)
    calls = sum(t.calls for t in sample)
    tokens = sum(t.total_tokens for t in sample)
    unpriced = sum(t.unpriced_calls for t in sample)
    warnings = []
    if n < MIN_SAMPLE_UNITS:
        warnings.append(
            f"only {n} unit{'s' if n != 1 else ''} in the sample: the interval says little; "
            f"sample at least {MIN_SAMPLE_UNITS}"
        )
    if unpriced:
        warnings.append(f"{unpriced} sampled calls have no price: their cost is not in the estimate")
    return BatchEstimate(
        units=units,
        sample_units=n,
        mean_cost_per_unit=(cost / n).normalize(),
        projected_cost=(cost * scale).quantize(PICO).normalize(),
        low=low,
        high=high,
        confidence=confidence,
        budget=budget_for(high),
        expected_calls=int((calls * scale).to_integral_value(rounding=ROUND_HALF_UP)),
        expected_tokens=int((tokens * scale).to_integral_value(rounding=ROUND_HALF_UP)),
        resamples=resamples,
        seed=seed,
        unpriced_calls=unpriced,
        warnings=tuple(warnings),
    )


def estimate_session(
    ledger: Ledger,
    session: SessionInfo,
    units: int,
    *,
    unit_label: str | None = None,
    filters: Filters | None = None,
    confidence: float = 0.9,
    resamples: int = 2000,
    seed: int = 0,
) -> BatchEstimate:
    """Project ``units`` units from ``session``'s per-unit costs (its unit label unless ``unit_label`` is given).

    Raises:
        ValueError: no unit label is known, or the session has no units.
    """
    label = unit_label or session.unit_label
    if not label:
        raise ValueError(f"session {session.id} has no unit label: pass one (--unit LABEL)")
    per_unit = ledger.per_unit(label, (filters or Filters()).with_session(session.id))
    if not per_unit:
        raise ValueError(f"session {session.id} has no calls labelled {label!r}: nothing to estimate from")
    sample = [per_unit[key] for key in sorted(per_unit)]
    return estimate_batch(sample, units, confidence=confidence, resamples=resamples, seed=seed)
