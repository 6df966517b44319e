"""Versioned schema migrations of the ledger database.

Each migration is a version number and its SQL per dialect. A ledger applies the ones its database
lacks, in order, on first use; the version is kept in ``llmledger_meta``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step."""

    version: int
    """The schema version this migration brings the database to."""
    sqlite: tuple[str, ...]
    """Statements for SQLite."""
    postgres: tuple[str, ...]
    """Statements for PostgreSQL."""


_CALLS_COLUMNS = """
    id TEXT PRIMARY KEY,
    ts {real} NOT NULL,
    session_id TEXT NOT NULL,
    operation_type TEXT NOT NULL,
    provider TEXT,
    model TEXT,
    prompt_tokens {int} NOT NULL DEFAULT 0,
    completion_tokens {int} NOT NULL DEFAULT 0,
    cached_tokens {int} NOT NULL DEFAULT 0,
    cache_write_tokens {int} NOT NULL DEFAULT 0,
    reasoning_tokens {int} NOT NULL DEFAULT 0,
    images {int} NOT NULL DEFAULT 0,
    images_json TEXT,
    requests {int} NOT NULL DEFAULT 1,
    cost_usd {numeric},
    cost_pusd {int},
    price_json TEXT,
    price_source TEXT,
    price_detail TEXT,
    labels {json} NOT NULL DEFAULT '{{}}',
    request_id TEXT,
    success {bool} NOT NULL,
    error TEXT,
    latency_s {real}
"""


def _v1(real: str, integer: str, numeric: str, json: str, boolean: str) -> tuple[str, ...]:
    columns = _CALLS_COLUMNS.format(real=real, int=integer, numeric=numeric, json=json, bool=boolean)
    return (
        "CREATE TABLE IF NOT EXISTS llmledger_sessions ("
        f" id TEXT PRIMARY KEY, started_at {real} NOT NULL, unit_label TEXT, name TEXT)",
        f"CREATE TABLE IF NOT EXISTS llmledger_calls ({columns})",
        "CREATE UNIQUE INDEX IF NOT EXISTS llmledger_calls_request_id"
        " ON llmledger_calls (request_id) WHERE request_id IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS llmledger_calls_session ON llmledger_calls (session_id, operation_type)",
        "CREATE INDEX IF NOT EXISTS llmledger_calls_ts ON llmledger_calls (ts)",
    )


def _v2(real: str, integer: str) -> tuple[str, ...]:
    """Budgets shared by every process and machine that uses the ledger: leases and settlements."""
    return (
        "CREATE TABLE IF NOT EXISTS llmledger_budgets ("
        " name TEXT PRIMARY KEY,"
        f" limit_pusd {integer},"
        f" limit_tokens {integer},"
        f" spent_pusd {integer} NOT NULL DEFAULT 0,"
        f" spent_tokens {integer} NOT NULL DEFAULT 0,"
        f" reserved_pusd {integer} NOT NULL DEFAULT 0,"
        f" reserved_tokens {integer} NOT NULL DEFAULT 0,"
        f" grant_pusd {integer} NOT NULL DEFAULT 0,"
        f" grant_tokens {integer} NOT NULL DEFAULT 0,"
        f" updated_at {real} NOT NULL)",
        "CREATE TABLE IF NOT EXISTS llmledger_leases ("
        " id TEXT PRIMARY KEY,"
        " budget TEXT NOT NULL REFERENCES llmledger_budgets (name),"
        f" amount_pusd {integer} NOT NULL,"
        f" tokens {integer} NOT NULL,"
        f" expires_at {real} NOT NULL)",
        "CREATE INDEX IF NOT EXISTS llmledger_leases_expiry ON llmledger_leases (budget, expires_at)",
        "CREATE TABLE IF NOT EXISTS llmledger_settlements ("
        " id TEXT PRIMARY KEY,"
        " lease_id TEXT REFERENCES llmledger_leases (id),"
        " budget TEXT NOT NULL,"
        f" actual_pusd {integer} NOT NULL,"
        f" tokens {integer} NOT NULL,"
        f" settled_at {real} NOT NULL)",
        "CREATE INDEX IF NOT EXISTS llmledger_settlements_lease ON llmledger_settlements (lease_id)",
        "CREATE INDEX IF NOT EXISTS llmledger_settlements_budget ON llmledger_settlements (budget, lease_id)",
    )


def _v3() -> tuple[str, ...]:
    """Reports aggregate in SQL: a covering index for the grouped sums, so a summary reads the index, not the rows."""
    return (
        "CREATE INDEX IF NOT EXISTS llmledger_calls_agg ON llmledger_calls"
        " (session_id, operation_type, model, ts, success, cost_pusd, prompt_tokens, completion_tokens,"
        " cached_tokens, cache_write_tokens, reasoning_tokens, images)",
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        sqlite=_v1("REAL", "INTEGER", "TEXT", "TEXT", "INTEGER"),
        postgres=_v1("DOUBLE PRECISION", "BIGINT", "NUMERIC", "JSONB", "BOOLEAN"),
    ),
    Migration(version=2, sqlite=_v2("REAL", "INTEGER"), postgres=_v2("DOUBLE PRECISION", "BIGINT")),
    Migration(version=3, sqlite=_v3(), postgres=_v3()),
)
"""Every migration, oldest first."""

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The schema version this llmledger writes."""
