"""Tracked calls per second into memory and into SQLite (batched), next to a list-append baseline.

Goal: at least 200,000 calls/s in memory and 50,000 calls/s into SQLite.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from _common import machine_note
from llmledger import CostTracker, MemoryLedger, PriceTable, SQLiteLedger

CALLS = 200_000


def run(tracker: CostTracker) -> float:
    track = tracker.track_api_call
    start = time.perf_counter()
    for i in range(CALLS):
        track(
            "one_at_a_time_detection",
            model="openai:gpt-4o",
            prompt_tokens=1200,
            completion_tokens=150,
            cached_tokens=1024,
            layout_name="layout_001.jpg",
            master_id=i,
        )
    tracker.flush()
    return CALLS / (time.perf_counter() - start)


def baseline() -> float:
    rows: list[tuple[object, ...]] = []
    start = time.perf_counter()
    for i in range(CALLS):
        rows.append(("one_at_a_time_detection", "gpt-4o", 1200, 150, 1024, {"layout_name": "l", "master_id": i}))
    return CALLS / (time.perf_counter() - start)


def main() -> None:
    prices = PriceTable()
    prices.cost("openai:gpt-4o", __import__("llmledger").Usage())  # resolve the price once, as a run would
    results = {"list.append baseline": baseline()}
    results["CostTracker -> MemoryLedger"] = run(CostTracker(prices, ledger=MemoryLedger()))
    with tempfile.TemporaryDirectory() as folder:
        ledger = SQLiteLedger(Path(folder) / "bench.db")
        results["CostTracker -> SQLiteLedger (batches of 500, FULL sync)"] = run(
            CostTracker(prices, ledger=ledger, batch_size=500)
        )
        (count,) = ledger._query("SELECT COUNT(*) FROM llmledger_calls")[0]
        assert count == CALLS, count
        ledger.close()
    print(f"machine: {machine_note()}")
    print(f"{'what':<58}{'calls/s':>12}")
    for name, rate in results.items():
        print(f"{name:<58}{rate:>12,.0f}")
    memory = results["CostTracker -> MemoryLedger"]
    sqlite = results["CostTracker -> SQLiteLedger (batches of 500, FULL sync)"]
    print(f"memory: {memory:,.0f} calls/s (goal >= 200,000); sqlite: {sqlite:,.0f} calls/s (goal >= 50,000)")
    print(f"tracker cost over the baseline: {1e6 / memory - 1e6 / results['list.append baseline']:.2f} us per call")


if __name__ == "__main__":
    main()
