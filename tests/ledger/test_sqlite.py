import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from llmledger import MemoryLedger, SQLiteLedger
from llmledger.ledger import open_ledger
from llmledger.ledger.migrations import SCHEMA_VERSION


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
