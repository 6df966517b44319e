"""A pydantic-ai model wrapper that reserves, caps, prices and records every model request.

Imported only when a pydantic-ai agent runs in a pipeline (``llmledger[pydantic-ai]``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, is_dataclass
from typing import Any

try:
    from pydantic_ai.messages import ModelMessage, ModelResponse
    from pydantic_ai.models import Model, ModelRequestParameters, StreamedResponse
    from pydantic_ai.models.wrapper import WrapperModel
    from pydantic_ai.settings import ModelSettings
except ImportError as exc:  # pragma: no cover
    raise ImportError('pydantic-ai agents need it: install "llmledger[pydantic-ai]"') from exc

from ..bounds import LimitMode, json_tokens, prompt_tokens_bound
from ..guard import CallPlan
from ..models import canonical_provider
from ..usage.pydantic_ai import model_response_usage
from .meter import StepMeter, now

__all__ = ["GuardedModel"]

_NOT_PROVIDERS = {"function", "test", "fallback"}


class GuardedModel(WrapperModel):
    """Wraps a pydantic-ai model: each request is reserved before it is sent and recorded after."""

    def __init__(self, wrapped: Model | str, meter: StepMeter, *, mode: LimitMode = "bound") -> None:
        super().__init__(wrapped)
        self.meter = meter
        self.mode = mode

    def _price_provider(self) -> str | None:
        system = self.wrapped.system
        return None if system in _NOT_PROVIDERS else canonical_provider(system)

    def _plan(
        self, messages: list[ModelMessage], settings: ModelSettings | None, params: ModelRequestParameters
    ) -> tuple[CallPlan, ModelSettings | None]:
        bound = request_prompt_bound(messages, params, self.mode)
        requested = (settings or {}).get("max_tokens")
        plan = self.meter.before(
            self.wrapped.model_name,
            provider=self._price_provider(),
            prompt_tokens_bound=bound,
            requested_cap=requested,
        )
        if plan.cap_was_set and plan.output_cap is not None:
            settings = ModelSettings(**{**(settings or {}), "max_tokens": plan.output_cap})
        return plan, settings

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        """Reserve, send through the wrapped model, then price, record and settle."""
        plan, settings = self._plan(messages, model_settings, model_request_parameters)
        start = now()
        try:
            response = await self.wrapped.request(messages, settings, model_request_parameters)
        except BaseException as exc:
            self.meter.failed(plan, exc, model=self.wrapped.model_name, provider=self._price_provider())
            raise
        self._record(plan, response, now() - start)
        return response

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: Any = None,
    ) -> AsyncIterator[StreamedResponse]:
        """The streamed form of :meth:`request`: recorded when the stream closes."""
        plan, settings = self._plan(messages, model_settings, model_request_parameters)
        start = now()
        try:
            async with self.wrapped.request_stream(messages, settings, model_request_parameters, run_context) as stream:
                yield stream
        except BaseException as exc:
            self.meter.failed(plan, exc, model=self.wrapped.model_name, provider=self._price_provider())
            raise
        self._record(plan, stream.get(), now() - start)

    def _record(self, plan: CallPlan, response: ModelResponse, latency_s: float) -> None:
        self.meter.after(
            plan,
            model_response_usage(response),
            model=response.model_name or self.wrapped.model_name,
            provider=self._price_provider(),
            request_id=response.provider_response_id,
            latency_s=latency_s,
        )


def request_prompt_bound(messages: list[ModelMessage], params: ModelRequestParameters, mode: LimitMode) -> int:
    """Bound the prompt tokens of a pydantic-ai request: every message part, tool and schema."""
    texts: list[str] = []
    images = 0
    for message in messages:
        instructions = getattr(message, "instructions", None)
        if instructions:
            texts.append(instructions)
        for part in message.parts:
            content = getattr(part, "content", None)
            for item in content if isinstance(content, list | tuple) else [content]:
                if item is None:
                    continue
                if isinstance(item, str):
                    texts.append(item)
                elif _is_image(item):
                    images += 1
                else:
                    texts.append(_as_text(item))
            args = getattr(part, "args", None)
            if args is not None:
                texts.append(args if isinstance(args, str) else _as_text(args))
            name = getattr(part, "tool_name", None)
            if name:
                texts.append(name)
    schemas = [
        {"name": t.name, "description": t.description, "parameters": t.parameters_json_schema}
        for t in (*params.function_tools, *getattr(params, "output_tools", ()))
    ]
    bound = prompt_tokens_bound(texts, messages=len(messages) + 1, images=images, mode=mode)
    return bound + sum(json_tokens(s, mode) for s in schemas)


def _is_image(item: Any) -> bool:
    kind = getattr(item, "kind", "")
    if kind == "image-url":
        return True
    return bool(getattr(item, "is_image", False))


def _as_text(value: Any) -> str:
    import json

    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    elif hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    return json.dumps(value, default=str, separators=(",", ":"))
