"""Pipelines of LLM steps with per-step cost and limits that never overshoot."""

from .agents import ImageAgent, ImageResult, is_image_model, make_agent_async
from .results import PipelineResult, StepResult
from .runner import Runner
from .step import Pipeline, Step

__all__ = [
    "ImageAgent",
    "ImageResult",
    "Pipeline",
    "PipelineResult",
    "Runner",
    "Step",
    "StepResult",
    "is_image_model",
    "make_agent_async",
]
