"""A worker process for the shared-budget tests: reserve, "call", record, settle, N times.

Run as ``python worker.py DB BUDGET CYCLES SEED [--die-holding K]``; prints one JSON summary line.
With ``--die-holding K`` it reserves K times without settling, says so, and waits to be killed.
"""

import json
import os
import random
import sys
import time
from decimal import Decimal

from llmledger import CostTracker, PriceTable, UsageLimitExceededError
from llmledger.budgets import Budget
from llmledger.config import parse_config
from llmledger.ledger import open_ledger

PRICES = PriceTable(parse_config("[cost.providers.openai.m]\nprompt_tokens_per_1k = 0.001\n").prices)


def main() -> None:
    db, name, cycles, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    budget = Budget(db, name, lease_seconds=float(os.environ.get("LEASE", "300")))
    if "--die-holding" in sys.argv:
        for _ in range(int(sys.argv[sys.argv.index("--die-holding") + 1])):
            budget.reserve(Decimal("0.010"))
        print(json.dumps({"holding": True}), flush=True)
        time.sleep(600)
        return
    rng = random.Random(seed)
    ledger = open_ledger(db)
    tracker = CostTracker(PRICES, ledger=ledger, session=f"w{seed}", batch_size=100)
    settled = refused = 0
    for i in range(cycles):
        prompt = rng.randint(1, 10) * 1000  # $0.001 .. $0.010
        try:
            reservation = budget.reserve(Decimal("0.010"), tokens=0)
        except UsageLimitExceededError:
            refused += 1
            continue
        cost = tracker.track_api_call(
            "op", model="openai:m", prompt_tokens=prompt, completion_tokens=0, request_id=f"{seed}-{i}"
        )
        reservation.settle(cost, prompt)
        settled += 1
    tracker.close()
    ledger.close()
    budget.close()
    print(json.dumps({"settled": settled, "refused": refused, "spent": str(tracker.total_cost)}), flush=True)


if __name__ == "__main__":
    main()
