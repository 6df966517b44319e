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
from typing import Literal

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Cost:
    """The cost of a usage under one price, with its breakdown.

    ``total_usd`` is ``None`` when the cost is unknown (no price, or a price that does not cover
    part of the usage): unknown is never reported as $0.
    """

    total_usd: Decimal | None
    """The whole cost, or ``None`` when unknown."""
    prompt_usd: Decimal = ZERO
    """Prompt tokens that are neither cache reads nor writes."""
    cached_usd: Decimal = ZERO
    """Cache-read tokens."""
    cache_write_usd: Decimal = ZERO
    """Cache-write tokens."""
    completion_usd: Decimal = ZERO
    """Completion tokens (reasoning included)."""
    images_usd: Decimal = ZERO
    """Generated images."""
    source: PriceSource | None = None
    """Where the price came from; ``None`` when no price was found."""
    source_detail: str = ""
    """The config file and table, or catalog and version, of the price."""
    provider: str | None = None
    """The provider the price is for."""
    model: str = ""
    """The model priced."""
    price: ModelPrice | None = None
    """The price used."""
    reason: str | None = None
    """Why the cost is unknown, when it is."""

    @classmethod
    def unknown(cls, model: str, provider: str | None, reason: str, price: ModelPrice | None = None) -> Cost:
        """A cost that could not be computed, with the reason."""
        return cls(
            total_usd=None,
            provider=provider,
            model=model,
            reason=reason,
            price=price,
            source=price.source if price else None,
            source_detail=price.source_detail if price else "",
        )


def _per_token(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else rate.scaleb(_MILLION_EXP)


def compute_cost(price: ModelPrice, usage: Usage) -> tuple[Cost | None, str | None]:
    """Price ``usage`` with ``price``; returns ``(cost, None)`` or ``(None, reason)``."""
    rates = price.rates_for(usage.prompt_tokens) if price.tiers else price
    prompt_rate = rates.prompt_per_million
    cached = usage.cached_tokens
    written = usage.cache_write_tokens
    plain_prompt = usage.prompt_tokens - cached - written
    cached_rate = rates.cached_prompt_per_million if rates.cached_prompt_per_million is not None else prompt_rate
    write_rate = rates.cache_write_per_million if rates.cache_write_per_million is not None else prompt_rate
    completion_rate = rates.completion_per_million
    for count, rate, what in (
        (plain_prompt, prompt_rate, "prompt tokens"),
        (cached, cached_rate, "cached prompt tokens"),
        (written, write_rate, "cache write tokens"),
        (usage.completion_tokens, completion_rate, "completion tokens"),
    ):
        if count and rate is None:
            return None, f"no price for {what}"
    prompt_usd = (plain_prompt * prompt_rate).scaleb(_MILLION_EXP) if plain_prompt else ZERO  # type: ignore[operator]
    cached_usd = (cached * cached_rate).scaleb(_MILLION_EXP) if cached else ZERO  # type: ignore[operator]
    write_usd = (written * write_rate).scaleb(_MILLION_EXP) if written else ZERO  # type: ignore[operator]
    completion_usd = (
        (usage.completion_tokens * completion_rate).scaleb(_MILLION_EXP)  # type: ignore[operator]
        if usage.completion_tokens
        else ZERO
    )
    images_usd = ZERO
    for image in usage.images:
        per_image = price.image_prices.get((image.quality, image.size))
        if per_image is None:
            return None, f"no price for {image.quality} {image.size} images"
        images_usd += image.count * per_image
    return (
        Cost(
            total_usd=prompt_usd + cached_usd + write_usd + completion_usd + images_usd,
            prompt_usd=prompt_usd,
            cached_usd=cached_usd,
            cache_write_usd=write_usd,
            completion_usd=completion_usd,
            images_usd=images_usd,
            source=price.source,
            source_detail=rates.source_detail,
            provider=price.provider,
            model=price.model,
            price=rates,
        ),
        None,
    )


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
        price = self.lookup(model, provider=provider)
        if price is None:
            return self._unknown(model, provider, "no price in config or catalog", None)
        cost, reason = compute_cost(price, usage)
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
