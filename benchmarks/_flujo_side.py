"""The Flujo side of bench_pipeline.py: run by the Python 3.13 venv under benchmarks/.flujo-venv.

Flujo is AGPL-3.0: it is only installed into that git-ignored venv and run here through its public API
(``Flujo``, ``Step``), never copied. Prints one JSON object: microseconds per step for each configuration.

Usage: ``python _flujo_side.py RUNS REPEATS DEFAULT_RUNS``
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import flujo
from flujo import Flujo, Step
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

PROMPT = "Write a haiku about ledgers."
RESPONSE = ModelResponse(
    parts=[TextPart("ok")], usage=RequestUsage(input_tokens=50, output_tokens=5), model_name="gpt-4o"
)


async def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    return RESPONSE


class PlainAgent:
    """A trivial agent with Flujo's ``async run(data, **kwargs)``: no model, no time."""

    async def run(self, data: object, **kwargs: object) -> str:
        return "ok"


def three_steps(agent: object) -> object:
    return Step.solution(agent) >> Step.validate_step(agent) >> Step.review(agent)


async def medians(fns: dict[str, Callable[[], Awaitable[object]]], runs: int, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` median seconds per call of each function, the calls interleaved."""
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


async def main(runs: int, repeats: int, default_runs: int) -> dict[str, object]:
    model_agent = Agent(FunctionModel(answer, model_name="gpt-4o"))
    plain = PlainAgent()

    async def agent_alone() -> None:
        for _ in range(3):
            await model_agent.run(PROMPT)

    # persistence and tracing off, Flujo's own log lines off: its leanest async configuration
    flujo_logger = logging.getLogger("flujo")
    level = flujo_logger.level
    flujo_logger.setLevel(logging.ERROR)
    lean_model = Flujo(three_steps(model_agent), persist_state=False, enable_tracing=False)
    lean_plain = Flujo(three_steps(plain), persist_state=False, enable_tracing=False)
    for runner in (lean_model, lean_plain):
        result = await runner.run_result_async(PROMPT)
        assert [s.success for s in result.step_history] == [True] * 3, result
    lean = await medians(
        {
            "model": lambda: lean_model.run_result_async(PROMPT),
            "alone": agent_alone,
            "plain": lambda: lean_plain.run_result_async(PROMPT),
        },
        runs,
        repeats,
    )
    await lean_model.aclose()
    await lean_plain.aclose()

    # every default: state persisted to SQLite (flujo_ops.db in the working folder), tracing, logging
    flujo_logger.setLevel(level)
    defaults = Flujo(three_steps(plain))
    await defaults.run_result_async(PROMPT)
    default = await medians({"plain": lambda: defaults.run_result_async(PROMPT)}, default_runs, repeats)
    await defaults.aclose()

    return {
        "flujo": flujo.__version__,
        "python": sys.version.split()[0],
        "lean_model_us": (lean["model"] - lean["alone"]) / 3 * 1e6,
        "agent_alone_us": lean["alone"] / 3 * 1e6,
        "lean_plain_us": lean["plain"] / 3 * 1e6,
        "defaults_plain_us": default["plain"] / 3 * 1e6,
    }


if __name__ == "__main__":
    runs, repeats, default_runs = (int(arg) for arg in sys.argv[1:4])
    print(json.dumps(asyncio.run(main(runs, repeats, default_runs))))
