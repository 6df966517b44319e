"""Summary, compare and HTML report over 1,000,000 records: SQL aggregation against rows read into Python.

Two sessions of 500,000 calls each (5,000 units of 100 calls), written straight as rows
(``executemany`` into SQLite in a temp dir; ``COPY`` into PostgreSQL when LLMLEDGER_TEST_PG_DSN
is set). Goal: the summary in at most 1 s, and at least 10 times faster than reading the rows into
Python and aggregating there (``records()`` + ``reports.stats.aggregate``).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from _common import machine_note
from llmledger.ledger import Ledger, SQLiteLedger
from llmledger.ledger.filters import Filters
from llmledger.ledger.record import COLUMNS, SessionInfo
from llmledger.reports.compare import compare_sessions
from llmledger.reports.stats import aggregate, per_unit

RECORDS = int(os.environ.get("LLMLEDGER_BENCH_RECORDS", "1000000"))
CALLS_PER_UNIT = 100
T0 = 1_740_823_200.0
PRICE = json.dumps({"prompt_per_1k": "0.0025", "completion_per_1k": "0.01"})
SESSIONS = (
    SessionInfo(id="bench-a", started_at=T0, unit_label="layout_name", name="one_at_a_time"),
    SessionInfo(id="bench-b", started_at=T0 + 1, unit_label="layout_name", name="hybrid"),
)


def rows() -> Iterator[tuple[Any, ...]]:
    """RECORDS rows of llmledger_calls, half per session, in COLUMNS order."""
    half = RECORDS // 2
    for s, session in enumerate(SESSIONS):
        for i in range(half):
            unit = i // CALLS_PER_UNIT
            prompt, completion = 1500 + i % 400, 20 + i % 30
            pusd = (prompt * 2500 + completion * 10000) * 1000 // (1 + 9 * s)
            cost = Decimal(pusd).scaleb(-12)
            labels = json.dumps({"layout_name": f"layout_{unit:05d}.jpg", "master_id": f"m{i % CALLS_PER_UNIT}"})
            yield (
                f"{session.id}-{i}",
                T0 + s * 3600 + i * 0.01,
                session.id,
                ("pair_detection", "panel_count", "fallback")[i % 3 if s else 0],
                "openai",
                ("gpt-4o", "gpt-4o-mini")[i % 7 == 0],
                prompt,
                completion,
                prompt // 2,
                0,
                0,
                0,
                None,
                1,
                f"{cost:f}",
                pusd,
                PRICE,
                "catalog",
                "genai-prices",
                labels,
                None,
                True,
                None,
                0.5,
            )


def fill_sqlite(path: Path) -> SQLiteLedger:
    ledger = SQLiteLedger(path, synchronous="OFF")
    for session in SESSIONS:
        ledger.add_session(session)
    conn = ledger._conn
    conn.execute("BEGIN")
    conn.executemany(
        f"INSERT INTO llmledger_calls ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows()
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    return ledger


def fill_postgres(dsn: str) -> tuple[Ledger, Callable[[], None]]:
    import psycopg

    from llmledger.ledger.postgres import PostgresLedger

    schema = f"llmledger_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{dsn}{'&' if '?' in dsn else '?'}options=-csearch_path%3D{schema}"
    ledger = PostgresLedger(url)
    for session in SESSIONS:
        ledger.add_session(session)
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY llmledger_calls ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows():
                copy.write_row(row)
        conn.commit()
        conn.execute("ANALYZE llmledger_calls")
        conn.commit()

    def drop() -> None:
        ledger.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    return ledger, drop


def best(fn: Callable[[], object], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(name: str, ledger: Ledger, out_dir: Path) -> list[tuple[str, str, float, float | None]]:
    a, b = SESSIONS
    results: list[tuple[str, str, float, float | None]] = []

    sql_summary = best(lambda: ledger.stats(a.id, unit_label="layout_name"))
    py_summary = best(lambda: aggregate(ledger.records(a.id), session_id=a.id, unit_label="layout_name"), repeats=1)
    assert ledger.stats(a.id, unit_label="layout_name").totals == aggregate(ledger.records(a.id)).totals
    results.append((name, f"summary ({RECORDS // 2:,} calls)", sql_summary, py_summary))

    sql_compare = best(lambda: compare_sessions(ledger, a, b), repeats=2)

    def py_compare() -> None:
        for session in (a, b):
            records = list(ledger.records(session.id))
            aggregate(records)
            per_unit(records, "layout_name")

    results.append((name, f"compare ({RECORDS:,} calls)", sql_compare, best(py_compare, repeats=1)))

    try:
        from llmledger.reports.html import render_html
        from llmledger.reports.overview import collect_overview

        def html() -> None:
            overview = collect_overview(ledger, a, by=("master_id", "day"), filters=Filters())
            (out_dir / f"{name}.html").write_text(render_html(overview), encoding="utf-8")

        results.append((name, f"HTML report ({RECORDS // 2:,})", best(html, repeats=2), None))
    except ImportError:
        print("plotly missing: HTML report skipped")
    return results


def main() -> None:
    print(f"Machine: {machine_note()}")
    print(f"Ledger: {RECORDS:,} records, 2 sessions, {CALLS_PER_UNIT} calls per unit")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ledger = fill_sqlite(Path(tmp) / "bench.db")
        print(f"SQLite: wrote {RECORDS:,} rows in {time.perf_counter() - start:.1f} s")
        results += measure("SQLite", ledger, Path(tmp))
        ledger.close()
        dsn = os.environ.get("LLMLEDGER_TEST_PG_DSN") or os.environ.get("LLMLEDGER_BENCH_PG_DSN")
        if dsn:
            start = time.perf_counter()
            pg, drop = fill_postgres(dsn)
            print(f"PostgreSQL: wrote {RECORDS:,} rows in {time.perf_counter() - start:.1f} s")
            try:
                results += measure("PostgreSQL", pg, Path(tmp))
            finally:
                drop()
        else:
            print("PostgreSQL: skipped (set LLMLEDGER_TEST_PG_DSN)")
    print()
    print(f"{'ledger':<11} {'what':<28} {'SQL (s)':>9} {'Python (s)':>11} {'ratio':>8}")
    for name, what, sql_s, py_s in results:
        ratio = f"{py_s / sql_s:7.1f}x" if py_s else "       -"
        py = f"{py_s:11.2f}" if py_s else f"{'-':>11}"
        print(f"{name:<11} {what:<28} {sql_s:9.3f} {py} {ratio}")
    print()
    ok = True
    for name, what, sql_s, py_s in results:
        if what.startswith("summary"):
            fast, ratio = sql_s <= 1.0, (py_s or 0) / sql_s
            ok &= fast and ratio >= 10
            print(f"Goal ({name}): summary <= 1 s: {'met' if fast else 'MISSED'} ({sql_s:.3f} s)")
            print(f"Goal ({name}): >= 10x faster than Python: {'met' if ratio >= 10 else 'MISSED'} ({ratio:.1f}x)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
