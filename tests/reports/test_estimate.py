from decimal import Decimal

import pytest

from llmledger.reports.estimate import budget_for, estimate_batch
from llmledger.reports.stats import Totals


def _units(*costs: str) -> list[Totals]:
    return [Totals(calls=2, prompt_tokens=90, completion_tokens=10, cost_usd=Decimal(c)) for c in costs]


def test_two_unit_sample_interval_by_hand() -> None:
    # resampling 2 units from {$0.001, $0.003}: the mean is 0.001 (p=1/4), 0.002 (1/2) or 0.003 (1/4);
    # with 2000 resamples the 5% and 95% quantiles are 0.001 and 0.003 (missing either needs < 100
    # hits where 500 are expected), so for 1,000 units the 90% interval is [$1, $3], the point $2.
    e = estimate_batch(_units("0.001", "0.003"), 1000, seed=7)
    assert (e.low, e.projected_cost, e.high) == (Decimal(1), Decimal(2), Decimal(3))
    assert e.budget == Decimal(3)
    assert e.expected_calls == 2000 and e.expected_tokens == 100_000


def test_same_seed_same_interval_and_seed_matters_only_within_noise() -> None:
    sample = _units(*(f"0.0{i}" for i in range(1, 10)), "0.5")
    first, again = estimate_batch(sample, 10_000, seed=3), estimate_batch(sample, 10_000, seed=3)
    assert (first.low, first.high) == (again.low, again.high)
    assert first.low < first.projected_cost < first.high
    assert not first.warnings  # 10 units: enough


def test_degenerate_sample_is_exact() -> None:
    e = estimate_batch(_units(*["0.0123"] * 12), 10_000)
    assert e.low == e.high == e.projected_cost == Decimal("123")
    assert e.budget == Decimal("130")


@pytest.mark.parametrize(
    ("amount", "budget"), [("123.45", "130"), ("0.01234", "0.013"), ("200", "200"), ("9.91", "10"), ("0", "0")]
)
def test_budget_rounds_up_to_two_significant_digits(amount: str, budget: str) -> None:
    assert budget_for(Decimal(amount)) == Decimal(budget)


def test_errors() -> None:
    with pytest.raises(ValueError, match="no units"):
        estimate_batch([], 10)
    with pytest.raises(ValueError, match="units must be at least 1"):
        estimate_batch(_units("1"), 0)
