"""Budget: one named spending limit shared by every process and machine that uses a ledger.

``reserve`` succeeds only when settled spend + everything held + the estimate stays within the
limit; ``settle`` replaces the estimate by the actual cost; what a process that died was holding
comes back when its lease expires. How it stays fast with many machines is explained in
:mod:`llmledger._budget_store`: each process leases a slice of the budget and hands out
reservations from it; settling is one insert that waits for no other machine.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from ._budget_store import BudgetState, BudgetStore, Grant, open_budget_store
from .exceptions import UsageLimitExceededError
from .ledger.record import PICO, to_pico
from .money import ZERO, format_usd, to_decimal
from .usage import Usage

__all__ = ["Budget", "BudgetReservation", "describe"]

LIMITS_TTL_S = 2.0
"""How long :attr:`Budget.has_cost_limit` trusts what it read (a limit set meanwhile applies to reserve at once)."""
RESERVATIONS_PER_LEASE = 32
"""A lease asks for this many reservations' worth (never more than 1/8 of what is left)."""


def _pusd_up(amount: Decimal) -> int:
    """Dollars as pico-dollars, rounded up: a reservation never holds less than the estimate."""
    return int(amount.quantize(PICO, rounding=ROUND_CEILING).scaleb(12))


def _usd(pusd: int) -> Decimal:
    return Decimal(pusd).scaleb(-12).normalize() if pusd else ZERO


def _tokens_of(usage: Usage | int | None) -> int:
    if usage is None:
        return 0
    return usage.total_tokens if isinstance(usage, Usage) else int(usage)


@dataclass(slots=True)
class _Lease:
    """A slice of the budget this process holds, and what it has handed out of it."""

    id: str
    amount_pusd: int
    tokens: int
    expires_at: float
    renew_at: float
    used_pusd: int = 0
    used_tokens: int = 0
    outstanding: int = 0
    retired: bool = False

    def fits(self, amount: int, tokens: int, now: float) -> bool:
        return (
            not self.retired
            and now < self.renew_at
            and self.used_pusd + amount <= self.amount_pusd
            and self.used_tokens + tokens <= self.tokens
        )


class BudgetReservation:
    """An amount held against a :class:`Budget` until :meth:`settle` or :meth:`release`."""

    __slots__ = ("_budget", "_done", "_lease", "amount_usd", "id", "tokens")

    def __init__(self, budget: Budget, lease: _Lease, rid: str, amount_usd: Decimal, tokens: int) -> None:
        self._budget = budget
        self._lease = lease
        self.id = rid
        """The reservation's id (settlements are idempotent on it)."""
        self.amount_usd = amount_usd
        """The worst case held."""
        self.tokens = tokens
        """The tokens held."""
        self._done = False

    def __repr__(self) -> str:
        return f"BudgetReservation({self.id!r}, amount_usd={self.amount_usd}, tokens={self.tokens})"

    @property
    def expires_at(self) -> float:
        """When the lease this reservation came from runs out (seconds since the epoch)."""
        return self._lease.expires_at

    def settle(self, actual_cost: Decimal | None, usage: Usage | int | None = None) -> None:
        """Replace the estimate by the actual cost (``None``: unknown, the estimate is spent).

        Durable when it returns; settling twice counts once; a settle after the lease expired
        still counts its spend, once.
        """
        if self._done:
            return
        actual = self.amount_usd if actual_cost is None else actual_cost
        self._budget._settle(self, self._lease, to_pico(actual), _tokens_of(usage))
        self._done = True

    def release(self) -> None:
        """Give the amount back: the call was not made."""
        if not self._done:
            self._budget._release(self, self._lease)
            self._done = True


class Budget:
    """A named spending limit stored in the ledger database, shared by all who use it.

    Args:
        ledger: a ledger object, a SQLite path or a PostgreSQL URL.
        name: the budget's name.
        limit_usd: sets the limit; without it the stored limit is used.
        limit_tokens: sets the token limit; without it the stored one is used.
        lease_seconds: how long this process's hold on a slice of the budget lasts; a process that
            dies gives its slice back after this long. Reservations are taken from a lease only in
            its first half, so a call has at least ``lease_seconds / 2`` to settle.
        reservations_per_lease: how many reservations a lease is sized for (1: every reservation
            is its own lease, settled straight into the budget; slower, exact bookkeeping).
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
        reservations_per_lease: int = RESERVATIONS_PER_LEASE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        """The budget's name."""
        self.lease_seconds = lease_seconds
        self.reservations_per_lease = max(1, reservations_per_lease)
        self._clock = clock
        self._store: BudgetStore = open_budget_store(ledger)
        set_limits = limit_usd is not None or limit_tokens is not None
        limit_pusd = None if limit_usd is None else to_pico(to_decimal(limit_usd))
        if limit_pusd is not None and limit_pusd < 0:
            raise ValueError(f"limit_usd must not be negative, got {limit_usd}")
        self._store.ensure(name, limit_pusd, limit_tokens, set_limits=set_limits, now=clock())
        self._lock = threading.Lock()
        self._limits_cache: tuple[float, BudgetState] | None = None
        self._lease: _Lease | None = None
        self._leases: dict[str, _Lease] = {}
        self._seq = 0
        self._prefix = f"{name}-{os.getpid()}-{os.urandom(4).hex()}-"
        self._finalizer = weakref.finalize(self, _fold_all, self._store, name, self._leases, clock)

    def __repr__(self) -> str:
        s = self.state()
        limit = _usd(s.limit_pusd) if s.limit_pusd is not None else None
        return f"Budget({self.name!r}, limit={limit}, spent={_usd(s.spent_pusd)})"

    def state(self) -> BudgetState:
        """The stored numbers (limits, spend, what is held)."""
        state = self._store.state(self.name)
        if state is None:  # pragma: no cover - deleted by someone else
            raise LookupError(f"budget {self.name!r} is gone")
        return state

    def _limits(self) -> BudgetState:
        """The stored row, read at most every :data:`LIMITS_TTL_S` seconds (for the cheap limit checks)."""
        now = time.monotonic()
        cached = self._limits_cache
        if cached is None or now - cached[0] > LIMITS_TTL_S:
            cached = self._limits_cache = (now, self.state())
        return cached[1]

    @property
    def has_cost_limit(self) -> bool:
        """Whether the budget has a cost limit (re-read every few seconds; reserve always checks the database)."""
        return self._limits().limit_pusd is not None

    @property
    def has_token_limit(self) -> bool:
        """Whether the budget has a token limit (re-read every few seconds)."""
        return self._limits().limit_tokens is not None

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
        """Settled spend, over every process."""
        return _usd(self.state().spent_pusd)

    @property
    def spent_tokens(self) -> int:
        """Settled tokens, over every process."""
        return self.state().spent_tokens

    @property
    def reserved(self) -> Decimal:
        """Held and not yet spent, over every process (leases and their outstanding reservations)."""
        return _usd(self.state().reserved_pusd)

    @property
    def remaining(self) -> Decimal | None:
        """The limit less settled spend and everything held (``None``: no cost limit)."""
        s = self.state()
        return None if s.limit_pusd is None else _usd(s.limit_pusd - s.spent_pusd - s.reserved_pusd)

    @property
    def remaining_usd(self) -> Decimal | None:
        """What the next reservation here could get: :attr:`remaining` plus this process's unused lease."""
        left = self.remaining
        if left is None:
            return None
        with self._lock:
            lease = self._lease
            room = lease.amount_pusd - lease.used_pusd if lease is not None and not lease.retired else 0
        return left + _usd(max(room, 0))

    @property
    def remaining_tokens(self) -> int | None:
        """The token limit less settled and held tokens, plus this process's unused lease."""
        s = self.state()
        if s.limit_tokens is None:
            return None
        with self._lock:
            lease = self._lease
            room = lease.tokens - lease.used_tokens if lease is not None and not lease.retired else 0
        return s.limit_tokens - s.spent_tokens - s.reserved_tokens + max(room, 0)

    def reserve(self, estimate_usd: Decimal, *, tokens: int = 0) -> BudgetReservation:
        """Hold ``estimate_usd`` (and ``tokens``), or raise before any request is sent.

        Raises:
            UsageLimitExceededError: the estimate does not fit what is left, even after expired
                leases are folded.
        """
        amount = _pusd_up(estimate_usd)
        with self._lock:
            now = self._clock()
            lease = self._lease
            if lease is None or not lease.fits(amount, tokens, now):
                if lease is not None:
                    self._retire(lease)
                lease = self._lease = self._new_lease(amount, tokens, now, estimate_usd)
            lease.used_pusd += amount
            lease.used_tokens += tokens
            lease.outstanding += 1
            self._seq += 1
            rid = f"{lease.id}.{self._seq:x}"
        return BudgetReservation(self, lease, rid, estimate_usd, tokens)

    def _new_lease(self, amount: int, tokens: int, now: float, estimate_usd: Decimal) -> _Lease:
        want = Grant(amount * self.reservations_per_lease, tokens * self.reservations_per_lease)
        least = Grant(amount, tokens)
        self._seq += 1
        lease_id = f"{self._prefix}{self._seq:x}"
        expires = now + self.lease_seconds
        granted = self._store.acquire(self.name, lease_id, want, least, expires, now)
        if granted is None and self._store.expire(self.name, now):
            granted = self._store.acquire(self.name, lease_id, want, least, expires, now)
        if granted is None:
            s = self.state()
            held = _usd(s.spent_pusd + s.reserved_pusd)
            limit = _usd(s.limit_pusd) if s.limit_pusd is not None else None
            of = format_usd(limit) if limit is not None else f"{s.limit_tokens:,} tokens"
            raise UsageLimitExceededError(
                f"Budget {self.name!r}: {format_usd(held)} spent or held of {of}; the next call may cost up to "
                f"{format_usd(estimate_usd, 6)} and {tokens:,} tokens",
                limit=limit if limit is not None else s.limit_tokens,
                spent=held,
                requested=estimate_usd,
            )
        lease = _Lease(lease_id, granted.amount_pusd, granted.tokens, expires, now + self.lease_seconds / 2)
        self._leases[lease_id] = lease
        return lease

    def _retire(self, lease: _Lease) -> None:
        """Stop handing out of a lease; fold it now if nothing is outstanding (caller holds the lock)."""
        lease.retired = True
        if self._lease is lease:
            self._lease = None
        if lease.outstanding == 0:
            self._leases.pop(lease.id, None)
            self._store.fold(self.name, lease.id, self._clock())

    def _settle(self, reservation: BudgetReservation, lease: _Lease, actual_pusd: int, tokens: int) -> None:
        self._store.settle(self.name, lease.id, reservation.id, actual_pusd, tokens, self._clock())
        with self._lock:
            held = _pusd_up(reservation.amount_usd)
            lease.used_pusd += actual_pusd - held
            lease.used_tokens += tokens - reservation.tokens
            self._done_with(lease)

    def _release(self, reservation: BudgetReservation, lease: _Lease) -> None:
        with self._lock:
            lease.used_pusd -= _pusd_up(reservation.amount_usd)
            lease.used_tokens -= reservation.tokens
            self._done_with(lease)

    def _done_with(self, lease: _Lease) -> None:
        lease.outstanding -= 1
        if self.reservations_per_lease == 1 and lease is self._lease:
            self._retire(lease)
        elif lease.retired and lease.outstanding == 0 and lease.id in self._leases:
            self._leases.pop(lease.id, None)
            self._store.fold(self.name, lease.id, self._clock())

    def charge(self, actual_usd: Decimal | None, tokens: int) -> None:
        """Count spend that was never reserved (a call that could not be bounded)."""
        self._store.charge(self.name, to_pico(actual_usd or ZERO), tokens, self._clock())

    def expire(self) -> int:
        """Fold leases whose time ran out (their processes died); returns how many."""
        return self._store.expire(self.name, self._clock())

    def reset(self) -> None:
        """Zero the spend and drop every lease and reservation (the limit stays)."""
        with self._lock:
            self._lease = None
            self._leases.clear()
        self._store.reset(self.name, self._clock())

    def close(self) -> None:
        """Give back what this process holds and release the database connection."""
        with self._lock:
            self._lease = None
        self._finalizer()

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


def _fold_all(store: BudgetStore, name: str, leases: dict[str, _Lease], clock: Callable[[], float]) -> None:
    """Give back the leases with nothing outstanding, then close the store (also at interpreter exit).

    A lease with reservations still outstanding is left to expire: their calls may still settle,
    and what they hold must stay held until then.
    """
    try:
        for lease_id, lease in list(leases.items()):
            if lease.outstanding == 0:
                store.fold(name, lease_id, clock())
                leases.pop(lease_id, None)
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
        "left_tokens": (
            None if state.limit_tokens is None else state.limit_tokens - state.spent_tokens - state.reserved_tokens
        ),
    }
