"""Usage limits: a run stops *before* the request that could cross a limit.

Before each model request, the runner reserves its worst case (every prompt token plus the whole
output cap, priced). A request whose worst case does not fit what is left is never sent:
:class:`~llmledger.UsageLimitExceededError` is raised, and ``error.result`` holds the steps that
did run, with what they cost.
"""

from __future__ import annotations

from decimal import Decimal

from _offline import offline_openai  # no OPENAI_API_KEY: a local server (see _offline.py)
from llmledger import Pipeline, Runner, Step, UsageLimitExceededError, UsageLimits, make_agent_async
from llmledger.money import format_usd

QUESTION = "Summarise double-entry bookkeeping."


def build_pipeline() -> Pipeline:
    """A cheap draft, then a polish step allowed up to 2,000 output tokens."""
    draft = make_agent_async("openai:gpt-4o-mini", "Draft a short answer.", str)
    polish = make_agent_async("openai:gpt-4o", "Polish the draft.", str, max_tokens=2000)
    return Step.solution(draft, name="draft") >> Step.reflect(polish, name="polish")


def run_with(limits: UsageLimits) -> None:
    """Run the pipeline under ``limits`` and show where (and why) it stopped."""
    runner = Runner(build_pipeline(), usage_limits=limits)
    try:
        result = runner.run(QUESTION)
    except UsageLimitExceededError as exc:
        print(f"  refused before sending: {exc}")
        done = exc.result.step_history
        for number, step in enumerate(done, start=1):
            cost = format_usd(step.cost_usd, 6)
            print(f"  step {number} {step.name} ({step.model}): {step.token_counts} tokens, {cost}")
        print(f"  not run: {', '.join(step.name for step in runner.pipeline.steps[len(done) :])}")
        if limits.cost_limit is not None:
            spent = exc.result.total_cost_usd
            print(f"  spent {format_usd(spent, 6)} of the {format_usd(limits.cost_limit)} limit")
        if limits.total_tokens_limit is not None:
            print(f"  used {exc.result.total_tokens} of the {limits.total_tokens_limit:,}-token limit")
    else:
        print(f"  finished: {format_usd(result.total_cost_usd, 6)}")


def main() -> None:
    """A cost limit, then a token limit; both refuse the polish step before it is sent."""
    with offline_openai() as server:
        # The draft costs a fraction of a cent; the polish step's worst case (2,000 output
        # tokens of gpt-4o, $0.02) does not fit in what is left of $0.01.
        print("Cost limit $0.01")
        run_with(UsageLimits(total_cost_usd_limit=Decimal("0.01")))

        # 2,000 output tokens do not fit in a 1,000-token limit either.
        print("Token limit 1,000")
        run_with(UsageLimits(total_tokens_limit=1_000))

        if server is not None:
            print(f"Requests sent: {server.hits} (one draft per run; no polish request)")


if __name__ == "__main__":
    main()
