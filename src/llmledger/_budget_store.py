"""Where a shared :class:`~llmledger.budgets.Budget` lives: SQLite or PostgreSQL.

Amounts are whole pico-dollars (1e-12 USD) so that every check and update is exact integer
arithmetic inside the database. A reservation row is ``held`` until settled; a lease that runs
out is marked ``expired`` (its amount freed) and kept for a while, so that a late settle still
counts the real spend exactly once, and a retried settle counts nothing twice.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .exceptions import LedgerError

__all__ = ["BudgetState", "BudgetStore", "SQLiteBudgetStore", "open_budget_store"]

KEEP_EXPIRED_S = 86_400.0
"""How long an expired reservation is kept so a late settle is still counted once."""


@dataclass(frozen=True, slots=True)
class BudgetState:
    """A budget's row."""

    name: str
    limit_pusd: int | None
    limit_tokens: int | None
    spent_pusd: int
    spent_tokens: int
    reserved_pusd: int
    reserved_tokens: int
    updated_at: float


class BudgetStore(Protocol):
    """The operations a budget needs from its database; each one atomic."""

    def ensure(
        self, name: str, limit_pusd: int | None, limit_tokens: int | None, *, set_limits: bool, now: float
    ) -> None:
        """Create the budget if missing; with ``set_limits``, set its limits."""
        ...

    def state(self, name: str) -> BudgetState | None:
        """The budget's row."""
        ...

    def states(self) -> list[BudgetState]:
        """Every budget."""
        ...

    def reserve(self, name: str, rid: str, amount_pusd: int, tokens: int, expires_at: float, now: float) -> bool:
        """Hold an amount if it fits under the limits; ``False`` when it does not."""
        ...

    def settle(self, name: str, rid: str, actual_pusd: int, tokens: int, now: float) -> bool:
        """Turn a reservation into spend; ``False`` if it was already settled (nothing counted)."""
        ...

    def charge(self, name: str, actual_pusd: int, tokens: int, now: float) -> None:
        """Add spend that was never reserved."""
        ...

    def expire(self, name: str, now: float) -> int:
        """Free the reservations whose lease ran out; return how many."""
        ...

    def reset(self, name: str, now: float) -> None:
        """Zero the spend and drop every reservation."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


_COLUMNS = "name, limit_pusd, limit_tokens, spent_pusd, spent_tokens, reserved_pusd, reserved_tokens, updated_at"
_FITS = (
    "(limit_pusd IS NULL OR spent_pusd + reserved_pusd + {amt} <= limit_pusd)"
    " AND (limit_tokens IS NULL OR spent_tokens + reserved_tokens + {tok} <= limit_tokens)"
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

    def _tx(self, fn: Any) -> Any:
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
        """The budget's row."""
        with self._lock:
            row = self._conn.execute(f"SELECT {_COLUMNS} FROM llmledger_budgets WHERE name = ?", (name,)).fetchone()
        return BudgetState(*row) if row else None

    def states(self) -> list[BudgetState]:
        """Every budget."""
        with self._lock:
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM llmledger_budgets ORDER BY name").fetchall()
        return [BudgetState(*row) for row in rows]

    def reserve(self, name: str, rid: str, amount_pusd: int, tokens: int, expires_at: float, now: float) -> bool:
        """Hold an amount if it fits."""

        def run(c: sqlite3.Connection) -> bool:
            cursor = c.execute(
                "UPDATE llmledger_budgets SET reserved_pusd = reserved_pusd + ?, reserved_tokens = reserved_tokens + ?,"
                f" updated_at = ? WHERE name = ? AND {_FITS.format(amt='?', tok='?')}",
                (amount_pusd, tokens, now, name, amount_pusd, tokens),
            )
            if cursor.rowcount != 1:
                return False
            c.execute(
                "INSERT INTO llmledger_reservations (id, budget, amount_pusd, tokens, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (rid, name, amount_pusd, tokens, expires_at),
            )
            return True

        return bool(self._tx(run))

    def settle(self, name: str, rid: str, actual_pusd: int, tokens: int, now: float) -> bool:
        """Turn a reservation into spend, once."""

        def run(c: sqlite3.Connection) -> bool:
            row = c.execute(
                "SELECT amount_pusd, tokens, state FROM llmledger_reservations WHERE id = ?", (rid,)
            ).fetchone()
            if row is None:
                return False
            amount, held_tokens, state = row
            c.execute("DELETE FROM llmledger_reservations WHERE id = ?", (rid,))
            freed, freed_tokens = (amount, held_tokens) if state == "held" else (0, 0)
            c.execute(
                "UPDATE llmledger_budgets SET reserved_pusd = reserved_pusd - ?, reserved_tokens = reserved_tokens - ?,"
                " spent_pusd = spent_pusd + ?, spent_tokens = spent_tokens + ?, updated_at = ? WHERE name = ?",
                (freed, freed_tokens, actual_pusd, tokens, now, name),
            )
            return True

        return bool(self._tx(run))

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
        """Free expired leases."""

        def run(c: sqlite3.Connection) -> int:
            count, amount, tokens = c.execute(
                "SELECT COUNT(*), COALESCE(SUM(amount_pusd), 0), COALESCE(SUM(tokens), 0) FROM llmledger_reservations"
                " WHERE budget = ? AND state = 'held' AND expires_at < ?",
                (name, now),
            ).fetchone()
            if count:
                c.execute(
                    "UPDATE llmledger_reservations SET state = 'expired'"
                    " WHERE budget = ? AND state = 'held' AND expires_at < ?",
                    (name, now),
                )
                c.execute(
                    "UPDATE llmledger_budgets SET reserved_pusd = reserved_pusd - ?,"
                    " reserved_tokens = reserved_tokens - ?, updated_at = ? WHERE name = ?",
                    (amount, tokens, now, name),
                )
            c.execute(
                "DELETE FROM llmledger_reservations WHERE budget = ? AND state = 'expired' AND expires_at < ?",
                (name, now - KEEP_EXPIRED_S),
            )
            return int(count)

        return int(self._tx(run))

    def reset(self, name: str, now: float) -> None:
        """Zero the spend, drop the reservations."""

        def run(c: sqlite3.Connection) -> None:
            c.execute("DELETE FROM llmledger_reservations WHERE budget = ?", (name,))
            c.execute(
                "UPDATE llmledger_budgets SET spent_pusd = 0, spent_tokens = 0, reserved_pusd = 0,"
                " reserved_tokens = 0, updated_at = ? WHERE name = ?",
                (now, name),
            )

        self._tx(run)

    def close(self) -> None:
        """Close the connection."""
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
