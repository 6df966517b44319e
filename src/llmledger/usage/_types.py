"""The normalised :class:`Usage` of one or more model calls."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ImageUsage", "Usage"]


def _check_count(name: str, value: object) -> None:
    if type(value) is not int:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


_COUNT_FIELDS = (
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "requests",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageUsage:
    """Images generated at one quality and size."""

    count: int
    """How many images."""
    quality: str = "standard"
    """Quality as the provider names it: ``standard``/``hd`` (DALL·E 3), ``low``/``medium``/``high``."""
    size: str = "1024x1024"
    """Size as ``WIDTHxHEIGHT``."""

    def __post_init__(self) -> None:
        _check_count("count", self.count)


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """Token and image usage of one model call, or the sum of several.

    Counts follow one convention whatever the provider reports: ``prompt_tokens`` is all input,
    cache reads and cache writes included; ``completion_tokens`` is all output, reasoning included.
    """

    prompt_tokens: int = 0
    """All input tokens, including ``cached_tokens`` and ``cache_write_tokens``."""
    completion_tokens: int = 0
    """All output tokens, including ``reasoning_tokens``."""
    cached_tokens: int = 0
    """Input tokens read from the provider's prompt cache (a part of ``prompt_tokens``)."""
    cache_write_tokens: int = 0
    """Input tokens written to the provider's prompt cache (a part of ``prompt_tokens``)."""
    reasoning_tokens: int = 0
    """Output tokens spent on reasoning (a part of ``completion_tokens``)."""
    images: tuple[ImageUsage, ...] = field(default=())
    """Images generated, by quality and size."""
    requests: int = 1
    """Number of requests this usage covers."""

    def __post_init__(self) -> None:
        counts = (
            self.prompt_tokens,
            self.completion_tokens,
            self.cached_tokens,
            self.cache_write_tokens,
            self.reasoning_tokens,
            self.requests,
        )
        if not all(type(n) is int and n >= 0 for n in counts):
            for name, value in zip(_COUNT_FIELDS, counts, strict=True):
                _check_count(name, value)
        if self.cached_tokens + self.cache_write_tokens > self.prompt_tokens:
            raise ValueError(
                f"cached_tokens ({self.cached_tokens}) + cache_write_tokens ({self.cache_write_tokens}) "
                f"exceed prompt_tokens ({self.prompt_tokens}); "
                "prompt_tokens must include cache reads and writes"
            )
        if self.reasoning_tokens > self.completion_tokens:
            raise ValueError(
                f"reasoning_tokens ({self.reasoning_tokens}) exceed completion_tokens "
                f"({self.completion_tokens}); completion_tokens must include reasoning"
            )
        if not isinstance(self.images, tuple):
            object.__setattr__(self, "images", tuple(self.images))

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    @property
    def image_count(self) -> int:
        """Images generated, over all qualities and sizes."""
        return sum(image.count for image in self.images)

    def __add__(self, other: object) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            images=_merge_images(self.images, other.images),
            requests=self.requests + other.requests,
        )

    def __radd__(self, other: object) -> Usage:
        # lets sum(usages) work, which starts from 0
        if other == 0:
            return self
        return NotImplemented


def _merge_images(a: tuple[ImageUsage, ...], b: tuple[ImageUsage, ...]) -> tuple[ImageUsage, ...]:
    if not a:
        return b
    if not b:
        return a
    counts: dict[tuple[str, str], int] = {}
    for image in (*a, *b):
        key = (image.quality, image.size)
        counts[key] = counts.get(key, 0) + image.count
    return tuple(ImageUsage(count=n, quality=q, size=s) for (q, s), n in counts.items())
