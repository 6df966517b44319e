"""Per-call overhead of ``tracker.instrument(client)``: instrumented vs plain OpenAI client, same local server.

Both clients call ``chat.completions.create`` on one LocalOpenAIServer; rounds alternate between them
and each side keeps its best round, so the 2-core box's noise hits both alike. Goal: under 50 us per call.
"""

from __future__ import annotations

import time

import openai

from _common import machine_note
from llmledger import CostTracker, MemoryLedger, PriceTable
from llmledger.testing import LocalOpenAIServer

CALLS = 200
ROUNDS = 15
GOAL_US = 50.0
MESSAGES = [{"role": "user", "content": "Count the panels in this layout."}]


def round_time(client: openai.OpenAI) -> float:
    create = client.chat.completions.create
    start = time.perf_counter()
    for _ in range(CALLS):
        create(model="gpt-4o", messages=MESSAGES)
    return (time.perf_counter() - start) / CALLS


def main() -> None:
    tracker = CostTracker(PriceTable(), ledger=MemoryLedger())
    with (
        LocalOpenAIServer(cache=False) as server,
        openai.OpenAI(base_url=server.base_url, api_key="test") as plain,
        openai.OpenAI(base_url=server.base_url, api_key="test") as metered,
    ):
        tracker.instrument(metered)
        round_time(plain), round_time(metered)  # warm up connections and caches
        best = {"plain": float("inf"), "instrumented": float("inf")}
        for _ in range(ROUNDS):
            best["plain"] = min(best["plain"], round_time(plain))
            best["instrumented"] = min(best["instrumented"], round_time(metered))
    assert tracker.calls == CALLS * (ROUNDS + 1)
    overhead_us = (best["instrumented"] - best["plain"]) * 1e6
    print(f"machine: {machine_note()}")
    print(f"{'client':<40}{'us per call (best of ' + str(ROUNDS) + ')':>28}")
    for name, seconds in best.items():
        print(f"{name:<40}{seconds * 1e6:>28,.1f}")
    print(f"{'overhead of instrumentation':<40}{overhead_us:>28,.1f}")
    verdict = "met" if overhead_us < GOAL_US else "MISSED"
    print(f"goal: overhead < {GOAL_US:.0f} us per call: {verdict} ({overhead_us:.1f} us)")


if __name__ == "__main__":
    main()
