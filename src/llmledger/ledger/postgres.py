"""The PostgreSQL ledger: one database shared by many processes and machines.

Needs the ``postgres`` extra (``pip install "llmledger[postgres]"``): psycopg 3 and its pool.
``import llmledger`` never imports this module; :func:`~llmledger.ledger.open_ledger` does, for a
``postgresql://`` URL.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

try:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError('install "llmledger[postgres]" to use a PostgreSQL ledger') from exc

from ..exceptions import LedgerError
from ._sql import Dialect, SQLReads, where_sql
from .filters import Filters
from .migrations import MIGRATIONS, SCHEMA_VERSION
from .record import COLUMNS, CallRecord, SessionInfo, to_rows

__all__ = ["PostgresLedger"]

_T = TypeVar("_T")
_Connection = psycopg.Connection[tuple[Any, ...]]

_BATCH_TABLE = "pg_temp.llmledger_batch"
_CREATE_BATCH_TABLE = (
    f"CREATE TEMP TABLE IF NOT EXISTS {_BATCH_TABLE.removeprefix('pg_temp.')}"
    " (LIKE llmledger_calls INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
)
_COPY = f"COPY {_BATCH_TABLE} ({', '.join(COLUMNS)}) FROM STDIN"
_INSERT = f"INSERT INTO llmledger_calls SELECT * FROM {_BATCH_TABLE} ON CONFLICT DO NOTHING RETURNING id"
_OWNERS = "SELECT request_id, id FROM llmledger_calls WHERE request_id = ANY(%s)"
_MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(hashtext('llmledger migrations ' || coalesce(current_schema(), '')))"
_GET_VERSION = "SELECT value FROM llmledger_meta WHERE key = 'schema_version'"


def _label_expr(label: str) -> tuple[str, tuple[Any, ...]]:
    return "labels ->> %s::text", (label,)


_DIALECT = Dialect(
    placeholder="%s",
    label_expr=_label_expr,
    day_expr="to_char(to_timestamp(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    bucket_expr="floor(ts / %s) * %s",
)


class PostgresLedger(SQLReads):
    """Call records in PostgreSQL, written in batches with ``COPY``, read with SQL aggregates.

    Each :meth:`write` is one transaction: the batch is copied into a per-connection temporary
    table, then inserted with ``ON CONFLICT DO NOTHING``. A dropped connection (a restarted
    server, a terminated backend, a deadlock) is retried on a fresh connection from the pool;
    the insert is idempotent on the record id, so a batch whose commit went through before the
    connection dropped is not stored twice.

    The schema is created, or migrated, when the ledger is opened, under an advisory lock so
    that many processes starting at once migrate it once.

    Args:
        dsn: a libpq connection string or URL (``postgresql://user@host:5432/db``).
        max_size: the most connections the pool opens.
        connect_timeout_s: how long to wait for the server when connecting, and for a free
            connection from the pool.
        attempts: how many times a write or a query is tried when the connection drops.
        backoff_s: the wait before the first retry; it doubles at each retry.

    Raises:
        LedgerError: the server cannot be reached, or the database has a newer schema.
    """

    dialect = _DIALECT

    def __init__(
        self,
        dsn: str,
        *,
        max_size: int = 4,
        connect_timeout_s: float = 5.0,
        attempts: int = 4,
        backoff_s: float = 0.05,
    ) -> None:
        self._display = _display_dsn(dsn)
        self._attempts = max(1, attempts)
        self._backoff_s = backoff_s
        self._before_insert: Callable[[_Connection], None] | None = None
        """Test hook: called between ``COPY`` and ``INSERT`` with the writing connection."""
        # libpq's connect_timeout is whole seconds, and at least 2
        connect_kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": max(2, math.ceil(connect_timeout_s))}
        self._migrated_from = self._open_schema(dsn, connect_kwargs)
        """The schema version found on opening (0: this ledger created the schema)."""
        self._pool: ConnectionPool[_Connection] = ConnectionPool(
            dsn,
            kwargs=connect_kwargs,
            min_size=1,
            max_size=max_size,
            open=False,
            configure=_create_batch_table,
            check=ConnectionPool.check_connection,  # a connection the server closed is never handed out
            timeout=connect_timeout_s,
            name="llmledger",
        )
        self._pool.open()

    def __repr__(self) -> str:
        return f"PostgresLedger({self._display!r})"

    def _open_schema(self, dsn: str, connect_kwargs: dict[str, Any]) -> int:
        try:
            with psycopg.connect(dsn, **connect_kwargs) as conn:
                return self._migrate(conn)
        except psycopg.Error as exc:
            raise LedgerError(f"cannot open PostgreSQL ledger {self._display}: {exc}") from exc

    def _migrate(self, conn: _Connection) -> int:
        with conn.transaction():
            conn.execute(_MIGRATION_LOCK)
            conn.execute("CREATE TABLE IF NOT EXISTS llmledger_meta (key TEXT PRIMARY KEY, value TEXT)")
            row = conn.execute(_GET_VERSION).fetchone()
            current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise LedgerError(
                    f"{self} has schema version {current}, newer than this llmledger "
                    f"({SCHEMA_VERSION}): upgrade llmledger"
                )
            if current < SCHEMA_VERSION:
                for migration in MIGRATIONS:
                    if migration.version > current:
                        for statement in migration.postgres:
                            conn.execute(statement)
                conn.execute(
                    "INSERT INTO llmledger_meta (key, value) VALUES ('schema_version', %s)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(SCHEMA_VERSION),),
                )
        return current

    @property
    def schema_version(self) -> int:
        """The schema version of the database."""
        ((value,),) = self._query(_GET_VERSION)
        return int(value)

    def write(self, records: Sequence[CallRecord]) -> list[CallRecord]:
        """Store a batch in one transaction; return records refused as duplicate ``request_id``s.

        Raises:
            LedgerError: the batch could not be stored, after retrying a dropped connection.
        """
        if not records:
            return []
        rows = to_rows(records)
        return self._retrying(f"write {len(records)} records to", lambda conn: self._write_once(conn, records, rows))

    def _write_once(
        self, conn: _Connection, records: Sequence[CallRecord], rows: list[tuple[Any, ...]]
    ) -> list[CallRecord]:
        with conn.transaction(), conn.cursor() as cur:
            with cur.copy(_COPY) as copy:
                for row in rows:
                    copy.write_row(row)
            if self._before_insert is not None:
                self._before_insert(conn)
            inserted = {rec_id for (rec_id,) in cur.execute(_INSERT).fetchall()}
            return _refused(cur, [r for r in records if r.id not in inserted])

    def add_session(self, session: SessionInfo) -> None:
        """Record a session (kept as it is if already there)."""
        params = (session.id, session.started_at, session.unit_label, session.name)
        self._retrying(
            "add a session to",
            lambda conn: conn.execute(
                "INSERT INTO llmledger_sessions (id, started_at, unit_label, name)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                params,
            ),
        )

    def sessions(self) -> list[SessionInfo]:
        """Every session, oldest first."""
        rows = self._query("SELECT id, started_at, unit_label, name FROM llmledger_sessions ORDER BY started_at, id")
        return [SessionInfo(id=r[0], started_at=r[1], unit_label=r[2], name=r[3]) for r in rows]

    def records(self, session_id: str | None = None, *, filters: Filters | None = None) -> Iterator[CallRecord]:
        """The records of one session, or all, in time order (streamed by a server-side cursor).

        The iterator holds a pool connection until it is exhausted or closed.
        """
        where, params = where_sql((filters or Filters()).with_session(session_id), _DIALECT)
        sql = f"SELECT {', '.join(COLUMNS)} FROM llmledger_calls {where} ORDER BY ts, id"
        try:
            with (
                self._pool.connection() as conn,
                conn.transaction(),
                conn.cursor("llmledger_records", row_factory=dict_row) as cur,
            ):
                cur.itersize = 1000
                cur.execute(sql, params)
                for row in cur:
                    yield CallRecord.from_row(row)
        except psycopg.Error as exc:
            raise LedgerError(f"cannot read {self}: {exc}") from exc

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._retrying("read", lambda conn: conn.execute(sql, params).fetchall())

    def _retrying(self, action: str, work: Callable[[_Connection], _T]) -> _T:
        """Run ``work`` on a pooled connection, again on a fresh one when the connection drops."""
        for attempt in range(1, self._attempts + 1):
            try:
                with self._pool.connection() as conn:
                    return work(conn)
            except PoolClosed as exc:
                raise LedgerError(f"cannot {action} {self}: the ledger is closed") from exc
            except PoolTimeout as exc:  # it already waited connect_timeout_s for the server
                raise LedgerError(f"cannot {action} {self}: {_first_line(exc)}") from exc
            except psycopg.OperationalError as exc:
                if attempt == self._attempts:
                    raise LedgerError(f"cannot {action} {self} after {attempt} attempts: {_first_line(exc)}") from exc
                time.sleep(self._backoff_s * 2 ** (attempt - 1))
            except psycopg.Error as exc:
                raise LedgerError(f"cannot {action} {self}: {_first_line(exc)}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close the pool's connections."""
        self._pool.close()


def _refused(cur: psycopg.Cursor[tuple[Any, ...]], skipped: list[CallRecord]) -> list[CallRecord]:
    """The records not inserted whose ``request_id`` belongs to another record.

    A record skipped because its own id is stored (a retried batch) is not a duplicate call.
    """
    pending = [r for r in skipped if r.request_id is not None]
    if not pending:
        return []
    owners = dict(cur.execute(_OWNERS, ([r.request_id for r in pending],)).fetchall())
    return [r for r in pending if owners.get(r.request_id, r.id) != r.id]


def _create_batch_table(conn: _Connection) -> None:
    """Create the connection's temporary batch table (the pool calls this on each new connection)."""
    conn.execute(_CREATE_BATCH_TABLE)


def _display_dsn(dsn: str) -> str:
    """The DSN as a URL without its password (or options) for messages."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "postgresql://(invalid DSN)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host') or ''}{port}/{parts.get('dbname') or ''}"


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
