"""Limits that hold: :class:`UsageLimits`, reservations and the in-process :class:`LimitGuard`.

Before a call is sent, its worst case (an upper bound of its prompt tokens plus its output cap,
priced) is *reserved*: the reservation succeeds only while settled spend + outstanding
reservations + this worst case stays within the limit. After the call the reservation is
*settled* with the actual cost. So concurrent calls can never together spend past a limit, and
a refused call is never sent.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from .exceptions import UsageLimitExceededError
from .money import ZERO, format_usd

__all__ = ["CombinedReserver", "LimitGuard", "Reservation", "Reserver", "UsageLimits"]


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageLimits:
    """Cost and token limits for everything a runner (or tracker) does.

    Both are checked before each call is sent (see the module docstring); ``None`` means no limit.
    """

    total_cost_usd_limit: Decimal | float | None = None
    """The most that may be spent, in US dollars."""
    total_tokens_limit: int | None = None
    """The most tokens (prompt plus completion) that may be used."""

    def __post_init__(self) -> None:
        if self.total_cost_usd_limit is not None:
            from .money import to_decimal

            value = to_decimal(self.total_cost_usd_limit)
            if value < 0:
                raise ValueError(f"total_cost_usd_limit must not be negative, got {value}")
            object.__setattr__(self, "total_cost_usd_limit", value)
        if self.total_tokens_limit is not None and (
            type(self.total_tokens_limit) is not int or self.total_tokens_limit < 0
        ):
            raise ValueError(f"total_tokens_limit must be a non-negative integer, got {self.total_tokens_limit!r}")

    @property
    def cost_limit(self) -> Decimal | None:
        """The cost limit as a Decimal."""
        value = self.total_cost_usd_limit
        return value if value is None or isinstance(value, Decimal) else Decimal(str(value))


@runtime_checkable
class Reservation(Protocol):
    """An amount held against a limit until the call it covers is settled."""

    amount_usd: Decimal
    """The worst-case cost held."""
    tokens: int
    """The worst-case tokens held."""

    def settle(self, actual_usd: Decimal | None, tokens: int) -> None:
        """Replace the held amount by what the call actually cost (``None``: unknown, keep the estimate)."""
        ...

    def release(self) -> None:
        """Give the held amount back without spending it (the call was not made)."""
        ...


@runtime_checkable
class Reserver(Protocol):
    """Anything that hands out reservations: a :class:`LimitGuard` or a shared ``Budget``."""

    @property
    def has_cost_limit(self) -> bool:
        """Whether a cost limit applies (cheap: no database round trip)."""
        ...

    @property
    def has_token_limit(self) -> bool:
        """Whether a token limit applies (cheap: no database round trip)."""
        ...

    @property
    def remaining_usd(self) -> Decimal | None:
        """Dollars left after settled spend and outstanding reservations (``None``: no cost limit)."""
        ...

    @property
    def remaining_tokens(self) -> int | None:
        """Tokens left (``None``: no token limit)."""
        ...

    def reserve(self, estimate_usd: Decimal, *, tokens: int = 0) -> Reservation:
        """Hold ``estimate_usd`` and ``tokens``, or raise :class:`UsageLimitExceededError`."""
        ...

    def charge(self, actual_usd: Decimal | None, tokens: int) -> None:
        """Count spend that was not reserved (a call that could not be bounded), without a check."""
        ...


class _GuardReservation:
    """A reservation against a :class:`LimitGuard`."""

    __slots__ = ("_done", "_guard", "amount_usd", "tokens")

    def __init__(self, guard: LimitGuard, amount_usd: Decimal, tokens: int) -> None:
        self._guard = guard
        self.amount_usd = amount_usd
        self.tokens = tokens
        self._done = False

    def settle(self, actual_usd: Decimal | None, tokens: int) -> None:
        """Replace the held amount by the actual cost and tokens."""
        self._guard._close(self, actual_usd if actual_usd is not None else self.amount_usd, tokens)

    def release(self) -> None:
        """Give the held amount back."""
        self._guard._close(self, ZERO, 0)


class LimitGuard:
    """In-process limits with reservations: safe for many threads and asyncio tasks at once.

    Args:
        limits: the limits to hold.
    """

    def __init__(self, limits: UsageLimits | None = None) -> None:
        self.limits = limits or UsageLimits()
        """The limits held."""
        self._lock = threading.Lock()
        self.spent_usd = ZERO
        """Settled spend."""
        self.spent_tokens = 0
        """Settled tokens."""
        self.reserved_usd = ZERO
        """Held by outstanding reservations."""
        self.reserved_tokens = 0
        """Tokens held by outstanding reservations."""

    def __repr__(self) -> str:
        return f"LimitGuard(spent={self.spent_usd}, reserved={self.reserved_usd}, limits={self.limits})"

    @property
    def active(self) -> bool:
        """Whether any limit is set."""
        return self.has_cost_limit or self.has_token_limit

    @property
    def has_cost_limit(self) -> bool:
        """Whether a cost limit is set."""
        return self.limits.cost_limit is not None

    @property
    def has_token_limit(self) -> bool:
        """Whether a token limit is set."""
        return self.limits.total_tokens_limit is not None

    @property
    def remaining_usd(self) -> Decimal | None:
        """Dollars left after settled spend and outstanding reservations."""
        limit = self.limits.cost_limit
        return None if limit is None else limit - self.spent_usd - self.reserved_usd

    @property
    def remaining_tokens(self) -> int | None:
        """Tokens left after settled use and outstanding reservations."""
        limit = self.limits.total_tokens_limit
        return None if limit is None else limit - self.spent_tokens - self.reserved_tokens

    def reserve(self, estimate_usd: Decimal, *, tokens: int = 0) -> Reservation:
        """Hold a call's worst case; raise :class:`UsageLimitExceededError` if it does not fit."""
        cost_limit = self.limits.cost_limit
        token_limit = self.limits.total_tokens_limit
        with self._lock:
            if cost_limit is not None and self.spent_usd + self.reserved_usd + estimate_usd > cost_limit:
                held = self.spent_usd + self.reserved_usd
                raise UsageLimitExceededError(
                    f"Cost limit of {format_usd(cost_limit)} would be exceeded: {format_usd(held)} spent or "
                    f"reserved, the next call may cost up to {format_usd(estimate_usd, 6)}",
                    limit=cost_limit,
                    spent=held,
                    requested=estimate_usd,
                )
            if token_limit is not None and self.spent_tokens + self.reserved_tokens + tokens > token_limit:
                held_tokens = self.spent_tokens + self.reserved_tokens
                raise UsageLimitExceededError(
                    f"Token limit of {token_limit:,} would be exceeded: {held_tokens:,} used or reserved, "
                    f"the next call may use up to {tokens:,}",
                    limit=token_limit,
                    spent=held_tokens,
                    requested=tokens,
                )
            self.reserved_usd += estimate_usd
            self.reserved_tokens += tokens
        return _GuardReservation(self, estimate_usd, tokens)

    def charge(self, actual_usd: Decimal | None, tokens: int) -> None:
        """Count spend that was not reserved, without a check (it already happened)."""
        with self._lock:
            self.spent_usd += actual_usd or ZERO
            self.spent_tokens += tokens

    def _close(self, reservation: _GuardReservation, actual_usd: Decimal, tokens: int) -> None:
        with self._lock:
            if reservation._done:
                raise RuntimeError("this reservation was already settled or released")
            reservation._done = True
            self.reserved_usd -= reservation.amount_usd
            self.reserved_tokens -= reservation.tokens
            self.spent_usd += actual_usd
            self.spent_tokens += tokens


class _CombinedReservation:
    __slots__ = ("amount_usd", "parts", "tokens")

    def __init__(self, parts: list[Reservation], amount_usd: Decimal, tokens: int) -> None:
        self.parts = parts
        self.amount_usd = amount_usd
        self.tokens = tokens

    def settle(self, actual_usd: Decimal | None, tokens: int) -> None:
        for part in self.parts:
            part.settle(actual_usd, tokens)

    def release(self) -> None:
        for part in self.parts:
            part.release()


class CombinedReserver:
    """Several reservers at once (a runner's own limits and a shared budget): all must agree."""

    def __init__(self, *reservers: Reserver) -> None:
        self.reservers = reservers

    @property
    def has_cost_limit(self) -> bool:
        """Whether any of them has a cost limit."""
        return any(r.has_cost_limit for r in self.reservers)

    @property
    def has_token_limit(self) -> bool:
        """Whether any of them has a token limit."""
        return any(r.has_token_limit for r in self.reservers)

    @property
    def remaining_usd(self) -> Decimal | None:
        """The least dollars left over all reservers."""
        left = [r.remaining_usd for r in self.reservers if r.remaining_usd is not None]
        return min(left) if left else None

    @property
    def remaining_tokens(self) -> int | None:
        """The least tokens left over all reservers."""
        left = [r.remaining_tokens for r in self.reservers if r.remaining_tokens is not None]
        return min(left) if left else None

    def reserve(self, estimate_usd: Decimal, *, tokens: int = 0) -> Reservation:
        """Reserve from each in turn; if one refuses, release the others."""
        held: list[Reservation] = []
        try:
            for reserver in self.reservers:
                held.append(reserver.reserve(estimate_usd, tokens=tokens))
        except BaseException:
            for reservation in held:
                reservation.release()
            raise
        return _CombinedReservation(held, estimate_usd, tokens)

    def charge(self, actual_usd: Decimal | None, tokens: int) -> None:
        """Count unreserved spend in every reserver."""
        for reserver in self.reservers:
            reserver.charge(actual_usd, tokens)
