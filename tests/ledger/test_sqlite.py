import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest

from llmledger import CallRecord, MemoryLedger, SQLiteLedger
from llmledger.ledger import open_ledger
from llmledger.ledger.migrations import SCHEMA_VERSION
from llmledger.ledger.record import SessionInfo


def make(i: int, **kw: object) -> CallRecord:
    base: dict[str, object] = {
        "id": f"r{i}",
        "timestamp": 1_700_000_000.0 + i,
        "session_id": "s1",
        "operation_type": "op",
        "provider": "openai",
        "model": "gpt-4o",
        "prompt_tokens": 100,
        "completion_tokens": 10,
        "cached_tokens": 50,
        "cost_usd": Decimal("0.000123456789"),
        "labels": {"layout_name": f"l{i % 3}", "master_id": f"m{i}"},
    }
    base.update(kw)
    return CallRecord(**base)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "memory"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    led = SQLiteLedger(tmp_path / "l.db") if request.param == "sqlite" else MemoryLedger()
    yield led
    led.close()


def test_round_trip_keeps_every_field(ledger) -> None:  # type: ignore[no-untyped-def]
    record = make(
        1,
        images=(("hd", "1792x1024", 2),),
        price={"prompt_per_million": "2.5"},
        price_source="catalog",
        price_detail="genai-prices",
        request_id="chatcmpl-1",
        latency_s=0.25,
        reasoning_tokens=3,
        cache_write_tokens=7,
    )
    ledger.write([record])
    (back,) = list(ledger.records("s1"))
    assert back == record


def test_unknown_cost_stays_none(ledger) -> None:  # type: ignore[no-untyped-def]
    ledger.write([make(1, cost_usd=None), make(2)])
    costs = [r.cost_usd for r in ledger.records()]
    assert costs == [None, Decimal("0.000123456789")]
    stats = ledger.stats("s1")
    assert stats.totals.unpriced_calls == 1
    assert stats.totals.cost_usd == Decimal("0.000123456789")


def test_duplicate_request_id_refused_and_reported(ledger) -> None:  # type: ignore[no-untyped-def]
    first = make(1, request_id="chatcmpl-abc")
    assert ledger.write([first]) == []
    again = make(2, request_id="chatcmpl-abc")
    assert ledger.write([again, make(3)]) == [again]
    assert [r.id for r in ledger.records()] == ["r1", "r3"]


def test_rewriting_the_same_batch_is_idempotent(ledger) -> None:  # type: ignore[no-untyped-def]
    batch = [make(i, request_id=f"req-{i}") for i in range(5)]
    assert ledger.write(batch) == []
    assert ledger.write(batch) == []  # a retried batch: same record ids, nothing added, nothing refused
    assert len(list(ledger.records())) == 5


def test_stats_and_breakdowns(ledger) -> None:  # type: ignore[no-untyped-def]
    ledger.write([make(i, operation_type="a" if i < 4 else "b") for i in range(6)])
    ledger.write(
        [
            make(
                9,
                success=False,
                error="boom",
                cost_usd=None,
                prompt_tokens=0,
                completion_tokens=0,
                cached_tokens=0,
            )
        ]
    )
    stats = ledger.stats("s1", unit_label="layout_name")
    assert stats.totals.calls == 7
    assert stats.totals.failed_calls == 1
    assert stats.totals.prompt_tokens == 600
    assert stats.totals.cost_usd == Decimal("0.000123456789") * 6
    assert stats.units == 3
    assert {k: v.calls for k, v in stats.by_operation.items()} == {"a": 4, "b": 2, "op": 1}
    by_layout = ledger.breakdown("layout_name", "s1")
    assert {k: v.calls for k, v in by_layout.items()} == {"l0": 3, "l1": 2, "l2": 2}
    assert ledger.breakdown("model")["gpt-4o"].calls == 7


def test_sessions(ledger) -> None:  # type: ignore[no-untyped-def]
    ledger.add_session(SessionInfo(id="b", started_at=2.0, unit_label="layout_name", name="hybrid"))
    ledger.add_session(SessionInfo(id="a", started_at=1.0))
    ledger.add_session(SessionInfo(id="a", started_at=5.0))
    assert [(s.id, s.name) for s in ledger.sessions()] == [("a", None), ("b", "hybrid")]


def test_schema_is_versioned_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    SQLiteLedger(path).close()
    led = SQLiteLedger(path)
    assert led.schema_version == SCHEMA_VERSION
    led.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute("UPDATE llmledger_meta SET value = '999' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(Exception, match="newer than this llmledger"):
        SQLiteLedger(path)


def test_open_ledger_accepts_paths_and_urls(tmp_path: Path) -> None:
    led = open_ledger(f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(led, SQLiteLedger)
    led.close()
    mem = MemoryLedger()
    assert open_ledger(mem) is mem


WRITER = textwrap.dedent(
    """
    import sys, time
    from decimal import Decimal
    from llmledger import SQLiteLedger
    from llmledger.ledger.record import CallRecord
    ledger = SQLiteLedger(sys.argv[1])
    i = 0
    while True:
        batch = [CallRecord(id=f"{i}-{j}", timestamp=time.time(), session_id="k", operation_type="op",
                            prompt_tokens=10, cost_usd=Decimal("0.001")) for j in range(200)]
        ledger.write(batch)
        i += 1
        print(i, flush=True)
    """
)


def test_sigkill_mid_write_leaves_a_clean_database_with_every_committed_batch(tmp_path: Path) -> None:
    path = tmp_path / "kill.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.stdout is not None
    committed = 0
    deadline = time.monotonic() + 30
    while committed < 20 and time.monotonic() < deadline:
        committed = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert committed >= 20
    led = SQLiteLedger(path)
    (count,) = led._query("SELECT COUNT(*) FROM llmledger_calls")[0]
    assert count % 200 == 0, "a batch is stored whole or not at all"
    assert count >= committed * 200
    assert led._query("PRAGMA integrity_check")[0][0] == "ok"
    led.close()
