"""The PostgreSQL store of a shared budget: every operation one statement, in autocommit.

Many machines drawing on one budget contend for its row only for the length of one statement.
"""

from __future__ import annotations

import threading
import time
from typing import Any

try:
    import psycopg
except ImportError as exc:  # pragma: no cover
    raise ImportError('install "llmledger[postgres]"') from exc

from ._budget_store import _COLUMNS, _FITS, KEEP_EXPIRED_S, BudgetState
from .exceptions import LedgerError

__all__ = ["PostgresBudgetStore"]

_RESERVE = f"""
WITH u AS (
    UPDATE llmledger_budgets
    SET reserved_pusd = reserved_pusd + %(amt)s, reserved_tokens = reserved_tokens + %(tok)s, updated_at = %(now)s
    WHERE name = %(name)s AND {_FITS.format(amt="%(amt)s", tok="%(tok)s")}
    RETURNING name
)
INSERT INTO llmledger_reservations (id, budget, amount_pusd, tokens, expires_at)
SELECT %(rid)s, name, %(amt)s, %(tok)s, %(exp)s FROM u
RETURNING id
"""

_SETTLE = """
WITH r AS (DELETE FROM llmledger_reservations WHERE id = %(rid)s RETURNING amount_pusd, tokens, state)
UPDATE llmledger_budgets
SET reserved_pusd = reserved_pusd - COALESCE((SELECT amount_pusd FROM r WHERE state = 'held'), 0),
    reserved_tokens = reserved_tokens - COALESCE((SELECT tokens FROM r WHERE state = 'held'), 0),
    spent_pusd = spent_pusd + %(actual)s,
    spent_tokens = spent_tokens + %(tok)s,
    updated_at = %(now)s
WHERE name = %(name)s AND EXISTS (SELECT 1 FROM r)
RETURNING name
"""

_EXPIRE = """
WITH e AS (
    UPDATE llmledger_reservations SET state = 'expired'
    WHERE budget = %(name)s AND state = 'held' AND expires_at < %(now)s
    RETURNING amount_pusd, tokens
), gone AS (
    DELETE FROM llmledger_reservations WHERE budget = %(name)s AND state = 'expired' AND expires_at < %(old)s
)
UPDATE llmledger_budgets
SET reserved_pusd = reserved_pusd - COALESCE((SELECT SUM(amount_pusd) FROM e), 0),
    reserved_tokens = reserved_tokens - COALESCE((SELECT SUM(tokens) FROM e), 0),
    updated_at = %(now)s
WHERE name = %(name)s
RETURNING (SELECT COUNT(*) FROM e)
"""


class PostgresBudgetStore:
    """Budget rows in the PostgreSQL ledger database (any number of machines)."""

    def __init__(self, dsn: str, *, attempts: int = 3) -> None:
        from .ledger.postgres import PostgresLedger

        PostgresLedger(dsn).close()  # create and migrate the schema
        self._dsn = dsn
        self._attempts = attempts
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=5)
        return self._conn

    def _run(self, sql: str, params: dict[str, Any], *, retry: bool = True) -> list[tuple[Any, ...]]:
        """Run one statement; a dropped connection is retried when the statement is safe to repeat."""
        with self._lock:
            for attempt in range(self._attempts):
                try:
                    with self._connection().cursor() as cursor:
                        cursor.execute(sql, params)
                        return cursor.fetchall() if cursor.description else []
                except psycopg.OperationalError as exc:
                    self._conn = None
                    if not retry or attempt == self._attempts - 1:
                        raise LedgerError(f"budget store: {exc}") from exc
                    time.sleep(0.05 * (attempt + 1))
                except psycopg.Error as exc:
                    raise LedgerError(f"budget store: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def ensure(
        self, name: str, limit_pusd: int | None, limit_tokens: int | None, *, set_limits: bool, now: float
    ) -> None:
        """Create the budget if missing; with ``set_limits``, set its limits."""
        params = {"name": name, "lim": limit_pusd, "ltok": limit_tokens, "now": now}
        self._run(
            "INSERT INTO llmledger_budgets (name, limit_pusd, limit_tokens, updated_at)"
            " VALUES (%(name)s, %(lim)s, %(ltok)s, %(now)s) ON CONFLICT (name) DO NOTHING",
            params,
        )
        if set_limits:
            self._run(
                "UPDATE llmledger_budgets SET limit_pusd = %(lim)s, limit_tokens = %(ltok)s, updated_at = %(now)s"
                " WHERE name = %(name)s",
                params,
            )

    def state(self, name: str) -> BudgetState | None:
        """The budget's row."""
        rows = self._run(f"SELECT {_COLUMNS} FROM llmledger_budgets WHERE name = %(name)s", {"name": name})
        return BudgetState(*rows[0]) if rows else None

    def states(self) -> list[BudgetState]:
        """Every budget."""
        return [BudgetState(*row) for row in self._run(f"SELECT {_COLUMNS} FROM llmledger_budgets ORDER BY name", {})]

    def reserve(self, name: str, rid: str, amount_pusd: int, tokens: int, expires_at: float, now: float) -> bool:
        """Hold an amount if it fits (a retry after a lost answer can at worst hold it twice until the lease ends)."""
        params = {"name": name, "rid": rid, "amt": amount_pusd, "tok": tokens, "exp": expires_at, "now": now}
        try:
            return bool(self._run(_RESERVE, params))
        except LedgerError as exc:
            if "duplicate key" in str(exc):  # the first attempt did land before the connection dropped
                return True
            raise

    def settle(self, name: str, rid: str, actual_pusd: int, tokens: int, now: float) -> bool:
        """Turn a reservation into spend, once: a repeated settle finds no row and counts nothing."""
        params = {"name": name, "rid": rid, "actual": actual_pusd, "tok": tokens, "now": now}
        return bool(self._run(_SETTLE, params))

    def charge(self, name: str, actual_pusd: int, tokens: int, now: float) -> None:
        """Add unreserved spend (not retried: it could count twice)."""
        self._run(
            "UPDATE llmledger_budgets SET spent_pusd = spent_pusd + %(actual)s, spent_tokens = spent_tokens + %(tok)s,"
            " updated_at = %(now)s WHERE name = %(name)s",
            {"name": name, "actual": actual_pusd, "tok": tokens, "now": now},
            retry=False,
        )

    def expire(self, name: str, now: float) -> int:
        """Free expired leases."""
        rows = self._run(_EXPIRE, {"name": name, "now": now, "old": now - KEEP_EXPIRED_S})
        return int(rows[0][0]) if rows else 0

    def reset(self, name: str, now: float) -> None:
        """Zero the spend, drop the reservations."""
        self._run("DELETE FROM llmledger_reservations WHERE budget = %(name)s", {"name": name})
        self._run(
            "UPDATE llmledger_budgets SET spent_pusd = 0, spent_tokens = 0, reserved_pusd = 0, reserved_tokens = 0,"
            " updated_at = %(now)s WHERE name = %(name)s",
            {"name": name, "now": now},
        )

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
