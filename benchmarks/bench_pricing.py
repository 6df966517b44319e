"""Microseconds per PriceTable.cost next to genai-prices' calc_price, in one run.

Goal: at most 3 us per call and at least 25x faster than calc_price; `import llmledger` at most 150 ms.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from decimal import Decimal

from _common import best_per_call, machine_note
from llmledger import PriceTable, Usage


def import_time_ms(runs: int = 7) -> float:
    code = "import time; t = time.perf_counter(); import llmledger; print(time.perf_counter() - t)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(times) * 1000


def main() -> None:
    import genai_prices

    table = PriceTable()
    usage = Usage(prompt_tokens=1200, completion_tokens=150, cached_tokens=1024)
    ref_usage = genai_prices.Usage(input_tokens=1200, output_tokens=150, cache_read_tokens=1024)
    ours = table.cost("openai:gpt-4o", usage).total_usd
    theirs = genai_prices.calc_price(ref_usage, "gpt-4o", provider_id="openai").total_price
    assert ours == theirs, f"disagreement: llmledger {ours} vs genai-prices {theirs}"

    n = 20_000
    ours_s = best_per_call(lambda: table.cost("openai:gpt-4o", usage), n)
    theirs_s = best_per_call(lambda: genai_prices.calc_price(ref_usage, "gpt-4o", provider_id="openai"), n // 20)
    plain_s = best_per_call(lambda: Decimal(1200 - 1024) * Decimal("2.5") + Decimal(1024) * Decimal("1.25"), n)
    imp = import_time_ms()

    print(f"machine: {machine_note()}")
    print(f"same cost from both: ${ours}")
    print(f"{'what':<38}{'us/call':>10}")
    print(f"{'llmledger PriceTable.cost':<38}{ours_s * 1e6:>10.2f}")
    print(f"{'genai-prices calc_price':<38}{theirs_s * 1e6:>10.2f}")
    print(f"{'plain Decimal arithmetic (floor)':<38}{plain_s * 1e6:>10.2f}")
    print(f"ratio calc_price / PriceTable.cost: {theirs_s / ours_s:.1f}x (goal >= 25x)")
    print(f"PriceTable.cost: {ours_s * 1e6:.2f} us (goal <= 3 us)")
    print(f"import llmledger: {imp:.1f} ms median of 7 (goal <= 150 ms)")


if __name__ == "__main__":
    main()
