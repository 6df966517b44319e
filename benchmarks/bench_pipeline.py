"""Runner overhead per pipeline step (agent time subtracted), next to Flujo's runner, in one run.

A 3-step pipeline (solution >> validate >> reflect) of trivial agents, with a cost limit active and every
request priced and recorded, two ways: pydantic-ai agents on a FunctionModel (the runner meters each model
request; the same agent run alone is timed and subtracted) and plain ``async run(input)`` agents.
Flujo (AGPL-3.0) runs the same shapes in its own Python 3.13 venv, created once under
benchmarks/.flujo-venv (git-ignored), by the separate script _flujo_side.py.

Goal: at most 200 us per step, and at least 20x less than Flujo.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from _common import machine_note
from llmledger import CostTracker, MemoryLedger, PriceTable, Runner, Step, UsageLimits
from llmledger.config import parse_config

RUNS = 500
"""Pipeline runs per repeat (each timed on its own; the median counts)."""
REPEATS = 4
FLUJO_RUNS = 200
FLUJO_DEFAULT_RUNS = 40
FLUJO_PINS = (
    "flujo==0.6.11",
    "opentelemetry-api==1.39.1",
    "opentelemetry-sdk==1.39.1",
    "opentelemetry-semantic-conventions==0.60b1",
)
HERE = Path(__file__).resolve().parent
FLUJO_VENV = HERE / ".flujo-venv"
PROMPT = "Write a haiku about ledgers."
CONFIG = """
[cost]
strict = true
[cost.providers.openai.gpt-4o]
prompt_tokens_per_1k = 0.0025
completion_tokens_per_1k = 0.01
"""
STEP_COST_USD = Decimal("0.000175")  # 50 prompt tokens at $0.0025/1k + 5 completion tokens at $0.01/1k


class PlainAgent:
    """A trivial opaque agent: ``async run(input)`` returning a fixed result."""

    async def run(self, input: Any) -> str:
        return "ok"


def make_runner(agent: Any, prices: PriceTable, ledger: MemoryLedger) -> Runner:
    return Runner(
        Step.solution(agent) >> Step.validate(agent) >> Step.reflect(agent),
        prices=prices,
        tracker=CostTracker(prices, ledger=ledger),
        usage_limits=UsageLimits(total_cost_usd_limit=Decimal("1000000")),
    )


async def medians(fns: dict[str, Callable[[], Awaitable[object]]], runs: int, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` median seconds per call of each function, the calls interleaved.

    Interleaving puts the runner and the agent it subtracts under the same machine noise; the median
    keeps garbage-collection pauses and preemption out.
    """
    best = dict.fromkeys(fns, float("inf"))
    clock = time.perf_counter
    for _ in range(repeats):
        samples: dict[str, list[float]] = {name: [] for name in fns}
        for _ in range(runs):
            for name, fn in fns.items():
                start = clock()
                await fn()
                samples[name].append(clock() - start)
        for name, times in samples.items():
            best[name] = min(best[name], statistics.median(times))
    return best


async def measure_llmledger() -> dict[str, float]:
    """Microseconds of runner overhead per step: pydantic-ai agents and plain agents."""
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel
    from pydantic_ai.usage import RequestUsage

    response = ModelResponse(
        parts=[TextPart("ok")], usage=RequestUsage(input_tokens=50, output_tokens=5), model_name="gpt-4o"
    )

    async def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return response

    prices = PriceTable(parse_config(CONFIG).prices, strict=True)
    model_agent = Agent(FunctionModel(answer, model_name="gpt-4o"))
    plain = PlainAgent()
    ledger = MemoryLedger()
    model_runner = make_runner(model_agent, prices, ledger)
    plain_runner = make_runner(plain, prices, MemoryLedger())

    result = await model_runner.run_async(PROMPT)
    assert [s.cost_usd for s in result.step_history] == [STEP_COST_USD] * 3, result

    async def model_alone() -> None:
        for _ in range(3):
            await model_agent.run(PROMPT)

    async def plain_alone() -> None:
        for _ in range(3):
            await plain.run(PROMPT)

    best = await medians(
        {
            "model": lambda: model_runner.run_async(PROMPT),
            "model alone": model_alone,
            "plain": lambda: plain_runner.run_async(PROMPT),
            "plain alone": plain_alone,
        },
        RUNS,
        REPEATS,
    )
    model_runner.tracker.flush()
    assert len(ledger) == 3 * (1 + RUNS * REPEATS), len(ledger)
    return {
        "model": (best["model"] - best["model alone"]) / 3 * 1e6,
        "model alone": best["model alone"] / 3 * 1e6,
        "plain": (best["plain"] - best["plain alone"]) / 3 * 1e6,
    }


def find_python313() -> str | None:
    candidates = [os.environ.get("FLUJO_PYTHON"), shutil.which("python3.13")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")))
    for candidate in candidates:
        if not candidate:
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 13)"], capture_output=True
        )
        if probe.returncode == 0:
            return candidate
    return None


def flujo_python() -> tuple[str | None, str]:
    """The Flujo venv's python (created and installed once), or ``None`` and why not."""
    python = FLUJO_VENV / "bin" / "python"
    stamp = FLUJO_VENV / ".installed-flujo-0.6.11"
    if not stamp.exists():
        base = find_python313()
        if base is None:
            return None, "no Python 3.13 found (set FLUJO_PYTHON to one)"
        start = time.perf_counter()
        print(f"creating {FLUJO_VENV.relative_to(HERE.parent)} (once) with {' '.join(FLUJO_PINS)} ...")
        steps = [
            [base, "-m", "venv", "--clear", str(FLUJO_VENV)],
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *FLUJO_PINS],
        ]
        for command in steps:
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
                return None, f"`{' '.join(command[:4])} ...` failed: {last}"
        stamp.touch()
        print(f"Flujo venv ready in {time.perf_counter() - start:.0f} s")
    probe = subprocess.run([str(python), "-c", "import flujo"], capture_output=True, text=True)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["(no output)"])[-1]
        return None, f"import flujo failed: {last}"
    return str(python), ""


def measure_flujo() -> tuple[dict[str, Any] | None, str]:
    """Flujo's per-step numbers from _flujo_side.py, or ``None`` and why not."""
    python, reason = flujo_python()
    if python is None:
        return None, reason
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "FLUJO_"))}
    with tempfile.TemporaryDirectory() as folder:  # Flujo's default SQLite state goes here
        done = subprocess.run(
            [python, str(HERE / "_flujo_side.py"), str(FLUJO_RUNS), "3", str(FLUJO_DEFAULT_RUNS)],
            capture_output=True,
            text=True,
            cwd=folder,
            env=env,
        )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return None, f"the Flujo script failed: {last}"
    return json.loads(done.stdout.strip().splitlines()[-1]), ""


def main() -> None:
    ours = asyncio.run(measure_llmledger())
    theirs, reason = measure_flujo()

    print(f"machine: {machine_note()}")
    print(
        f"3-step pipeline, {REPEATS} x {RUNS} runs per llmledger row (median run, best repeat); "
        f"pydantic-ai agent alone: {ours['model alone']:.0f} us/step, subtracted"
    )
    print(f"{'runner':<60}{'us/step':>10}{'Flujo/llmledger':>17}")
    print(f"{'llmledger Runner, pydantic-ai agents (each request metered)':<60}{ours['model']:>10.1f}")
    print(f"{'llmledger Runner, plain async agents':<60}{ours['plain']:>10.1f}")
    ratios: dict[str, float] = {}
    if theirs is None:
        print(f"Flujo column skipped: {reason}")
    else:
        print(f"Flujo runs on Python {theirs['python']}; no persistence = persist_state=False, tracing off")
        version = f"Flujo {theirs['flujo']}"
        rows = [
            (f"{version}, pydantic-ai agents, no persistence", theirs["lean_model_us"], ours["model"], "model"),
            (f"{version}, plain async agents, no persistence", theirs["lean_plain_us"], ours["plain"], "plain"),
            (f"{version}, plain async agents, defaults", theirs["defaults_plain_us"], ours["plain"], ""),
        ]
        for name, us, ours_us, key in rows:
            print(f"{name:<60}{us:>10.1f}{us / ours_us:>16.1f}x")
            if key:
                ratios[key] = us / ours_us
    worst = max(ours["model"], ours["plain"])
    print(f"llmledger overhead: {worst:.1f} us/step (goal <= 200 us)")
    if ratios:
        print(
            f"ratio, trivial agents (plain async, nothing to subtract): {ratios['plain']:.1f}x (goal >= 20x; "
            "Flujo without persistence)"
        )
        print(
            f"ratio, pydantic-ai agents on FunctionModel (agent time subtracted, noisier): {ratios['model']:.1f}x "
            "(every model request is reserved, priced and recorded)"
        )


if __name__ == "__main__":
    main()
