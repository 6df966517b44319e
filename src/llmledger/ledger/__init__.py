"""Ledgers: where call records go. Memory, SQLite (default) and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

from .base import Ledger
from .memory import MemoryLedger
from .record import CallRecord, SessionInfo
from .sqlite import DEFAULT_DB, SQLiteLedger

__all__ = [
    "DB_ENV",
    "DEFAULT_DB",
    "CallRecord",
    "Ledger",
    "MemoryLedger",
    "SQLiteLedger",
    "SessionInfo",
    "open_ledger",
]

DB_ENV = "LLMLEDGER_DB"
"""Environment variable with the default database (a SQLite path or a PostgreSQL URL)."""


def open_ledger(target: str | Path | Ledger | None = None) -> Ledger:
    """Open a ledger from a SQLite path, a ``sqlite:///`` or ``postgresql://`` URL, or a ledger object.

    ``None`` means ``$LLMLEDGER_DB``, else ``llmledger.db`` in the current directory. A PostgreSQL
    URL needs the ``postgres`` extra, imported only then.
    """
    if target is not None and not isinstance(target, (str, Path)):
        return target
    value = str(target) if target is not None else os.environ.get(DB_ENV) or DEFAULT_DB
    if value.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresLedger

        return PostgresLedger(value)
    if value.startswith("sqlite:///"):
        value = value.removeprefix("sqlite:///")
    return SQLiteLedger(value)
