"""The PostgreSQL store of a shared budget: every operation one statement, in autocommit.

Only taking and folding a lease touch the budget's row; settlements are plain inserts, so many
machines settling at once do not wait for each other. See :mod:`llmledger._budget_store`.
"""

from __future__ import annotations

import threading
import time
from typing import Any

try:
    import psycopg
    from psycopg import errors as pg_errors
except ImportError as exc:  # pragma: no cover
    raise ImportError('install "llmledger[postgres]"') from exc

from ._budget_store import KEEP_ORPHANS_S, BudgetState, Grant, grant_sql, state_sql
from .exceptions import LedgerError

__all__ = ["PostgresBudgetStore"]

_AMOUNT, _TOKENS, _FITS = grant_sql("LEAST", "GREATEST", lambda name: f"%({name})s")

_ACQUIRE = f"""
WITH u AS (
    UPDATE llmledger_budgets
    SET grant_pusd = {_AMOUNT}, grant_tokens = {_TOKENS},
        reserved_pusd = reserved_pusd + {_AMOUNT}, reserved_tokens = reserved_tokens + {_TOKENS},
        updated_at = %(now)s
    WHERE name = %(name)s AND {_FITS}
    RETURNING name, grant_pusd, grant_tokens
)
INSERT INTO llmledger_leases (id, budget, amount_pusd, tokens, expires_at)
SELECT %(lease)s, name, grant_pusd, grant_tokens, %(exp)s FROM u
RETURNING amount_pusd, tokens
"""

_SETTLE = """
INSERT INTO llmledger_settlements (id, lease_id, budget, actual_pusd, tokens, settled_at)
VALUES (%(rid)s, %(lease)s, %(name)s, %(actual)s, %(tok)s, %(now)s)
ON CONFLICT (id) DO NOTHING
"""

_SETTLE_ORPHAN = """
WITH ins AS (
    INSERT INTO llmledger_settlements (id, lease_id, budget, actual_pusd, tokens, settled_at)
    VALUES (%(rid)s, NULL, %(name)s, %(actual)s, %(tok)s, %(now)s)
    ON CONFLICT (id) DO NOTHING
    RETURNING actual_pusd, tokens
)
UPDATE llmledger_budgets
SET spent_pusd = spent_pusd + (SELECT actual_pusd FROM ins), spent_tokens = spent_tokens + (SELECT tokens FROM ins),
    updated_at = %(now)s
WHERE name = %(name)s AND EXISTS (SELECT 1 FROM ins)
"""

_FOLD = """
WITH l AS (
    DELETE FROM llmledger_leases WHERE {where} RETURNING id, amount_pusd, tokens
), s AS (
    DELETE FROM llmledger_settlements WHERE lease_id IN (SELECT id FROM l) RETURNING actual_pusd, tokens
)
UPDATE llmledger_budgets
SET spent_pusd = spent_pusd + COALESCE((SELECT SUM(actual_pusd) FROM s), 0),
    spent_tokens = spent_tokens + COALESCE((SELECT SUM(tokens) FROM s), 0),
    reserved_pusd = reserved_pusd - COALESCE((SELECT SUM(amount_pusd) FROM l), 0),
    reserved_tokens = reserved_tokens - COALESCE((SELECT SUM(tokens) FROM l), 0),
    updated_at = %(now)s
WHERE name = %(name)s
RETURNING (SELECT COUNT(*) FROM l)
"""


class PostgresBudgetStore:
    """Budget rows in the PostgreSQL ledger database (any number of machines)."""

    def __init__(self, dsn: str, *, attempts: int = 4) -> None:
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

    def _run(self, sql: str, params: dict[str, Any], *, retry_conflicts: bool = True) -> list[tuple[Any, ...]]:
        """Run one statement; a dropped connection is retried (every statement here is safe to repeat).

        A fold that met a settlement arriving at the same moment (a foreign-key conflict) is retried too.
        """
        with self._lock:
            for attempt in range(self._attempts):
                try:
                    with self._connection().cursor() as cursor:
                        cursor.execute(sql, params)
                        return cursor.fetchall() if cursor.description else []
                except (psycopg.OperationalError, pg_errors.ForeignKeyViolation, pg_errors.SerializationFailure) as exc:
                    if isinstance(exc, psycopg.OperationalError):
                        self._conn = None
                    elif not retry_conflicts:
                        raise LedgerError(f"budget store: {exc}") from exc
                    if attempt == self._attempts - 1:
                        raise LedgerError(f"budget store: {exc}") from exc
                    time.sleep(0.02 * (attempt + 1))
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
        """The budget's numbers."""
        rows = self._run(state_sql("WHERE b.name = %(name)s"), {"name": name})
        return BudgetState(*rows[0]) if rows else None

    def states(self) -> list[BudgetState]:
        """Every budget."""
        return [BudgetState(*row) for row in self._run(state_sql(""), {})]

    def acquire(
        self, name: str, lease_id: str, want: Grant, least: Grant, expires_at: float, now: float
    ) -> Grant | None:
        """Lease a slice of the budget, if the least acceptable slice fits (one statement)."""
        params = {
            "name": name,
            "lease": lease_id,
            "want": want.amount_pusd,
            "least": least.amount_pusd,
            "want_tok": want.tokens,
            "least_tok": least.tokens,
            "exp": expires_at,
            "now": now,
        }
        try:
            rows = self._run(_ACQUIRE, params)
        except LedgerError as exc:
            if "duplicate key" not in str(exc):
                raise
            # the first attempt landed before its connection dropped: the lease is ours
            rows = self._run("SELECT amount_pusd, tokens FROM llmledger_leases WHERE id = %(lease)s", params)
        return Grant(int(rows[0][0]), int(rows[0][1])) if rows else None

    def settle(self, name: str, lease_id: str, rid: str, actual_pusd: int, tokens: int, now: float) -> None:
        """Record a call's actual cost, once: an insert that waits for no other machine."""
        params = {"name": name, "lease": lease_id, "rid": rid, "actual": actual_pusd, "tok": tokens, "now": now}
        try:
            self._run(_SETTLE, params, retry_conflicts=False)
        except LedgerError as exc:
            if "foreign key" not in str(exc) and "violates" not in str(exc):
                raise
            self._run(_SETTLE_ORPHAN, params)  # the lease was folded already

    def fold(self, name: str, lease_id: str, now: float) -> None:
        """Close a lease."""
        self._run(_FOLD.format(where="id = %(lease)s"), {"name": name, "lease": lease_id, "now": now})

    def charge(self, name: str, actual_pusd: int, tokens: int, now: float) -> None:
        """Add unreserved spend (once: a lost answer is not retried)."""
        with self._lock:
            try:
                self._connection().execute(
                    "UPDATE llmledger_budgets SET spent_pusd = spent_pusd + %(actual)s,"
                    " spent_tokens = spent_tokens + %(tok)s, updated_at = %(now)s WHERE name = %(name)s",
                    {"name": name, "actual": actual_pusd, "tok": tokens, "now": now},
                )
            except psycopg.Error as exc:
                self._conn = None
                raise LedgerError(f"budget store: {exc}") from exc

    def expire(self, name: str, now: float) -> int:
        """Fold expired leases; forget old orphan settlement ids."""
        rows = self._run(_FOLD.format(where="budget = %(name)s AND expires_at < %(now)s"), {"name": name, "now": now})
        self._run(
            "DELETE FROM llmledger_settlements WHERE budget = %(name)s AND lease_id IS NULL AND settled_at < %(old)s",
            {"name": name, "old": now - KEEP_ORPHANS_S},
        )
        return int(rows[0][0]) if rows else 0

    def reset(self, name: str, now: float) -> None:
        """Zero the spend, drop leases and settlements."""
        params = {"name": name, "now": now}
        self._run("DELETE FROM llmledger_settlements WHERE budget = %(name)s", params)
        self._run("DELETE FROM llmledger_leases WHERE budget = %(name)s", params)
        self._run(
            "UPDATE llmledger_budgets SET spent_pusd = 0, spent_tokens = 0, reserved_pusd = 0, reserved_tokens = 0,"
            " updated_at = %(now)s WHERE name = %(name)s",
            params,
        )

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
