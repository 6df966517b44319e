"""What a pipeline run returns: :class:`StepResult` per step and the :class:`PipelineResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..money import ZERO
from ..usage import Usage

__all__ = ["PipelineResult", "StepResult"]


@dataclass(slots=True, kw_only=True)
class StepResult:
    """One step of a run."""

    name: str
    """The step's name."""
    output: Any = None
    """What the step produced (``None`` if it failed)."""
    success: bool = True
    """Whether the step finished."""
    cost_usd: Decimal | None = None
    """What the step's model requests cost; ``None`` when any of them could not be priced."""
    token_counts: int = 0
    """Prompt plus completion tokens over the step's requests."""
    usage: Usage | None = None
    """The step's summed usage."""
    model: str | None = None
    """The model that ran the step."""
    latency_s: float = 0.0
    """Wall time of the step."""
    requests: int = 0
    """Model requests the step made."""
    error: str | None = None
    """Why the step failed."""


@dataclass(slots=True, kw_only=True)
class PipelineResult:
    """The steps of a run, in order, with their totals."""

    run_id: str
    """This run's id (the ``run_id`` label of its records)."""
    pipeline: str
    """The pipeline's name."""
    step_history: list[StepResult] = field(default_factory=list)
    """Every step run, in order."""

    @property
    def success(self) -> bool:
        """Whether every step finished."""
        return all(step.success for step in self.step_history)

    @property
    def output(self) -> Any:
        """The last step's output."""
        return self.step_history[-1].output if self.step_history else None

    @property
    def total_cost_usd(self) -> Decimal:
        """Sum of the known step costs (see :attr:`unpriced_steps`)."""
        return sum((s.cost_usd for s in self.step_history if s.cost_usd is not None), ZERO)

    @property
    def unpriced_steps(self) -> int:
        """Steps that ran but whose cost is unknown."""
        return sum(1 for s in self.step_history if s.cost_usd is None and s.requests)

    @property
    def total_tokens(self) -> int:
        """Tokens over all steps."""
        return sum(s.token_counts for s in self.step_history)
