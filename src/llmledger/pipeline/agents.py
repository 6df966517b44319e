"""Agents for pipeline steps: pydantic-ai agents, and image agents priced per image."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..models import split_model_ref
from ..usage import ImageUsage, Usage, extract_usage

__all__ = ["ImageAgent", "ImageResult", "is_image_model", "make_agent_async"]

_OPENAI_IMAGE_MODELS = ("dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-mini")
_IMAGE_PROVIDERS = ("midjourney", "stable-diffusion", "stability")


def is_image_model(model: str) -> bool:
    """Whether ``model`` generates images (DALL·E, gpt-image, Midjourney, Stable Diffusion, Imagen)."""
    provider, name = split_model_ref(model)
    if provider in _IMAGE_PROVIDERS:
        return True
    if provider in (None, "openai") and name in _OPENAI_IMAGE_MODELS:
        return True
    return provider == "google" and name.startswith("imagen")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageResult:
    """What an :class:`ImageAgent` returns."""

    output: list[str]
    """The images, as URLs or base64 strings."""
    usage: Usage
    """Images generated (by quality and size) and prompt tokens where the provider reports them."""
    model: str
    """The model that generated them."""
    request_id: str | None = None
    """The provider's id for the request, where it gives one."""


ImageGenerator = Callable[[str], Awaitable[list[str]]]
"""``async generate(prompt) -> images``: the call for image providers without a built-in client."""


@dataclass(slots=True, kw_only=True)
class ImageAgent:
    """Generates images with one request; priced per image by quality and size.

    OpenAI models (``dall-e-2``, ``dall-e-3``, ``gpt-image-1``) are called through the OpenAI Images
    API (``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` as the SDK reads them, or ``client``). Other
    providers (``midjourney:v6``, ``stable-diffusion:xl``, ``google:imagen-2``) need ``generate``.
    """

    model: str
    """The image model, ``"provider:model"``."""
    quality: str = "standard"
    """Image quality (``standard``/``hd`` for DALL·E 3, ``low``/``medium``/``high`` for gpt-image)."""
    size: str = "1024x1024"
    """Image size, ``WxH``."""
    n: int = 1
    """Images per request."""
    generate: ImageGenerator | None = None
    """The call for providers without a built-in client."""
    client: Any = None
    """An ``openai.AsyncOpenAI`` client to use (default: one made per run)."""
    system_prompt: str = ""
    """Prepended to the prompt."""
    extra: dict[str, Any] = field(default_factory=dict)
    """More parameters for the Images API."""

    @property
    def images(self) -> tuple[ImageUsage, ...]:
        """What one run generates: the exact image usage a run is priced by."""
        return (ImageUsage(count=self.n, quality=self.quality, size=self.size),)

    def prompt_for(self, prompt: Any) -> str:
        """The text sent: the system prompt, then the input."""
        text = prompt if isinstance(prompt, str) else str(prompt)
        return f"{self.system_prompt}\n\n{text}" if self.system_prompt else text

    async def run(self, prompt: Any) -> ImageResult:
        """Generate the images."""
        provider, name = split_model_ref(self.model)
        text = self.prompt_for(prompt)
        if self.generate is not None:
            images = await self.generate(text)
            return ImageResult(output=list(images), usage=Usage(images=self.images), model=name)
        if provider not in (None, "openai"):
            raise NotImplementedError(f"{self.model}: give ImageAgent a generate= function to call this provider")
        return await self._openai(name, text)

    async def _openai(self, name: str, text: str) -> ImageResult:
        params: dict[str, Any] = {"model": name, "prompt": text, "n": self.n, "size": self.size, **self.extra}
        if name != "dall-e-2":
            params["quality"] = self.quality
        if self.client is not None:
            response = await self.client.images.generate(**params)
        else:
            import openai

            async with openai.AsyncOpenAI() as client:
                response = await client.images.generate(**params)
        reported = extract_usage(response)
        data = list(response.data or [])
        usage = Usage(
            prompt_tokens=reported.prompt_tokens if reported is not None else 0,
            images=(ImageUsage(count=len(data), quality=self.quality, size=self.size),),
        )
        output = [item.url or item.b64_json or "" for item in data]
        return ImageResult(output=output, usage=usage, model=name)


def make_agent_async(
    model: Any,
    system_prompt: str,
    output_type: Any = str,
    *,
    max_tokens: int | None = None,
    quality: str = "standard",
    size: str = "1024x1024",
    n: int = 1,
    generate: ImageGenerator | None = None,
    **agent_kwargs: Any,
) -> Any:
    """Make an agent for a pipeline step.

    Chat models give a pydantic-ai ``Agent`` (``model`` as ``"provider:model"`` or a pydantic-ai
    model object); ``max_tokens`` becomes its output cap. Image models (see :func:`is_image_model`)
    give an :class:`ImageAgent` priced per image by ``quality`` and ``size``.
    """
    if isinstance(model, str) and is_image_model(model):
        return ImageAgent(model=model, quality=quality, size=size, n=n, generate=generate, system_prompt=system_prompt)
    try:
        from pydantic_ai import Agent
    except ImportError as exc:  # pragma: no cover
        raise ImportError('make_agent_async needs pydantic-ai: install "llmledger[pydantic-ai]"') from exc
    from pydantic_ai.settings import ModelSettings

    settings = ModelSettings(max_tokens=max_tokens) if max_tokens is not None else None
    return Agent(model, system_prompt=system_prompt, output_type=output_type, model_settings=settings, **agent_kwargs)
