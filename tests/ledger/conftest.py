"""Ledger fixtures: every ledger kind, and a fresh PostgreSQL schema per test."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from llmledger import MemoryLedger, SQLiteLedger
from llmledger.ledger import Ledger

PG_DSN = os.environ.get("LLMLEDGER_TEST_PG_DSN", "")
PG_SKIP_REASON = "LLMLEDGER_TEST_PG_DSN is not set: PostgreSQL tests need a server"


def with_params(url: str, **params: str) -> str:
    """``url`` with query parameters added (libpq reads ``options``, ``application_name``...)."""
    query = "&".join(f"{key}={quote(value)}" for key, value in params.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose ``search_path`` is a schema of its own, dropped afterwards."""
    if not PG_DSN:
        pytest.skip(PG_SKIP_REASON)
    psycopg = pytest.importorskip("psycopg")
    schema = f"llmledger_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield with_params(PG_DSN, options=f"-c search_path={schema}", application_name=schema)
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "memory", "postgres"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """Each kind of ledger, empty."""
    led: Ledger
    if request.param == "sqlite":
        led = SQLiteLedger(tmp_path / "l.db")
    elif request.param == "memory":
        led = MemoryLedger()
    else:
        from llmledger.ledger.postgres import PostgresLedger

        led = PostgresLedger(request.getfixturevalue("pg_url"))
    yield led
    led.close()
