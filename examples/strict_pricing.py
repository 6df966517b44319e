"""Strict pricing: only models priced in your config may run, checked before any request.

With ``strict = true`` in the ``[cost]`` table of ``llmledger.toml``, a pipeline whose model has
no configured price fails with :class:`~llmledger.PricingNotConfiguredError` up front: nothing is
sent, so nothing is spent at an unknown price.

``load_prices()`` finds ``llmledger.toml`` by itself (``$LLMLEDGER_CONFIG``, else the current
directory and its parents); this example writes one to a temporary folder and loads it by path.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _offline import offline_openai  # no OPENAI_API_KEY: a local server (see _offline.py)
from llmledger import PricingNotConfiguredError, Runner, Step, load_prices, make_agent_async

CONFIG = """\
[cost]
strict = true

[cost.providers.openai.gpt-4o]
prompt_tokens_per_1k = 0.0025
completion_tokens_per_1k = 0.010
"""


def main() -> None:
    """Run a configured model, then show an unconfigured one refused before any request."""
    with tempfile.TemporaryDirectory() as folder, offline_openai() as server:
        config = Path(folder) / "llmledger.toml"
        config.write_text(CONFIG, encoding="utf-8")
        prices = load_prices(config)

        # gpt-4o is priced in the config: the run succeeds and is priced from it.
        priced = Step.solution(make_agent_async("openai:gpt-4o", "You are a concise assistant.", str))
        result = Runner(priced, prices=prices).run("Name one use of a ledger.")
        step = result.step_history[0]
        print(f"gpt-4o: cost_usd=${step.cost_usd} for {step.token_counts} tokens (price from {config.name})")

        # gpt-4o-mini is not in the config: strict mode refuses it before sending anything.
        unpriced = Step.solution(make_agent_async("openai:gpt-4o-mini", "You are a concise assistant.", str))
        sent_before = server.hits if server is not None else 0
        try:
            Runner(unpriced, prices=prices).run("Name one use of a ledger.")
        except PricingNotConfiguredError as exc:
            print(f"gpt-4o-mini refused: {exc}")
        if server is not None:
            print(f"{server.hits - sent_before} requests sent for gpt-4o-mini")


if __name__ == "__main__":
    main()
