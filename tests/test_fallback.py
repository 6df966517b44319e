from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from llmledger.budget import LimitGuard, UsageLimits
from llmledger.fallback import ConcurrencyAdvisor, FallbackPolicy
from llmledger.ledger.record import CallRecord

cents = st.integers(min_value=0, max_value=500).map(lambda c: Decimal(c) / 100)


@settings(max_examples=200, deadline=None)
@given(
    limit=cents,
    units=st.lists(st.tuples(st.booleans(), cents, st.floats(min_value=0, max_value=1.5)), max_size=30),
)
def test_never_starts_an_expensive_unit_it_cannot_afford(
    limit: Decimal, units: list[tuple[bool, Decimal, float]]
) -> None:
    guard = LimitGuard(UsageLimits(total_cost_usd_limit=limit))
    policy = FallbackPolicy(guard)
    for i, (needed, worst, spent_share) in enumerate(units):
        left_before = guard.remaining_usd
        assert left_before is not None
        decision = policy.decide(f"u{i}", needed=needed, worst_case_usd=worst)
        if decision.fall_back:
            assert needed and worst <= left_before  # it fitted when it started
            actual = (worst * Decimal(str(min(spent_share, 1.0)))).quantize(Decimal("0.0001"))
            decision.settle(actual)  # an expensive run never costs more than its worst case
        else:
            assert decision.reason == ("not_needed" if not needed else "over_budget")
            assert not needed or worst > left_before
        assert guard.spent_usd + guard.reserved_usd <= limit
    counts = policy.counts()
    assert sum(counts.values()) == len(units)


def test_reasons_are_recorded() -> None:
    policy = FallbackPolicy(LimitGuard(UsageLimits(total_cost_usd_limit=Decimal("0.05"))))
    assert policy.decide("a", needed=False, worst_case_usd=Decimal("0.01")).reason == "not_needed"
    held = policy.decide("b", needed=True, why="3 masters uncertain", worst_case_usd=Decimal("0.04"))
    assert held.fall_back and "3 masters uncertain" in held.detail
    refused = policy.decide("c", needed=True, worst_case_usd=Decimal("0.02"))
    assert not refused.fall_back and refused.reason == "over_budget" and "$0.010000 left" in refused.detail
    held.release()
    assert policy.decide("c", needed=True, worst_case_usd=Decimal("0.02")).fall_back
    assert [d.unit for d in policy.fell_back()] == ["b", "c"]


def test_without_a_budget_every_needed_unit_falls_back() -> None:
    policy = FallbackPolicy()
    assert policy.decide("a", needed=True).fall_back


def _spend(ts: float, cost: str) -> CallRecord:
    return CallRecord(id=str(ts), timestamp=ts, session_id="s", operation_type="x", cost_usd=Decimal(cost))


def test_concurrency_advisor_lowers_workers_when_spend_rate_is_high() -> None:
    advisor = ConcurrencyAdvisor(Decimal("1"), max_workers=8, window_s=60, clock=lambda: 1000.0)
    calm = [_spend(1000 - i, "0.01") for i in range(50)]  # $0.50 in the last minute
    assert advisor.spend_rate(calm) == Decimal("0.5")
    assert advisor.advise(calm) == 8
    hot = [_spend(1000 - i, "0.05") for i in range(80)]  # $3.00 within the window (older ones ignored)
    assert advisor.spend_rate(hot) == Decimal("3.05")
    assert advisor.advise(hot) == 2  # floor(8 * 1 / 3.05)
    very_hot = [_spend(999, "100")]
    assert advisor.advise(very_hot) == 1
