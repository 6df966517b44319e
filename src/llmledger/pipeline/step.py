"""Steps and pipelines: ``Step.solution(a) >> Step.validate(b) >> Step.reflect(c)``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Pipeline", "Step"]


@dataclass(frozen=True, slots=True)
class Step:
    """One LLM step: a name and an agent (a pydantic-ai ``Agent`` or anything with ``async run(input)``).

    Args:
        name: the step's name, recorded as the ``step`` label.
        agent: what runs the step.
        max_requests: for pydantic-ai agents, the most model requests the step may make (tool
            calls and retries each make one); every one is reserved against the limits.
    """

    name: str
    agent: Any
    max_requests: int = 8

    @classmethod
    def solution(cls, agent: Any, *, name: str = "solution") -> Step:
        """A step that produces a solution."""
        return cls(name, agent)

    @classmethod
    def validate(cls, agent: Any, *, name: str = "validate") -> Step:
        """A step that checks the previous step's output."""
        return cls(name, agent)

    @classmethod
    def reflect(cls, agent: Any, *, name: str = "reflect") -> Step:
        """A step that reflects on (and improves) the previous output."""
        return cls(name, agent)

    def __rshift__(self, other: Step | Pipeline) -> Pipeline:
        return Pipeline((self,)) >> other


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Steps run in order; each step's output is the next step's input."""

    steps: tuple[Step, ...]
    name: str = "pipeline"

    def __rshift__(self, other: Step | Pipeline) -> Pipeline:
        more = (other,) if isinstance(other, Step) else other.steps
        return Pipeline((*self.steps, *more), self.name)

    def named(self, name: str) -> Pipeline:
        """The same steps under another name (recorded as the ``pipeline`` label)."""
        return Pipeline(self.steps, name)

    def __len__(self) -> int:
        return len(self.steps)
