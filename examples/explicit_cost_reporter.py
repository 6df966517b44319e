"""Costs llmledger cannot compute: a step whose result reports its own cost.

Any agent with ``async run(input)`` can be a step. When its result has ``cost_usd`` and
``token_counts`` (the :class:`~llmledger.ExplicitCostReporter` protocol), that cost is recorded
as given: use it for an in-house model, a negotiated price, or a cached answer that cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from _offline import offline_openai  # no OPENAI_API_KEY: a local server (see _offline.py)
from llmledger import Runner, Step, make_agent_async
from llmledger.money import format_usd


@dataclass(frozen=True, slots=True)
class TranslationResult:
    """What the in-house translator returns.

    Having ``cost_usd`` and ``token_counts`` makes it an :class:`~llmledger.ExplicitCostReporter`:
    no base class to inherit, the protocol is structural.
    """

    output: str
    """The translation (the next step's input, or the pipeline's output)."""
    cost_usd: Decimal
    """What the call cost, as billed."""
    token_counts: int
    """Tokens the call used."""


class InHouseTranslator:
    """A translation service billed at a flat $0.0025 per call (a stand-in: it only tags the text)."""

    price_per_call_usd = Decimal("0.0025")

    async def run(self, input: str) -> TranslationResult:
        """Translate ``input`` and report what it cost."""
        tokens = len(input.split()) * 2
        return TranslationResult(
            output=f"[fr] {input}",
            cost_usd=self.price_per_call_usd,
            token_counts=tokens,
        )


def main() -> None:
    """A priced chat step, then the self-reporting step; print both costs and the total."""
    with offline_openai():
        write = make_agent_async("openai:gpt-4o", "Write one sentence for a product page.", str)
        pipeline = Step.solution(write) >> Step("translate", InHouseTranslator())
        result = Runner(pipeline).run("A notebook that tracks what your LLM calls cost.")

    print(f"Output: {result.output}")
    for step in result.step_history:
        source = "reported by the agent" if step.name == "translate" else "priced from the model's rates"
        print(f"{step.name:<10} {step.token_counts:>4} tokens  {format_usd(step.cost_usd, 6)}  ({source})")
    print(f"Total: {format_usd(result.total_cost_usd, 6)}")


if __name__ == "__main__":
    main()
