"""Instrument a pydantic-ai ``Agent``: its model is wrapped in the pipeline's metering ``GuardedModel``.

Every model request the agent makes (not only every run) is then planned against the tracker's
limits, sent, priced and recorded, as pipeline steps are (:mod:`llmledger.pipeline.guarded_model`).
The agent needs a model of its own (``Agent("openai:gpt-4o")``); a model passed to ``run(model=...)``
or set with ``agent.override(model=...)`` is not metered.
"""

from __future__ import annotations

from typing import Any

from ._recording import Instrumentation

__all__ = ["install"]


def install(inst: Instrumentation, agent: Any) -> None:
    """Replace ``agent.model`` by a metering wrapper; undo puts the original back."""
    from pydantic_ai import Agent
    from pydantic_ai.models import infer_model

    from ..pipeline.guarded_model import GuardedModel
    from ..pipeline.meter import StepMeter

    if not isinstance(agent, Agent):
        raise TypeError(f"cannot instrument {type(agent).__qualname__}: expected a pydantic-ai Agent")
    original = agent.model
    if original is None:
        raise ValueError("the agent has no model to meter: give it one (Agent('openai:gpt-4o'))")
    tracker = inst.tracker
    meter = StepMeter(
        guard=tracker.guard,
        tracker=tracker,
        operation_type=inst.operation_type or "pydantic_ai.request",
        labels=inst.labels,
    )
    agent.model = GuardedModel(infer_model(original), meter, mode=tracker.guard.mode)

    def undo() -> None:
        agent.model = original

    inst.undo.append(undo)
