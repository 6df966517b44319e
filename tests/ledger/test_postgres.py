"""PostgreSQL-only behaviour; what every ledger does is in test_base.py (run there on PostgreSQL too)."""

import os
import subprocess
import sys
import textwrap
import threading
import time
from decimal import Decimal
from typing import Any

import pytest

if not os.environ.get("LLMLEDGER_TEST_PG_DSN"):
    pytest.skip("LLMLEDGER_TEST_PG_DSN is not set: PostgreSQL tests need a server", allow_module_level=True)

import psycopg
from psycopg.conninfo import conninfo_to_dict

from llmledger import CallRecord, LedgerError
from llmledger.ledger import open_ledger
from llmledger.ledger.migrations import SCHEMA_VERSION
from llmledger.ledger.postgres import PostgresLedger

PG_DSN = os.environ["LLMLEDGER_TEST_PG_DSN"]


def make(i: int, **kw: Any) -> CallRecord:
    fields: dict[str, Any] = {
        "id": f"r{i}",
        "timestamp": 1_700_000_000.0 + i,
        "session_id": "s1",
        "operation_type": "op",
        "prompt_tokens": 10,
        "cost_usd": Decimal("0.001"),
    }
    return CallRecord(**(fields | kw))


def count_calls(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM llmledger_calls").fetchone()
    assert row is not None
    return row[0], row[1]


def terminate(pid: int) -> None:
    """Terminate one backend, waiting until it is gone."""
    with psycopg.connect(PG_DSN, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


def test_open_ledger_accepts_postgres_urls(pg_url: str) -> None:
    led = open_ledger(pg_url)
    assert isinstance(led, PostgresLedger)
    led.close()
    led = open_ledger(pg_url.replace("postgresql://", "postgres://", 1))
    assert isinstance(led, PostgresLedger)
    led.close()


def test_repr_hides_the_password(pg_url: str) -> None:
    url = pg_url.replace("postgres@", "postgres:s3cret@", 1)  # trust auth ignores the password
    led = PostgresLedger(url)
    assert "s3cret" not in repr(led)
    assert repr(led).startswith("PostgresLedger('postgresql://")
    led.close()


def test_schema_is_versioned_and_newer_versions_refused(pg_url: str) -> None:
    first = PostgresLedger(pg_url)
    assert first._migrated_from == 0
    first.close()
    led = PostgresLedger(pg_url)
    assert led._migrated_from == SCHEMA_VERSION
    assert led.schema_version == SCHEMA_VERSION
    led.close()
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE llmledger_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(LedgerError, match="newer than this llmledger"):
        PostgresLedger(pg_url)


def test_column_types_round_trip_exactly(pg_url: str) -> None:
    led = PostgresLedger(pg_url)
    record = make(1, cost_usd=Decimal("0.000000000001"), labels={"n": 3, "x": 1.5, "ok": True, "none": None})
    led.write([record])
    (back,) = led.records()
    assert back == record
    assert back.cost_usd == Decimal("0.000000000001")
    assert dict(back.labels) == {"n": 3, "x": 1.5, "ok": True, "none": None}
    with psycopg.connect(pg_url) as conn:
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_name = 'llmledger_calls' AND table_schema = current_schema()"
            ).fetchall()
        )
    assert (types["labels"], types["cost_usd"], types["success"]) == ("jsonb", "numeric", "boolean")
    led.close()


def test_duplicates_inside_one_batch_are_refused(pg_url: str) -> None:
    led = PostgresLedger(pg_url)
    first, again = make(1, request_id="req"), make(2, request_id="req")
    assert led.write([first, again, first]) == [again]
    assert count_calls(pg_url) == (1, 1)
    led.close()


def test_records_stream_in_time_order(pg_url: str) -> None:
    led = PostgresLedger(pg_url)
    led.write([make(i, session_id="a" if i % 2 else "b") for i in reversed(range(2500))])
    ids = [r.id for r in led.records()]
    assert ids == [f"r{i}" for i in range(2500)]
    assert len(list(led.records("a"))) == 1250
    led.close()


MIGRATOR = textwrap.dedent(
    """
    import sys, time
    from llmledger.ledger.postgres import PostgresLedger
    time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
    ledger = PostgresLedger(sys.argv[1])
    print(ledger._migrated_from, ledger.schema_version)
    ledger.close()
    """
)


def test_many_processes_starting_at_once_migrate_once(pg_url: str) -> None:
    start_at = str(time.time() + 2.0)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen([sys.executable, "-c", MIGRATOR, pg_url, start_at], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(8)
    ]
    outputs = [proc.communicate(timeout=60)[0].split() for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 8
    found = sorted(int(out[0]) for out in outputs)
    assert found == [0] + [SCHEMA_VERSION] * 7, "exactly one process created the schema"
    assert {int(out[1]) for out in outputs} == {SCHEMA_VERSION}


def test_backend_terminated_between_copy_and_insert_is_retried(pg_url: str) -> None:
    led = PostgresLedger(pg_url)
    killed: list[int] = []

    def kill_twice(conn: psycopg.Connection[Any]) -> None:
        if len(killed) < 2:
            killed.append(conn.info.backend_pid)
            terminate(conn.info.backend_pid)

    led._before_insert = kill_twice
    batch = [make(i, request_id=f"req-{i}") for i in range(500)]
    assert led.write(batch) == []
    assert len(killed) == 2
    assert count_calls(pg_url) == (500, 500)
    assert led.stats().totals.calls == 500
    led.close()


def test_a_connection_that_keeps_dropping_raises_after_the_retries(pg_url: str) -> None:
    led = PostgresLedger(pg_url, attempts=3, backoff_s=0.01)
    led._before_insert = lambda conn: terminate(conn.info.backend_pid)
    with pytest.raises(LedgerError, match="after 3 attempts"):
        led.write([make(i) for i in range(10)])
    assert count_calls(pg_url) == (0, 0)
    led._before_insert = None
    assert led.write([make(i) for i in range(10)]) == []  # the pool recovers
    assert count_calls(pg_url) == (10, 10)
    led.close()


IN_BATCH = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s"
    " AND xact_start IS NOT NULL AND (query LIKE 'COPY%%' OR query LIKE 'INSERT INTO llmledger_calls%%')"
)


def test_backends_killed_repeatedly_mid_batch_lose_and_double_nothing(pg_url: str) -> None:
    led = PostgresLedger(pg_url, max_size=2)
    app = conninfo_to_dict(pg_url)["application_name"]
    stop = threading.Event()
    kills = 0

    def killer() -> None:  # ten times, terminate the ledger's backends while one is inside a batch
        nonlocal kills
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            while kills < 10 and not stop.is_set():
                if any(ok for (ok,) in admin.execute(IN_BATCH, (app,)).fetchall()):
                    kills += 1
                    time.sleep(0.05)  # let the retry through

    thread = threading.Thread(target=killer)
    thread.start()
    written = 0
    try:
        deadline = time.monotonic() + 30
        while (thread.is_alive() or written < 20 * 100) and time.monotonic() < deadline:
            batch = [make(written + j, request_id=f"req-{written + j}") for j in range(100)]
            while True:
                try:
                    assert led.write(batch) == []
                    break
                except LedgerError:  # out of retries: a caller writes the same batch again
                    continue
            written += len(batch)
    finally:
        stop.set()
        thread.join()
    assert kills == 10
    assert count_calls(pg_url) == (written, written)
    led.close()


def test_an_unreachable_server_fails_fast() -> None:
    url = f"postgresql://postgres@127.0.0.1:1/{conninfo_to_dict(PG_DSN).get('dbname', 'test')}"
    started = time.monotonic()
    with pytest.raises(LedgerError, match=r"cannot open PostgreSQL ledger postgresql://postgres@127\.0\.0\.1:1/"):
        PostgresLedger(url, connect_timeout_s=2)
    assert time.monotonic() - started < 5


def test_reads_after_close_raise_ledger_error(pg_url: str) -> None:
    led = PostgresLedger(pg_url)
    led.close()
    with pytest.raises(LedgerError, match="closed"):
        led.write([make(1)])
