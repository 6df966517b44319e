"""Budget: one named spending limit shared by every process and machine that uses a ledger.

``reserve`` succeeds atomically only when settled spend + outstanding reservations + the
estimate stays within the limit; ``settle`` replaces the estimate by the actual cost; a
reservation not settled within its lease (a worker that died) expires and frees its amount.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal
from typing import Any

from ._budget_store import BudgetState, BudgetStore, open_budget_store
from .exceptions import UsageLimitExceededError
from .ledger.record import PICO, to_pico
from .money import ZERO, format_usd, to_decimal
from .usage import Usage

__all__ = ["Budget", "BudgetReservation"]


def _pusd_up(amount: Decimal) -> int:
    """Dollars as pico-dollars, rounded up: a reservation never holds less than the estimate."""
    return int(amount.quantize(PICO, rounding=ROUND_CEILING).scaleb(12))


def _usd(pusd: int) -> Decimal:
    return Decimal(pusd).scaleb(-12).normalize() if pusd else ZERO


def _tokens_of(usage: Usage | int | None) -> int:
    if usage is None:
        return 0
    return usage.total_tokens if isinstance(usage, Usage) else int(usage)


class BudgetReservation:
    """An amount held against a :class:`Budget` until :meth:`settle` or :meth:`release`."""

    __slots__ = ("_budget", "_done", "amount_usd", "expires_at", "id", "tokens")

    def __init__(self, budget: Budget, rid: str, amount_usd: Decimal, tokens: int, expires_at: float) -> None:
        self._budget = budget
        self.id = rid
        """The reservation's id."""
        self.amount_usd = amount_usd
        """The worst case held."""
        self.tokens = tokens
        """The tokens held."""
        self.expires_at = expires_at
        """When the lease runs out (seconds since the epoch)."""
        self._done = False

    def __repr__(self) -> str:
        return f"BudgetReservation({self.id!r}, amount_usd={self.amount_usd}, tokens={self.tokens})"

    def settle(self, actual_cost: Decimal | None, usage: Usage | int | None = None) -> None:
        """Replace the estimate by the actual cost (``None``: unknown, the estimate is spent).

        Settling twice, or after the lease expired, counts the spend once.
        """
        if self._done:
            return
        actual = self.amount_usd if actual_cost is None else actual_cost
        self._budget._settle(self, actual, _tokens_of(usage))
        self._done = True

    def release(self) -> None:
        """Give the amount back: the call was not made."""
        if not self._done:
            self._budget._settle(self, ZERO, 0)
            self._done = True


class Budget:
    """A named spending limit stored in the ledger database, shared by all who use it.

    Args:
        ledger: a ledger object, a SQLite path or a PostgreSQL URL.
        name: the budget's name.
        limit_usd: sets the limit; without it the stored limit is used.
        limit_tokens: sets the token limit; without it the stored one is used.
        lease_seconds: how long a reservation holds before it expires (choose more than the
            slowest call: a settle after expiry still counts its spend, and could then pass the limit).
        clock: seconds since the epoch, injectable for tests.
    """

    def __init__(
        self,
        ledger: Any,
        name: str,
        *,
        limit_usd: Decimal | float | str | None = None,
        limit_tokens: int | None = None,
        lease_seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        """The budget's name."""
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._store: BudgetStore = open_budget_store(ledger)
        set_limits = limit_usd is not None or limit_tokens is not None
        limit_pusd = None if limit_usd is None else to_pico(to_decimal(limit_usd))
        if limit_pusd is not None and limit_pusd < 0:
            raise ValueError(f"limit_usd must not be negative, got {limit_usd}")
        self._store.ensure(name, limit_pusd, limit_tokens, set_limits=set_limits, now=clock())
        self._seq = 0
        self._prefix = f"{name}-{os.getpid()}-{os.urandom(4).hex()}-"

    def __repr__(self) -> str:
        s = self.state()
        limit = _usd(s.limit_pusd) if s.limit_pusd is not None else None
        return f"Budget({self.name!r}, limit={limit}, spent={_usd(s.spent_pusd)})"

    def state(self) -> BudgetState:
        """The stored row (limits, spend, reservations)."""
        state = self._store.state(self.name)
        if state is None:  # pragma: no cover - reset by someone else
            raise LookupError(f"budget {self.name!r} is gone")
        return state

    @property
    def limit_usd(self) -> Decimal | None:
        """The cost limit."""
        limit = self.state().limit_pusd
        return None if limit is None else _usd(limit)

    @property
    def limit_tokens(self) -> int | None:
        """The token limit."""
        return self.state().limit_tokens

    @property
    def spent(self) -> Decimal:
        """Settled spend."""
        return _usd(self.state().spent_pusd)

    @property
    def spent_tokens(self) -> int:
        """Settled tokens."""
        return self.state().spent_tokens

    @property
    def reserved(self) -> Decimal:
        """Held by outstanding reservations."""
        return _usd(self.state().reserved_pusd)

    @property
    def remaining(self) -> Decimal | None:
        """The limit less settled spend and outstanding reservations (``None``: no cost limit)."""
        s = self.state()
        return None if s.limit_pusd is None else _usd(s.limit_pusd - s.spent_pusd - s.reserved_pusd)

    @property
    def remaining_usd(self) -> Decimal | None:
        """Same as :attr:`remaining` (the :class:`~llmledger.budget.Reserver` protocol)."""
        return self.remaining

    @property
    def remaining_tokens(self) -> int | None:
        """The token limit less settled and reserved tokens (``None``: no token limit)."""
        s = self.state()
        return None if s.limit_tokens is None else s.limit_tokens - s.spent_tokens - s.reserved_tokens

    def reserve(self, estimate_usd: Decimal, *, tokens: int = 0) -> BudgetReservation:
        """Hold ``estimate_usd`` (and ``tokens``) atomically, or raise before any request is sent.

        Raises:
            UsageLimitExceededError: the estimate does not fit what is left, even after expired
                leases are freed.
        """
        amount = _pusd_up(estimate_usd)
        self._seq += 1
        rid = f"{self._prefix}{self._seq:x}"
        now = self._clock()
        expires = now + self.lease_seconds
        if not self._store.reserve(self.name, rid, amount, tokens, expires, now) and not (
            self._store.expire(self.name, now) and self._store.reserve(self.name, rid, amount, tokens, expires, now)
        ):
            s = self.state()
            held = _usd(s.spent_pusd + s.reserved_pusd)
            limit = _usd(s.limit_pusd) if s.limit_pusd is not None else None
            raise UsageLimitExceededError(
                f"Budget {self.name!r}: {format_usd(held)} spent or reserved of "
                f"{format_usd(limit) if limit is not None else f'{s.limit_tokens:,} tokens'}; "
                f"the next call may cost up to {format_usd(estimate_usd, 6)} and {tokens:,} tokens",
                limit=limit if limit is not None else s.limit_tokens,
                spent=held,
                requested=estimate_usd,
            )
        return BudgetReservation(self, rid, estimate_usd, tokens, expires)

    def _settle(self, reservation: BudgetReservation, actual: Decimal, tokens: int) -> None:
        self._store.settle(self.name, reservation.id, to_pico(actual), tokens, self._clock())

    def charge(self, actual_usd: Decimal | None, tokens: int) -> None:
        """Count spend that was never reserved (a call that could not be bounded)."""
        self._store.charge(self.name, to_pico(actual_usd or ZERO), tokens, self._clock())

    def expire(self) -> int:
        """Free reservations whose lease ran out; returns how many."""
        return self._store.expire(self.name, self._clock())

    def reset(self) -> None:
        """Zero the spend and drop every reservation (the limit stays)."""
        self._store.reset(self.name, self._clock())

    def close(self) -> None:
        """Release the database connection."""
        self._store.close()

    def __enter__(self) -> Budget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def all(ledger: Any) -> list[BudgetState]:
        """Every budget in a ledger database."""
        store = open_budget_store(ledger)
        try:
            return store.states()
        finally:
            store.close()


def describe(state: BudgetState) -> dict[str, Any]:
    """A budget's numbers as Decimals, for display."""
    limit = None if state.limit_pusd is None else _usd(state.limit_pusd)
    left = None if limit is None else limit - _usd(state.spent_pusd) - _usd(state.reserved_pusd)
    return {
        "name": state.name,
        "limit_usd": limit,
        "limit_tokens": state.limit_tokens,
        "settled_usd": _usd(state.spent_pusd),
        "settled_tokens": state.spent_tokens,
        "reserved_usd": _usd(state.reserved_pusd),
        "reserved_tokens": state.reserved_tokens,
        "left_usd": left,
        "left_tokens": None
        if state.limit_tokens is None
        else state.limit_tokens - state.spent_tokens - state.reserved_tokens,
    }
