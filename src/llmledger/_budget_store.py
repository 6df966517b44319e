"""Where a shared :class:`~llmledger.budgets.Budget` lives: SQLite or PostgreSQL.

The design, so that many processes and machines can draw on one budget fast and never past it:

* A process takes a **lease**: a slice of the budget (at most an eighth of what is left, and
  about 32 reservations' worth) added to the budget row's ``reserved``, in one atomic statement
  that refuses when the slice does not fit. This is the only write to the shared row on the hot
  path, and it happens once per many calls.
* Reservations are handed out of the lease in the process; a **settlement** (the actual cost of a
  call) is one insert into ``llmledger_settlements`` keyed by the reservation id: durable,
  idempotent, and free of contention with other processes.
* A lease is **folded** when its process retires it, or by anyone once it has expired (its
  process died): its settlements move into ``spent``, its amount leaves ``reserved``. A
  settlement that arrives after its lease was folded is added to ``spent`` directly, once.

Amounts are whole pico-dollars (1e-12 USD): every check is exact integer arithmetic in the
database. At every moment ``spent + reserved`` covers every call that was allowed, so the limit
holds; what a dead process held comes back when its lease expires.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .exceptions import LedgerError

__all__ = ["SHARE", "BudgetState", "BudgetStore", "Grant", "SQLiteBudgetStore", "open_budget_store"]

SHARE = 8
"""A lease takes at most 1/SHARE of what is left of the budget."""
KEEP_ORPHANS_S = 86_400.0
"""How long the id of a settlement that arrived after its lease was folded is kept (for idempotency)."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BudgetState:
    """A budget's numbers (settlements inside open leases counted as spent)."""

    name: str
    limit_pusd: int | None
    limit_tokens: int | None
    spent_pusd: int
    spent_tokens: int
    reserved_pusd: int
    reserved_tokens: int
    updated_at: float


@dataclass(frozen=True, slots=True)
class Grant:
    """A lease granted: its amount and tokens."""

    amount_pusd: int
    tokens: int


class BudgetStore(Protocol):
    """The operations a budget needs from its database; each one atomic."""

    def ensure(
        self, name: str, limit_pusd: int | None, limit_tokens: int | None, *, set_limits: bool, now: float
    ) -> None:
        """Create the budget if missing; with ``set_limits``, set its limits."""
        ...

    def state(self, name: str) -> BudgetState | None:
        """The budget's numbers."""
        ...

    def states(self) -> list[BudgetState]:
        """Every budget."""
        ...

    def acquire(
        self, name: str, lease_id: str, want: Grant, least: Grant, expires_at: float, now: float
    ) -> Grant | None:
        """Lease up to ``want`` (at least ``least``) if ``least`` fits under the limits; ``None`` if not."""
        ...

    def settle(self, name: str, lease_id: str, rid: str, actual_pusd: int, tokens: int, now: float) -> None:
        """Record a call's actual cost, once (idempotent by ``rid``)."""
        ...

    def fold(self, name: str, lease_id: str, now: float) -> None:
        """Close a lease: its settlements become spend, its amount leaves ``reserved``."""
        ...

    def charge(self, name: str, actual_pusd: int, tokens: int, now: float) -> None:
        """Add spend that was never reserved."""
        ...

    def expire(self, name: str, now: float) -> int:
        """Fold every lease that has expired; return how many."""
        ...

    def reset(self, name: str, now: float) -> None:
        """Zero the spend and drop every lease and settlement."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def grant_sql(least: str, greatest: str, p: Callable[[str], str]) -> tuple[str, str, str]:
    """SQL for the lease size and the check that the least acceptable lease fits.

    Every expression reads the row as it was before the update (SQL evaluates all of ``SET``
    against the old row), so the grant and the check agree.
    """
    amount = (
        f"CASE WHEN limit_pusd IS NULL THEN {p('want')} ELSE {least}({p('want')}, {greatest}({p('least')},"
        f" (limit_pusd - spent_pusd - reserved_pusd) / {SHARE})) END"
    )
    tokens = (
        f"CASE WHEN limit_tokens IS NULL THEN {p('want_tok')} ELSE {least}({p('want_tok')}, {greatest}("
        f"{p('least_tok')}, (limit_tokens - spent_tokens - reserved_tokens) / {SHARE})) END"
    )
    fits = (
        f"(limit_pusd IS NULL OR spent_pusd + reserved_pusd + {p('least')} <= limit_pusd)"
        f" AND (limit_tokens IS NULL OR spent_tokens + reserved_tokens + {p('least_tok')} <= limit_tokens)"
    )
    return amount, tokens, fits


def state_sql(where: str) -> str:
    """The budget rows with the settlements of open leases moved from reserved to spent."""
    inside = (
        "(SELECT COALESCE(SUM(s.{col}), 0) FROM llmledger_settlements s"
        " WHERE s.budget = b.name AND s.lease_id IS NOT NULL)"
    )
    return (
        "SELECT b.name, b.limit_pusd, b.limit_tokens,"
        f" b.spent_pusd + {inside.format(col='actual_pusd')}, b.spent_tokens + {inside.format(col='tokens')},"
        f" b.reserved_pusd - {inside.format(col='actual_pusd')}, b.reserved_tokens - {inside.format(col='tokens')},"
        f" b.updated_at FROM llmledger_budgets b {where} ORDER BY b.name"
    )


class SQLiteBudgetStore:
    """Budget rows in the SQLite ledger file (one machine, any number of processes)."""

    def __init__(self, path: str | Path, *, timeout_s: float = 30.0) -> None:
        from .ledger.sqlite import SQLiteLedger

        SQLiteLedger(path).close()  # create and migrate the schema
        self._conn = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        self._lock = threading.Lock()
        self._grant = grant_sql("MIN", "MAX", lambda name: f":{name}")

    def _tx(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(self._conn)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
                return result
            except sqlite3.Error as exc:
                raise LedgerError(f"budget store: {exc}") from exc

    def ensure(
        self, name: str, limit_pusd: int | None, limit_tokens: int | None, *, set_limits: bool, now: float
    ) -> None:
        """Create the budget if missing; with ``set_limits``, set its limits."""

        def run(c: sqlite3.Connection) -> None:
            c.execute(
                "INSERT OR IGNORE INTO llmledger_budgets (name, limit_pusd, limit_tokens, updated_at)"
                " VALUES (?, ?, ?, ?)",
                (name, limit_pusd, limit_tokens, now),
            )
            if set_limits:
                c.execute(
                    "UPDATE llmledger_budgets SET limit_pusd = ?, limit_tokens = ?, updated_at = ? WHERE name = ?",
                    (limit_pusd, limit_tokens, now, name),
                )

        self._tx(run)

    def state(self, name: str) -> BudgetState | None:
        """The budget's numbers."""
        with self._lock:
            row = self._conn.execute(state_sql("WHERE b.name = ?"), (name,)).fetchone()
        return BudgetState(*row) if row else None

    def states(self) -> list[BudgetState]:
        """Every budget."""
        with self._lock:
            return [BudgetState(*row) for row in self._conn.execute(state_sql("")).fetchall()]

    def acquire(
        self, name: str, lease_id: str, want: Grant, least: Grant, expires_at: float, now: float
    ) -> Grant | None:
        """Lease a slice of the budget, if the least acceptable slice fits."""
        amount, tokens, fits = self._grant
        params = {
            "want": want.amount_pusd,
            "least": least.amount_pusd,
            "want_tok": want.tokens,
            "least_tok": least.tokens,
            "name": name,
            "now": now,
        }

        def run(c: sqlite3.Connection) -> Grant | None:
            cursor = c.execute(
                f"UPDATE llmledger_budgets SET grant_pusd = {amount}, grant_tokens = {tokens},"
                f" reserved_pusd = reserved_pusd + {amount}, reserved_tokens = reserved_tokens + {tokens},"
                f" updated_at = :now WHERE name = :name AND {fits}",
                params,
            )
            if cursor.rowcount != 1:
                return None
            granted = Grant(
                *c.execute("SELECT grant_pusd, grant_tokens FROM llmledger_budgets WHERE name = ?", (name,)).fetchone()
            )
            c.execute(
                "INSERT INTO llmledger_leases (id, budget, amount_pusd, tokens, expires_at) VALUES (?, ?, ?, ?, ?)",
                (lease_id, name, granted.amount_pusd, granted.tokens, expires_at),
            )
            return granted

        return self._tx(run)

    def settle(self, name: str, lease_id: str, rid: str, actual_pusd: int, tokens: int, now: float) -> None:
        """Record a call's actual cost, once."""

        def run(c: sqlite3.Connection) -> None:
            if c.execute("SELECT 1 FROM llmledger_settlements WHERE id = ?", (rid,)).fetchone():
                return  # settled before
            lease_open = c.execute("SELECT 1 FROM llmledger_leases WHERE id = ?", (lease_id,)).fetchone()
            c.execute(
                "INSERT INTO llmledger_settlements (id, lease_id, budget, actual_pusd, tokens, settled_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (rid, lease_id if lease_open else None, name, actual_pusd, tokens, now),
            )
            if not lease_open:  # the lease was folded already: this spend goes straight in
                c.execute(
                    "UPDATE llmledger_budgets SET spent_pusd = spent_pusd + ?, spent_tokens = spent_tokens + ?,"
                    " updated_at = ? WHERE name = ?",
                    (actual_pusd, tokens, now, name),
                )

        self._tx(run)

    def _fold_where(self, c: sqlite3.Connection, name: str, where: str, params: tuple[Any, ...], now: float) -> int:
        leases = c.execute(f"SELECT id, amount_pusd, tokens FROM llmledger_leases WHERE {where}", params).fetchall()
        if not leases:
            return 0
        ids = [lease[0] for lease in leases]
        marks = ", ".join("?" * len(ids))
        spent, spent_tokens = c.execute(
            "SELECT COALESCE(SUM(actual_pusd), 0), COALESCE(SUM(tokens), 0) FROM llmledger_settlements"
            f" WHERE lease_id IN ({marks})",
            ids,
        ).fetchone()
        c.execute(f"DELETE FROM llmledger_settlements WHERE lease_id IN ({marks})", ids)
        c.execute(f"DELETE FROM llmledger_leases WHERE id IN ({marks})", ids)
        c.execute(
            "UPDATE llmledger_budgets SET spent_pusd = spent_pusd + ?, spent_tokens = spent_tokens + ?,"
            " reserved_pusd = reserved_pusd - ?, reserved_tokens = reserved_tokens - ?, updated_at = ? WHERE name = ?",
            (spent, spent_tokens, sum(lease[1] for lease in leases), sum(lease[2] for lease in leases), now, name),
        )
        return len(leases)

    def fold(self, name: str, lease_id: str, now: float) -> None:
        """Close a lease."""
        self._tx(lambda c: self._fold_where(c, name, "id = ?", (lease_id,), now))

    def charge(self, name: str, actual_pusd: int, tokens: int, now: float) -> None:
        """Add unreserved spend."""
        self._tx(
            lambda c: c.execute(
                "UPDATE llmledger_budgets SET spent_pusd = spent_pusd + ?, spent_tokens = spent_tokens + ?,"
                " updated_at = ? WHERE name = ?",
                (actual_pusd, tokens, now, name),
            )
        )

    def expire(self, name: str, now: float) -> int:
        """Fold expired leases; forget old orphan settlement ids."""

        def run(c: sqlite3.Connection) -> int:
            count = self._fold_where(c, name, "budget = ? AND expires_at < ?", (name, now), now)
            c.execute(
                "DELETE FROM llmledger_settlements WHERE budget = ? AND lease_id IS NULL AND settled_at < ?",
                (name, now - KEEP_ORPHANS_S),
            )
            return count

        return self._tx(run)

    def reset(self, name: str, now: float) -> None:
        """Zero the spend, drop leases and settlements."""

        def run(c: sqlite3.Connection) -> None:
            c.execute("DELETE FROM llmledger_settlements WHERE budget = ?", (name,))
            c.execute("DELETE FROM llmledger_leases WHERE budget = ?", (name,))
            c.execute(
                "UPDATE llmledger_budgets SET spent_pusd = 0, spent_tokens = 0, reserved_pusd = 0,"
                " reserved_tokens = 0, updated_at = ? WHERE name = ?",
                (now, name),
            )

        self._tx(run)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


def open_budget_store(target: Any) -> BudgetStore:
    """A store for a ledger object, a SQLite path or a PostgreSQL URL."""
    dsn = getattr(target, "dsn", None)
    path = getattr(target, "path", None)
    if isinstance(target, str | Path):
        text = str(target)
        if text.startswith(("postgresql://", "postgres://")):
            dsn = text
        else:
            path = Path(text.removeprefix("sqlite:///"))
    if dsn is not None:
        from ._budget_postgres import PostgresBudgetStore

        return PostgresBudgetStore(dsn)
    if path is None:
        raise LedgerError(f"a shared budget needs a database ledger (SQLite or PostgreSQL), not {target!r}")
    return SQLiteBudgetStore(path)
