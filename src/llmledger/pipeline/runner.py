"""Runner: runs a pipeline, meters every model request, and stops before a limit is crossed."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..bounds import LimitMode, prompt_tokens_bound
from ..budget import LimitGuard, Reserver, UsageLimits
from ..exceptions import UsageLimitExceededError
from ..guard import CallGuard
from ..models import split_model_ref
from ..pricing import PriceTable, load_prices
from ..reporter import explicit_cost
from ..tracker import CostTracker
from ..usage import extract_model, extract_usage
from .agents import ImageAgent
from .meter import StepMeter, now
from .results import PipelineResult, StepResult
from .step import Pipeline, Step

__all__ = ["Runner"]


class Runner:
    """Runs a :class:`Pipeline` with per-step costs and limits that never overshoot.

    Every model request a step makes is reserved at its worst case before it is sent (see
    :mod:`llmledger.bounds`), so the limits hold even when many runs share one runner at once.
    A run that would cross a limit stops before the request, raising
    :class:`~llmledger.UsageLimitExceededError` whose ``result`` is the partial :class:`PipelineResult`.

    Args:
        pipeline: the steps (or a single :class:`Step`).
        usage_limits: cost and token limits shared by every run of this runner.
        prices: the price table (default :func:`~llmledger.load_prices`).
        tracker: where each request is recorded (default: a new :class:`~llmledger.CostTracker`).
        budget: a shared budget (any :class:`~llmledger.budget.Reserver`), checked as well.
        limit_mode: ``bound`` (guaranteed worst case) or ``estimate`` (a tokenizer estimate of the
            prompt; closer to the real cost, no guarantee).
    """

    def __init__(
        self,
        pipeline: Pipeline | Step,
        usage_limits: UsageLimits | None = None,
        prices: PriceTable | str | Path | None = None,
        tracker: CostTracker | None = None,
        budget: Reserver | None = None,
        *,
        limit_mode: LimitMode = "bound",
    ) -> None:
        self.pipeline = pipeline if isinstance(pipeline, Pipeline) else Pipeline((pipeline,))
        self.usage_limits = usage_limits or UsageLimits()
        if tracker is not None and prices is None:
            self.prices = tracker.prices
        else:
            self.prices = prices if isinstance(prices, PriceTable) else load_prices(prices)
        self.tracker = tracker or CostTracker(self.prices)
        self.limit_mode: LimitMode = limit_mode
        self.budget = budget
        """The shared budget, if any."""
        self.guard = LimitGuard(self.usage_limits)
        """The runner's own limits, shared by all its runs."""
        reserver: Reserver | None = self.guard
        if budget is not None:
            from ..budget import CombinedReserver

            reserver = CombinedReserver(self.guard, budget)
        self._calls = CallGuard(self.prices, reserver, mode=limit_mode)

    def check_prices(self) -> None:
        """Check every step's model against the prices up front (strict mode: before any request).

        Raises:
            PricingNotConfiguredError: a step's model (or image size) has no configured price.
        """
        if not self.prices.strict:
            return
        for step in self.pipeline.steps:
            model = _model_name(step.agent)
            if model is None:
                continue
            images = step.agent.images if isinstance(step.agent, ImageAgent) else ()
            self.prices.check(model, images=images)

    def run(self, input: Any) -> PipelineResult:
        """Run the pipeline to the end (sync). Use :meth:`run_async` inside an event loop."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.run_async(input))
        raise RuntimeError("Runner.run() was called inside an event loop: await runner.run_async(...)")

    async def run_async(self, input: Any) -> PipelineResult:
        """Run the pipeline to the end."""
        self.check_prices()
        result = PipelineResult(run_id=os.urandom(6).hex(), pipeline=self.pipeline.name)
        value = input
        for step in self.pipeline.steps:
            meter = StepMeter(
                guard=self._calls,
                tracker=self.tracker,
                operation_type=step.name,
                labels={"pipeline": self.pipeline.name, "step": step.name, "run_id": result.run_id},
            )
            start = now()
            try:
                output = await self._run_step(step, value, meter)
            except UsageLimitExceededError as exc:
                if meter.requests:
                    result.step_history.append(_step_result(step, meter, start, error=str(exc)))
                exc.result = result
                raise
            except Exception as exc:
                result.step_history.append(_step_result(step, meter, start, error=f"{type(exc).__name__}: {exc}"))
                return result
            result.step_history.append(_step_result(step, meter, start, output=output))
            self._check_after_step(result)
            value = output
        return result

    def _check_after_step(self, result: PipelineResult) -> None:
        if self.budget is not None:
            left = self.budget.remaining_usd
            if left is not None and left < 0:  # only in estimate mode, or when usage beat its bound
                raise UsageLimitExceededError(
                    f"Budget exceeded by ${-left}", limit=None, spent=None, requested=None, result=result
                )
        limits = self.usage_limits
        cost_limit = limits.cost_limit
        if cost_limit is not None and self.guard.spent_usd > cost_limit:
            raise UsageLimitExceededError(
                f"Cost limit of ${cost_limit} exceeded: ${self.guard.spent_usd} spent",
                limit=cost_limit,
                spent=self.guard.spent_usd,
                result=result,
            )
        if limits.total_tokens_limit is not None and self.guard.spent_tokens > limits.total_tokens_limit:
            raise UsageLimitExceededError(
                f"Token limit of {limits.total_tokens_limit:,} exceeded: {self.guard.spent_tokens:,} used",
                limit=limits.total_tokens_limit,
                spent=self.guard.spent_tokens,
                result=result,
            )

    async def _run_step(self, step: Step, value: Any, meter: StepMeter) -> Any:
        agent = step.agent
        if _is_pydantic_ai_agent(agent):
            return await self._run_pydantic_ai(step, agent, value, meter)
        if isinstance(agent, ImageAgent):
            return await self._run_image(agent, value, meter)
        return await self._run_opaque(agent, value, meter)

    async def _run_pydantic_ai(self, step: Step, agent: Any, value: Any, meter: StepMeter) -> Any:
        from pydantic_ai.usage import UsageLimits as AgentLimits

        from .guarded_model import GuardedModel

        if agent.model is None:
            raise ValueError(f"step {step.name!r}: the agent has no model")
        model = GuardedModel(agent.model, meter, mode=self.limit_mode)
        # entering the model closes the provider's HTTP client when the step ends (unless the
        # caller entered the agent): each sync run() has its own event loop, and a client left
        # open on a closed loop leaks its sockets
        async with model:
            result = await agent.run(
                _as_prompt(value), model=model, usage_limits=AgentLimits(request_limit=step.max_requests)
            )
        return result.output

    async def _run_image(self, agent: ImageAgent, value: Any, meter: StepMeter) -> Any:
        text = agent.prompt_for(_as_prompt(value))
        plan = meter.before(
            agent.model,
            provider=None,
            prompt_tokens_bound=prompt_tokens_bound([text], messages=1, mode=self.limit_mode),
            requested_cap=None,
            images=agent.images,
        )
        start = now()
        try:
            result = await agent.run(value)
        except BaseException as exc:
            meter.failed(plan, exc, model=agent.model, provider=None)
            raise
        provider, name = split_model_ref(agent.model)
        meter.after(plan, result.usage, model=name, provider=provider, latency_s=now() - start)
        return result.output

    async def _run_opaque(self, agent: Any, value: Any, meter: StepMeter) -> Any:
        model = _model_name(agent)
        cap = getattr(agent, "max_tokens", None) or getattr(agent, "max_output_tokens", None)
        if model is not None and (cap is not None or not self._calls.limited):
            bound = prompt_tokens_bound(
                [str(getattr(agent, "system_prompt", "") or ""), _as_prompt(value)],
                messages=2,
                mode=self.limit_mode,
            )
            plan = meter.before(model, provider=None, prompt_tokens_bound=bound, requested_cap=cap)
        else:
            plan = meter.before_unbounded()
        start = now()
        try:
            result = await agent.run(value)
        except BaseException as exc:
            meter.failed(plan, exc, model=model, provider=None)
            raise
        explicit = explicit_cost(result)
        usage = extract_usage(result)
        reported_model = extract_model(result) or model
        if explicit is not None:
            cost_usd, tokens = explicit
            from ..usage import Usage

            usage = usage or Usage(prompt_tokens=tokens)
            meter.after(plan, usage, model=reported_model, provider=None, latency_s=now() - start, cost_usd=cost_usd)
        else:
            meter.after(plan, usage, model=reported_model, provider=None, latency_s=now() - start)
        return getattr(result, "output", result)


def _step_result(
    step: Step, meter: StepMeter, start: float, *, output: Any = None, error: str | None = None
) -> StepResult:
    usage = meter.usage
    return StepResult(
        name=step.name,
        output=output,
        success=error is None,
        cost_usd=meter.cost_usd if meter.requests else (None if error else Decimal(0)),
        token_counts=usage.total_tokens if usage is not None else 0,
        usage=usage,
        model=meter.model or _model_name(step.agent),
        latency_s=now() - start,
        requests=meter.requests,
        error=error,
    )


def _is_pydantic_ai_agent(agent: Any) -> bool:
    module = type(agent).__module__
    return module.startswith("pydantic_ai") and hasattr(agent, "run") and hasattr(agent, "model")


def _model_name(agent: Any) -> str | None:
    model = getattr(agent, "model", None)
    if model is None:
        return None
    if isinstance(model, str):
        return model
    name = getattr(model, "model_name", None)
    system = getattr(model, "system", None)
    if isinstance(name, str):
        return f"{system}:{name}" if isinstance(system, str) and system not in ("function", "test") else name
    return None


def _as_prompt(value: Any) -> str:
    if isinstance(value, str):
        return value
    if hasattr(value, "model_dump_json"):
        return str(value.model_dump_json())
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str)
    return str(value)
