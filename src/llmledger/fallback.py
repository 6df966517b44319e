"""Cost-based fallback: run the cheap mode first, the expensive one only where needed and affordable.

:class:`FallbackPolicy` decides per unit. A unit the cheap mode settled never falls back; a unit
that needs the expensive mode falls back only if its worst case can be *reserved* from the
remaining budget (a :class:`~llmledger.budget.LimitGuard` or a shared
:class:`~llmledger.budgets.Budget`), so concurrent workers together never start an expensive unit
they cannot pay for. Each decision keeps its reason.

:class:`ConcurrencyAdvisor` watches the spend rate ($/min) over recent records and says how many
workers to keep: fewer when money goes out faster than a threshold.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from .budget import Reservation, Reserver
from .exceptions import UsageLimitExceededError
from .ledger.record import CallRecord
from .money import ZERO, format_usd

__all__ = ["ConcurrencyAdvisor", "FallbackDecision", "FallbackPolicy", "FallbackReason"]

FallbackReason = Literal["not_needed", "needed", "over_budget"]
"""Why a unit did or did not fall back: the cheap mode was enough; it needed the expensive mode and
its worst case was reserved; it needed it but the remaining budget did not cover the worst case."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FallbackDecision:
    """What the policy decided for one unit, and why."""

    unit: str
    """The unit (a layout name, a document id)."""
    fall_back: bool
    """Whether to run the expensive mode on it."""
    reason: FallbackReason
    """Why (see :data:`FallbackReason`)."""
    detail: str
    """The reason in words, with the numbers."""
    worst_case_usd: Decimal
    """The expensive mode's worst case for this unit."""
    reservation: Reservation | None = None
    """The worst case held for the expensive run (settle it with the actual cost); ``None`` without one."""

    def settle(self, actual_usd: Decimal | None, tokens: int = 0) -> None:
        """Settle the held worst case with what the expensive run cost (no-op without a reservation)."""
        if self.reservation is not None:
            self.reservation.settle(actual_usd, tokens)

    def release(self) -> None:
        """Give the held worst case back: the expensive run was not made."""
        if self.reservation is not None:
            self.reservation.release()


class FallbackPolicy:
    """Decides per unit whether to fall back to the expensive mode, within a budget.

    Args:
        reserver: the remaining budget (a ``LimitGuard`` or a ``Budget``); ``None``: no budget,
            every unit that needs the expensive mode gets it.
        worst_case_usd: the expensive mode's worst case for one unit (overridable per unit).
        worst_case_tokens: its worst-case tokens, held against a token limit.
    """

    def __init__(
        self, reserver: Reserver | None = None, *, worst_case_usd: Decimal = ZERO, worst_case_tokens: int = 0
    ) -> None:
        if worst_case_usd < 0:
            raise ValueError(f"worst_case_usd must not be negative, got {worst_case_usd}")
        self.reserver = reserver
        """Where the worst cases are reserved."""
        self.worst_case_usd = worst_case_usd
        """The default worst case of one expensive unit."""
        self.worst_case_tokens = worst_case_tokens
        """The default worst-case tokens of one expensive unit."""
        self._lock = threading.Lock()
        self._decisions: list[FallbackDecision] = []

    def decide(
        self,
        unit: str,
        *,
        needed: bool,
        why: str = "",
        worst_case_usd: Decimal | None = None,
        worst_case_tokens: int | None = None,
    ) -> FallbackDecision:
        """Decide for ``unit``; when it falls back, its worst case is already reserved.

        Args:
            unit: the unit.
            needed: whether the cheap mode left the unit undecided.
            why: what made it needed (``3 masters uncertain``), kept in the decision's detail.
            worst_case_usd: this unit's worst case, if not the default.
            worst_case_tokens: this unit's worst-case tokens, if not the default.
        """
        worst = self.worst_case_usd if worst_case_usd is None else worst_case_usd
        tokens = self.worst_case_tokens if worst_case_tokens is None else worst_case_tokens
        if not needed:
            decision = FallbackDecision(
                unit=unit,
                fall_back=False,
                reason="not_needed",
                detail="the cheap mode was enough",
                worst_case_usd=worst,
            )
        elif self.reserver is None:
            decision = FallbackDecision(
                unit=unit, fall_back=True, reason="needed", detail=why or "needed (no budget set)", worst_case_usd=worst
            )
        else:
            try:
                held = self.reserver.reserve(worst, tokens=tokens)
            except UsageLimitExceededError as exc:
                left = self.reserver.remaining_usd
                decision = FallbackDecision(
                    unit=unit,
                    fall_back=False,
                    reason="over_budget",
                    detail=f"{why + ': ' if why else ''}worst case {format_usd(worst, 6)} > "
                    f"{format_usd(left, 6) if left is not None else 'the token limit'} left ({exc})",
                    worst_case_usd=worst,
                )
            else:
                decision = FallbackDecision(
                    unit=unit,
                    fall_back=True,
                    reason="needed",
                    detail=f"{why + ': ' if why else ''}worst case {format_usd(worst, 6)} reserved",
                    worst_case_usd=worst,
                    reservation=held,
                )
        with self._lock:
            self._decisions.append(decision)
        return decision

    @property
    def decisions(self) -> list[FallbackDecision]:
        """Every decision so far, in order."""
        with self._lock:
            return list(self._decisions)

    def counts(self) -> Counter[FallbackReason]:
        """How many units each reason covers."""
        return Counter(d.reason for d in self.decisions)

    def fell_back(self) -> list[FallbackDecision]:
        """The units that fell back."""
        return [d for d in self.decisions if d.fall_back]


class ConcurrencyAdvisor:
    """Advises how many workers to run so the spend rate stays under ``max_usd_per_minute``.

    The rate is the cost of the calls recorded in the last ``window_s`` seconds, per minute. Above
    the threshold the advice scales the workers down in proportion (never below ``min_workers``);
    at or under it, the advice is ``max_workers``.

    Args:
        max_usd_per_minute: the spend rate not to pass.
        max_workers: the workers to run while under the threshold.
        min_workers: the fewest workers advised.
        window_s: how far back the rate looks, seconds.
        clock: seconds since the epoch, injectable for tests.
    """

    def __init__(
        self,
        max_usd_per_minute: Decimal,
        *,
        max_workers: int,
        min_workers: int = 1,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_usd_per_minute <= 0:
            raise ValueError(f"max_usd_per_minute must be positive, got {max_usd_per_minute}")
        if not 1 <= min_workers <= max_workers:
            raise ValueError(f"need 1 <= min_workers <= max_workers, got {min_workers} and {max_workers}")
        self.max_usd_per_minute = max_usd_per_minute
        """The threshold, dollars per minute."""
        self.max_workers = max_workers
        """Workers while under the threshold."""
        self.min_workers = min_workers
        """The fewest workers advised."""
        self.window_s = window_s
        """How far back the rate looks."""
        self._clock = clock

    def spend_rate(self, records: Iterable[CallRecord]) -> Decimal:
        """Dollars per minute over the last ``window_s`` seconds of ``records`` (a tracker's ``records()``)."""
        since = self._clock() - self.window_s
        spent = sum((r.cost_usd for r in records if r.timestamp >= since and r.cost_usd is not None), ZERO)
        return spent * 60 / Decimal(str(self.window_s))

    def advise(self, records: Iterable[CallRecord]) -> int:
        """The workers to run now, from the recent spend rate."""
        rate = self.spend_rate(records)
        if rate <= self.max_usd_per_minute:
            return self.max_workers
        scaled = math.floor(self.max_workers * (self.max_usd_per_minute / rate))
        return max(self.min_workers, min(self.max_workers, scaled))
