"""Quick start: run a one-step pipeline and read what each step cost.

Every model request a step makes is priced (config first, then the built-in catalog) and summed
into the step's ``cost_usd`` and ``token_counts``.

Run it: ``python examples/quick_start.py`` (offline unless ``OPENAI_API_KEY`` is set).
"""

from __future__ import annotations

from _offline import offline_openai  # no OPENAI_API_KEY: a local server (see _offline.py)
from llmledger import Runner, Step, make_agent_async


def main() -> None:
    """Run the pipeline and print each step's cost and tokens, then the total."""
    with offline_openai():
        agent = make_agent_async("openai:gpt-4o", "You are a concise assistant.", str)
        pipeline = Step.solution(agent)

        result = Runner(pipeline).run("In one sentence: why track the cost of LLM calls?")

    print(f"Output: {result.output}")
    for step in result.step_history:
        print(f"Step {step.name}: cost_usd=${step.cost_usd}, token_counts={step.token_counts}")
    print(f"Total: ${result.total_cost_usd} for {result.total_tokens} tokens")


if __name__ == "__main__":
    main()
