"""Prices and costs: :class:`ModelPrice`, :class:`Cost` and :class:`PriceTable`.

A :class:`PriceTable` resolves a model's price once (config first, then the catalog) and caches
it, so pricing a call is a handful of exact :class:`~decimal.Decimal` multiplications.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal, NamedTuple

from .exceptions import CostUnknownWarning, PricingNotConfiguredError
from .models import split_model_ref
from .money import ZERO
from .usage._types import ImageUsage, Usage

__all__ = ["Cost", "ModelPrice", "PriceSource", "PriceTable", "PriceTier", "load_prices"]

PriceSource = Literal["config", "catalog", "explicit"]
"""Where a price came from: the user's config, the catalog, or a cost reported by the caller."""

_MILLION_EXP = -6


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceTier:
    """Rates that apply once a call's prompt passes ``above_prompt_tokens`` (long-context pricing)."""

    above_prompt_tokens: int
    """The tier applies when ``prompt_tokens`` is greater than this."""
    prompt_per_million: Decimal | None = None
    """USD per million prompt tokens in this tier (``None``: the base rate)."""
    completion_per_million: Decimal | None = None
    """USD per million completion tokens in this tier."""
    cached_prompt_per_million: Decimal | None = None
    """USD per million cache-read tokens in this tier."""
    cache_write_per_million: Decimal | None = None
    """USD per million cache-write tokens in this tier."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelPrice:
    """The price of one model, in US dollars.

    Token rates are kept per million tokens, exactly as given (a config's ``per_1k`` price is
    multiplied by 1000 exactly). A rate of ``None`` means "not known", which is not zero.
    """

    provider: str
    """Canonical provider, for example ``openai``."""
    model: str
    """Model name as priced."""
    prompt_per_million: Decimal | None = None
    """USD per million prompt tokens that are neither cache reads nor writes."""
    completion_per_million: Decimal | None = None
    """USD per million completion tokens (reasoning included)."""
    cached_prompt_per_million: Decimal | None = None
    """USD per million cache-read tokens; ``None``: charged at the prompt rate."""
    cache_write_per_million: Decimal | None = None
    """USD per million cache-write tokens; ``None``: charged at the prompt rate."""
    image_prices: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    """USD per image by ``(quality, size)``, for example ``("hd", "1792x1024")``."""
    tiers: tuple[PriceTier, ...] = ()
    """Long-context tiers, lowest threshold first."""
    max_output_tokens: int | None = None
    """The model's own cap on output tokens, where known."""
    context_window: int | None = None
    """The model's context window in tokens, where known."""
    source: PriceSource = "config"
    """Where this price came from."""
    source_detail: str = ""
    """The file and table, or the catalog and version, this price came from."""
    per_token: tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None] = field(
        init=False, repr=False, compare=False
    )
    """USD per token for prompt, cache-read, cache-write and completion tokens (fallbacks applied)."""

    def __post_init__(self) -> None:
        prompt = self.prompt_per_million
        cached = self.cached_prompt_per_million if self.cached_prompt_per_million is not None else prompt
        written = self.cache_write_per_million if self.cache_write_per_million is not None else prompt
        object.__setattr__(
            self,
            "per_token",
            tuple(
                None if r is None else r.scaleb(_MILLION_EXP)
                for r in (prompt, cached, written, self.completion_per_million)
            ),
        )

    @property
    def prompt_per_1k(self) -> Decimal | None:
        """USD per 1,000 prompt tokens."""
        return None if self.prompt_per_million is None else self.prompt_per_million.scaleb(-3)

    @property
    def completion_per_1k(self) -> Decimal | None:
        """USD per 1,000 completion tokens."""
        return None if self.completion_per_million is None else self.completion_per_million.scaleb(-3)

    def rates_for(self, prompt_tokens: int) -> ModelPrice:
        """The price that applies to a call of ``prompt_tokens`` (picks a long-context tier)."""
        for tier in reversed(self.tiers):
            if prompt_tokens > tier.above_prompt_tokens:
                return _apply_tier(self, tier)
        return self


def _apply_tier(base: ModelPrice, tier: PriceTier) -> ModelPrice:
    def pick(tier_rate: Decimal | None, base_rate: Decimal | None) -> Decimal | None:
        return tier_rate if tier_rate is not None else base_rate

    return ModelPrice(
        provider=base.provider,
        model=base.model,
        prompt_per_million=pick(tier.prompt_per_million, base.prompt_per_million),
        completion_per_million=pick(tier.completion_per_million, base.completion_per_million),
        cached_prompt_per_million=pick(tier.cached_prompt_per_million, base.cached_prompt_per_million),
        cache_write_per_million=pick(tier.cache_write_per_million, base.cache_write_per_million),
        image_prices=base.image_prices,
        max_output_tokens=base.max_output_tokens,
        context_window=base.context_window,
        source=base.source,
        source_detail=f"{base.source_detail}, tier above {tier.above_prompt_tokens:,} prompt tokens",
    )


class Cost(NamedTuple):
    """The cost of a usage under one price, with its breakdown.

    ``total_usd`` is ``None`` when the cost is unknown (no price, or a price that does not cover
    part of the usage): unknown is never reported as $0.

    Fields: ``total_usd`` (the whole cost, or ``None``); the breakdown ``prompt_usd`` (prompt
    tokens that are neither cache reads nor writes), ``cached_usd`` (cache reads),
    ``cache_write_usd``, ``completion_usd`` (reasoning included) and ``images_usd``; ``source``
    (``config``, ``catalog`` or ``explicit``; ``None`` without a price) and ``source_detail``
    (the config file and table, or the catalog and version); ``provider`` and ``model`` as
    priced; ``price``, the :class:`ModelPrice` used; ``reason``, why the cost is unknown.

    A named tuple rather than a frozen dataclass: it is built once per tracked call, and a
    tuple is built five times faster (see ``benchmarks/bench_pricing.py``).
    """

    total_usd: Decimal | None
    prompt_usd: Decimal = ZERO
    cached_usd: Decimal = ZERO
    cache_write_usd: Decimal = ZERO
    completion_usd: Decimal = ZERO
    images_usd: Decimal = ZERO
    source: PriceSource | None = None
    source_detail: str = ""
    provider: str | None = None
    model: str = ""
    price: ModelPrice | None = None
    reason: str | None = None

    @classmethod
    def unknown(cls, model: str, provider: str | None, reason: str, price: ModelPrice | None = None) -> Cost:
        """A cost that could not be computed, with the reason."""
        return cls(
            None,
            provider=provider,
            model=model,
            reason=reason,
            price=price,
            source=price.source if price else None,
            source_detail=price.source_detail if price else "",
        )


def compute_cost(price: ModelPrice, usage: Usage) -> tuple[Cost | None, str | None]:
    """Price ``usage`` with ``price``; returns ``(cost, None)`` or ``(None, reason)``."""
    return compute_cost_of(
        price,
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.cached_tokens,
        usage.cache_write_tokens,
        usage.images,
    )


def compute_cost_of(
    price: ModelPrice,
    prompt: int,
    completion: int,
    cached: int,
    written: int,
    images: tuple[ImageUsage, ...] = (),
) -> tuple[Cost | None, str | None]:
    """:func:`compute_cost` from validated counts (the tracker's hot path skips building a Usage)."""
    rates = price.rates_for(prompt) if price.tiers else price
    prompt_rate, cached_rate, write_rate, completion_rate = rates.per_token
    plain_prompt = prompt - cached - written
    try:
        prompt_usd: Decimal = plain_prompt * prompt_rate if plain_prompt else ZERO  # type: ignore[operator,assignment]
        cached_usd: Decimal = cached * cached_rate if cached else ZERO  # type: ignore[operator,assignment]
        write_usd: Decimal = written * write_rate if written else ZERO  # type: ignore[operator,assignment]
        completion_usd: Decimal = completion * completion_rate if completion else ZERO  # type: ignore[operator,assignment]
    except TypeError:  # a rate is None: that part of the usage has no price
        return None, _missing_rate(rates, plain_prompt, cached, written, completion)
    total: Decimal = prompt_usd + cached_usd + write_usd + completion_usd
    images_usd: Decimal = ZERO
    if images:
        for image in images:
            per_image = price.image_prices.get((image.quality, image.size))
            if per_image is None:
                return None, f"no price for {image.quality} {image.size} images"
            images_usd += image.count * per_image
        total += images_usd
    return (
        Cost(
            total,
            prompt_usd,
            cached_usd,
            write_usd,
            completion_usd,
            images_usd,
            price.source,
            rates.source_detail,
            price.provider,
            price.model,
            rates,
            None,
        ),
        None,
    )


def _missing_rate(price: ModelPrice, plain_prompt: int, cached: int, written: int, completion: int) -> str:
    for count, rate, what in zip(
        (plain_prompt, cached, written, completion),
        price.per_token,
        ("prompt tokens", "cached prompt tokens", "cache write tokens", "completion tokens"),
        strict=True,
    ):
        if count and rate is None:
            return f"no price for {what}"
    return "incomplete price"  # pragma: no cover


class PriceTable:
    """Prices for every model a job uses: the config's first, then the catalog's.

    Each model's price is resolved once and cached; pricing a call after that is a few exact
    Decimal multiplications.

    Args:
        prices: configured prices, ``(provider, model) -> ModelPrice``, or an iterable of them.
        strict: only configured models may be priced; others raise
            :class:`~llmledger.exceptions.PricingNotConfiguredError` and the catalog is not consulted.
        catalog: look up models the config does not name in the catalog (genai-prices and
            llmledger's own data file).
        path: the config file the prices came from, for display.
    """

    def __init__(
        self,
        prices: Mapping[tuple[str, str], ModelPrice] | Iterable[ModelPrice] = (),
        *,
        strict: bool = False,
        catalog: bool = True,
        path: Path | None = None,
    ) -> None:
        items = prices.values() if isinstance(prices, Mapping) else prices
        self._configured: dict[tuple[str, str], ModelPrice] = {(p.provider, p.model): p for p in items}
        self._by_model: dict[str, list[ModelPrice]] = {}
        for price in self._configured.values():
            self._by_model.setdefault(price.model, []).append(price)
        self.strict = strict
        """Whether only configured models may be priced."""
        self.use_catalog = catalog
        """Whether the catalog is consulted for models the config does not name."""
        self.path = path
        """The config file, if the prices came from one."""
        self._cache: dict[tuple[str, str | None], ModelPrice | None] = {}
        self._warned: set[tuple[str | None, str]] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PriceTable({len(self._configured)} configured, strict={self.strict}, path={self.path})"

    @property
    def configured(self) -> Mapping[tuple[str, str], ModelPrice]:
        """The prices the config names."""
        return self._configured

    def lookup(self, model: str, *, provider: str | None = None) -> ModelPrice | None:
        """The price of ``model`` (``"provider:model"`` or with ``provider``), or ``None``.

        Raises:
            PricingNotConfiguredError: in strict mode, when the config does not price the model.
        """
        key = (model, provider)
        try:
            price = self._cache[key]
        except KeyError:
            price = self._resolve(model, provider)
            self._cache[key] = price
        return price

    def _resolve(self, model_ref: str, provider_hint: str | None) -> ModelPrice | None:
        provider, model = split_model_ref(model_ref, provider_hint)
        price = self._configured_price(provider, model)
        if price is not None:
            return price
        if self.strict:
            raise PricingNotConfiguredError(provider or "unknown", model)
        if not self.use_catalog:
            return None
        from .catalog import catalog_price

        return catalog_price(provider, model)

    def _configured_price(self, provider: str | None, model: str) -> ModelPrice | None:
        if provider is not None:
            return self._configured.get((provider, model))
        candidates = self._by_model.get(model, [])
        return candidates[0] if len(candidates) == 1 else None

    def cost(self, model: str, usage: Usage, *, provider: str | None = None) -> Cost:
        """The cost of ``usage`` on ``model``.

        Returns a :class:`Cost` whose ``total_usd`` is ``None`` (and warns once per model with
        :class:`~llmledger.exceptions.CostUnknownWarning`) when no price covers the usage.

        Raises:
            PricingNotConfiguredError: in strict mode, for a model or image size the config lacks.
        """
        return self.cost_of(
            model,
            provider,
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.cached_tokens,
            usage.cache_write_tokens,
            usage.images,
        )

    def cost_of(
        self,
        model: str,
        provider: str | None,
        prompt: int,
        completion: int,
        cached: int = 0,
        written: int = 0,
        images: tuple[ImageUsage, ...] = (),
    ) -> Cost:
        """:meth:`cost` from counts that already satisfy :class:`Usage`'s rules (the tracker's hot path)."""
        price = self.lookup(model, provider=provider)
        if price is None:
            return self._unknown(model, provider, "no price in config or catalog", None)
        cost, reason = compute_cost_of(price, prompt, completion, cached, written, images)
        if cost is None:
            if self.strict:
                raise PricingNotConfiguredError(price.provider, price.model, detail=reason)
            return self._unknown(model, provider, reason or "incomplete price", price)
        return cost

    def check(self, model: str, *, provider: str | None = None, images: Iterable[ImageUsage] = ()) -> ModelPrice:
        """Check up front that ``model`` (and these image sizes) can be priced; return its price.

        Raises:
            PricingNotConfiguredError: the model, or one of the image sizes, has no price.
        """
        price = self.lookup(model, provider=provider)
        if price is None:
            prov, name = split_model_ref(model, provider)
            raise PricingNotConfiguredError(prov or "unknown", name)
        for image in images:
            if (image.quality, image.size) not in price.image_prices:
                raise PricingNotConfiguredError(
                    price.provider, price.model, detail=f"no price for {image.quality} {image.size} images"
                )
        return price

    def _unknown(self, model: str, provider: str | None, reason: str, price: ModelPrice | None) -> Cost:
        prov, name = split_model_ref(model, provider)
        key = (prov, name)
        if key not in self._warned:
            with self._lock:
                first = key not in self._warned
                self._warned.add(key)
            if first:
                warnings.warn(
                    f"Cost unknown for provider={prov or 'unknown'}, model={name}: {reason}; "
                    "its calls are recorded with an unknown cost",
                    CostUnknownWarning,
                    stacklevel=3,
                )
        return Cost.unknown(name, prov, reason, price)


def load_prices(path: Path | str | None = None, *, catalog: bool = True) -> PriceTable:
    """Load the pricing config into a :class:`PriceTable`.

    Args:
        path: the config file; by default ``$LLMLEDGER_CONFIG``, else ``llmledger.toml`` or
            ``flujo.toml`` in the current directory or its parents. No file: catalog prices only.
        catalog: consult the catalog for models the config does not name.

    Raises:
        ConfigError: the file is missing, malformed, or has an unknown key or a bad price.
    """
    from .config import find_config, read_config

    file = Path(path) if path is not None else find_config()
    if file is None:
        return PriceTable(catalog=catalog)
    config = read_config(file)
    return PriceTable(config.prices, strict=config.strict, catalog=catalog, path=config.path)
