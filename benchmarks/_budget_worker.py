"""One worker process of bench_budget.py: waits for the start time, then runs its share."""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal

from llmledger import UsageLimitExceededError
from llmledger.budgets import Budget
from llmledger.ledger import open_ledger
from llmledger.ledger.record import CallRecord


def budget_cycles(db: str, cycles: int, start_at: float) -> dict[str, float]:
    budget = Budget(db, "bench")
    while time.time() < start_at:
        time.sleep(0.001)
    begin = time.perf_counter()
    settled = refused = 0
    for _ in range(cycles):
        try:
            reservation = budget.reserve(Decimal("0.002"), tokens=1000)
        except UsageLimitExceededError:
            refused += 1
            continue
        reservation.settle(Decimal("0.0015"), 900)
        settled += 1
    elapsed = time.perf_counter() - begin
    budget.close()
    return {"elapsed": elapsed, "settled": settled, "refused": refused}


def ledger_records(db: str, batches: int, start_at: float, worker: int) -> dict[str, float]:
    ledger = open_ledger(db)
    rows = [
        [
            CallRecord(
                id=f"w{worker}-b{b}-{i}",
                timestamp=time.time(),
                session_id=f"bench-{worker}",
                operation_type="op",
                model="gpt-4o",
                prompt_tokens=1200,
                completion_tokens=150,
                cost_usd=Decimal("0.0045"),
                labels={"layout_name": f"l{i % 50}"},
            )
            for i in range(500)
        ]
        for b in range(batches)
    ]
    while time.time() < start_at:
        time.sleep(0.001)
    begin = time.perf_counter()
    for batch in rows:
        ledger.write(batch)
    elapsed = time.perf_counter() - begin
    ledger.close()
    return {"elapsed": elapsed, "records": batches * 500}


if __name__ == "__main__":
    mode, db, amount, start, worker = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    result = budget_cycles(db, amount, start) if mode == "budget" else ledger_records(db, amount, start, worker)
    print(json.dumps(result))
