"""A multi-step pipeline: solution >> validate >> reflect >> an image, recorded in SQLite.

Each step's output is the next step's input. The validate step returns a pydantic model
(structured output); the last step is an image model priced per image. Every request is recorded
in a SQLite ledger with ``pipeline``, ``step`` and ``run_id`` labels, so ``llmledger`` reports
(and ``tracker.summary()``) can break the costs down later. The ledger here lives in a temporary
folder; give ``SQLiteLedger`` a lasting path to keep it.
"""

from __future__ import annotations

import tempfile
from contextlib import closing
from pathlib import Path

from pydantic import BaseModel

from _offline import offline_openai  # no OPENAI_API_KEY: a local server (see _offline.py)
from llmledger import CostTracker, Pipeline, PipelineResult, Runner, SQLiteLedger, Step, make_agent_async
from llmledger.money import format_usd


class Review(BaseModel):
    """What the validate step returns."""

    approved: bool
    """Whether the answer is correct and complete."""
    issues: list[str]
    """What is wrong or missing, if anything."""


def build_pipeline() -> Pipeline:
    """The four steps; the agents are made here so that they use the current OpenAI settings."""
    solve = make_agent_async("openai:gpt-4o", "Answer the question in two sentences.", str)
    validate = make_agent_async("openai:gpt-4o-mini", "Review the answer for mistakes.", Review)
    reflect = make_agent_async("openai:gpt-4o", "Rewrite the answer, fixing the issues listed.", str)
    illustrate = make_agent_async(
        "openai:dall-e-3", "A simple illustration of:", str, quality="standard", size="1024x1024"
    )
    pipeline = Step.solution(solve) >> Step.validate(validate) >> Step.reflect(reflect)
    return (pipeline >> Step("illustrate", illustrate)).named("explain-and-illustrate")


def print_history(result: PipelineResult) -> None:
    """Print one row per step: name, model, tokens and cost, then the total."""
    print(f"{'step':<12} {'model':<18} {'tokens':>7} {'cost':>11}")
    for step in result.step_history:
        cost = format_usd(step.cost_usd, 6)
        print(f"{step.name:<12} {step.model or '-':<18} {step.token_counts:>7} {cost:>11}")
    total = format_usd(result.total_cost_usd, 6)
    print(f"{'total':<12} {'':<18} {result.total_tokens:>7} {total:>11}")


def main() -> None:
    """Run the pipeline once, print the step history and the tracker's summary."""
    with (
        tempfile.TemporaryDirectory() as folder,
        closing(SQLiteLedger(Path(folder) / "llmledger.db")) as ledger,
        CostTracker(ledger=ledger, name="complex-pipeline") as tracker,
        offline_openai(),
    ):
        runner = Runner(build_pipeline(), tracker=tracker)
        result = runner.run("What does double-entry bookkeeping guarantee?")

        print(f"Review: {result.step_history[1].output!r}")
        print_history(result)
        print()
        print(tracker.summary())


if __name__ == "__main__":
    main()
