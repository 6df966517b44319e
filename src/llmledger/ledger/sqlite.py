"""The SQLite ledger: the default, one file, safe for many threads and processes on one machine."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..exceptions import LedgerError
from ._sql import (
    Dialect,
    SQLReads,
    insert_sql,
    where_sql,
)
from .filters import Filters
from .migrations import MIGRATIONS, SCHEMA_VERSION
from .record import COLUMNS, CallRecord, SessionInfo, to_rows

__all__ = ["DEFAULT_DB", "SQLiteLedger"]

DEFAULT_DB = "llmledger.db"
"""The file the CLI uses when no ``--db`` or ``$LLMLEDGER_DB`` is given."""

_INSERT = insert_sql("?", ("OR IGNORE ", ""))


def _label_expr(label: str) -> tuple[str, tuple[Any, ...]]:
    path = "$." + json.dumps(label)
    # booleans read back as JSON spells them (true/false), as PostgreSQL and the memory ledger do;
    # numbers as text, so a filter's value (text) compares equal
    expr = (
        "CAST(CASE json_type(labels, ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'"
        " ELSE json_extract(labels, ?) END AS TEXT)"
    )
    return expr, (path, path)


_DIALECT = Dialect(
    placeholder="?",
    label_expr=_label_expr,
    day_expr="date(ts, 'unixepoch')",
    bucket_expr="CAST(ts / ? AS INTEGER) * ?",
)


class SQLiteLedger(SQLReads):
    """Call records in a SQLite file (WAL mode, so readers never block the writer).

    Each :meth:`write` is one transaction: a batch is stored whole or not at all, and a process
    killed mid-batch leaves the file as it was before that batch.

    Args:
        path: the database file (created with its folder when missing), or ``":memory:"``.
        timeout_s: how long to wait for another process's write lock.
        synchronous: SQLite's ``synchronous`` pragma; ``FULL`` (default) survives power loss,
            ``NORMAL`` survives process crashes only and is faster.
    """

    dialect = _DIALECT

    def __init__(self, path: str | Path = DEFAULT_DB, *, timeout_s: float = 30.0, synchronous: str = "FULL") -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        """The database file (``None`` for an in-memory database)."""
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={synchronous}")
            self._conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open SQLite ledger {path}: {exc}") from exc
        self._lock = threading.Lock()
        self._migrate()

    def __repr__(self) -> str:
        return f"SQLiteLedger({str(self.path or ':memory:')!r})"

    def _migrate(self) -> None:
        with self._lock, self._transaction():
            self._conn.execute("CREATE TABLE IF NOT EXISTS llmledger_meta (key TEXT PRIMARY KEY, value TEXT)")
            row = self._conn.execute("SELECT value FROM llmledger_meta WHERE key = 'schema_version'").fetchone()
            current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise LedgerError(
                    f"{self} has schema version {current}, newer than this llmledger "
                    f"({SCHEMA_VERSION}): upgrade llmledger"
                )
            for migration in MIGRATIONS:
                if migration.version > current:
                    for statement in migration.sqlite:
                        self._conn.execute(statement)
            self._conn.execute(
                "INSERT INTO llmledger_meta (key, value) VALUES ('schema_version', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)

    @property
    def schema_version(self) -> int:
        """The schema version of the database."""
        row = self._conn.execute("SELECT value FROM llmledger_meta WHERE key = 'schema_version'").fetchone()
        return int(row[0])

    def write(self, records: Sequence[CallRecord]) -> list[CallRecord]:
        """Store a batch in one transaction; return records refused as duplicate ``request_id``s."""
        if not records:
            return []
        with self._lock:
            try:
                with self._transaction():
                    refused = self._already_stored(records)
                    skip = {r.id for r in refused}
                    self._conn.executemany(_INSERT, to_rows(r for r in records if r.id not in skip))
            except sqlite3.Error as exc:
                raise LedgerError(f"cannot write {len(records)} records to {self}: {exc}") from exc
        return refused

    def _already_stored(self, records: Sequence[CallRecord]) -> list[CallRecord]:
        wanted: dict[str, CallRecord] = {}
        twice: list[CallRecord] = []  # the same request id twice in one batch: the later one is refused
        for record in records:
            if record.request_id is None:
                continue
            if record.request_id in wanted and wanted[record.request_id].id != record.id:
                twice.append(record)
            else:
                wanted.setdefault(record.request_id, record)
        if not wanted:
            return twice
        found: set[str] = set()
        keys = list(wanted)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT request_id, id FROM llmledger_calls WHERE request_id IN ({marks})", chunk
            ).fetchall()
            # the same record written again (a retried batch) is not a duplicate call
            found.update(rid for rid, rec_id in rows if wanted[rid].id != rec_id)
        return [wanted[rid] for rid in found] + twice

    def add_session(self, session: SessionInfo) -> None:
        """Record a session (kept as it is if already there)."""
        with self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO llmledger_sessions (id, started_at, unit_label, name) VALUES (?, ?, ?, ?)",
                (session.id, session.started_at, session.unit_label, session.name),
            )

    def sessions(self) -> list[SessionInfo]:
        """Every session, oldest first."""
        rows = self._query("SELECT id, started_at, unit_label, name FROM llmledger_sessions ORDER BY started_at")
        return [SessionInfo(id=r[0], started_at=r[1], unit_label=r[2], name=r[3]) for r in rows]

    def records(self, session_id: str | None = None, *, filters: Filters | None = None) -> Iterator[CallRecord]:
        """The records of one session, or all, in time order (streamed, not loaded at once)."""
        where, params = where_sql((filters or Filters()).with_session(session_id), _DIALECT)
        cursor = self._conn.execute(f"SELECT {', '.join(COLUMNS)} FROM llmledger_calls {where} ORDER BY ts", params)
        for row in cursor:
            yield CallRecord.from_row(dict(zip(COLUMNS, row, strict=True)))

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read {self}: {exc}") from exc

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on error (the connection is in autocommit mode)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
