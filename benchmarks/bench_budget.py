"""Reserve/settle cycles per second and ledger records per second, PostgreSQL and SQLite, 1/4/16 workers.

Each worker is its own process with its own connection, as separate machines would be. Goal: at
least 2,000 reserve/settle cycles/s on PostgreSQL with 16 workers, and zero overshoot.
PostgreSQL needs LLMLEDGER_TEST_PG_DSN (or LLMLEDGER_BENCH_PG_DSN); without it that half is skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from _common import machine_note
from llmledger.budgets import Budget

HERE = Path(__file__).parent
WORKER = HERE / "_budget_worker.py"
CYCLES = 1_000  # per worker
BATCHES = 4  # of 500 records, per worker


def run(mode: str, db: str, workers: int, amount: int) -> list[dict[str, float]]:
    start_at = time.time() + 2.0 + 0.1 * workers  # every worker connected and waiting before the clock starts
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), mode, db, str(amount), str(start_at), str(i)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(workers)
    ]
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise SystemExit(f"worker failed ({mode}, {db})")
        results.append(json.loads(out))
    return results


def bench_engine(label: str, db: str) -> list[tuple[str, int, float, float, str]]:
    rows = []
    for workers in (1, 4, 16):
        total_cycles = workers * CYCLES
        # the limit binds: it admits about 90% of the worst cases, so some reservations are refused
        limit = Decimal("0.0015") * Decimal(total_cycles) * Decimal("0.9")
        with Budget(db, "bench", limit_usd=limit) as budget:
            budget.reset()
        results = run("budget", db, workers, CYCLES)
        wall = max(r["elapsed"] for r in results)
        cycles = sum(r["settled"] + r["refused"] for r in results)
        with Budget(db, "bench") as budget:
            spent, reserved = budget.spent, budget.reserved
        overshoot = "none" if spent <= limit and reserved == 0 else f"OVERSHOOT {spent - limit}"
        refused = sum(r["refused"] for r in results)
        records = run("ledger", db, workers, BATCHES)
        records_s = sum(r["records"] for r in records) / max(r["elapsed"] for r in records)
        rows.append((label, workers, cycles / wall, records_s, f"{overshoot}, {int(refused)} refused"))
    return rows


def fresh_pg(dsn: str) -> str:
    import psycopg

    schema = f"bench_{os.getpid()}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in dsn else "?"
    return f"{dsn}{sep}options=-csearch_path%3D{schema}"


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rows += bench_engine("SQLite", str(Path(folder) / "bench.db"))
    dsn = os.environ.get("LLMLEDGER_BENCH_PG_DSN") or os.environ.get("LLMLEDGER_TEST_PG_DSN")
    if dsn:
        rows += bench_engine("PostgreSQL", fresh_pg(dsn))
    else:
        print("PostgreSQL rows skipped: set LLMLEDGER_TEST_PG_DSN")
    print(f"machine: {machine_note()}")
    print(f"{'engine':<12}{'workers':>8}{'reserve/settle per s':>22}{'records per s':>16}  budget")
    for engine, workers, cycles_s, records_s, note in rows:
        print(f"{engine:<12}{workers:>8}{cycles_s:>22,.0f}{records_s:>16,.0f}  {note}")
    pg16 = [r for r in rows if r[0] == "PostgreSQL" and r[1] == 16]
    if pg16:
        print(f"PostgreSQL, 16 workers: {pg16[0][2]:,.0f} reserve/settle cycles/s (goal >= 2,000), {pg16[0][4]}")


if __name__ == "__main__":
    main()
