"""The catalog: genai-prices for token prices, plus llmledger's small data file for images.

Both load lazily, on the first model the config does not name, so ``import llmledger`` stays fast.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

from .pricing import ModelPrice, PriceTier

__all__ = ["bundled_prices", "catalog_price", "genai_prices_version"]

_lock = threading.Lock()


@functools.cache
def bundled_prices() -> dict[tuple[str, str], ModelPrice]:
    """The prices in llmledger's own data file (``llmledger/data/catalog.toml``)."""
    from .config import parse_config

    file = resources.files("llmledger") / "data" / "catalog.toml"
    return dict(parse_config(file.read_text(encoding="utf-8"), path=str(file), catalog=True).prices)


@functools.cache
def genai_prices_version() -> str:
    """The installed genai-prices version."""
    from importlib.metadata import version

    return version("genai-prices")


def catalog_price(provider: str | None, model: str) -> ModelPrice | None:
    """The catalog price of ``model``, or ``None`` when neither catalog has it.

    genai-prices gives the token prices; llmledger's data file adds per-image prices (and prices
    the image models genai-prices lacks).
    """
    with _lock:  # genai-prices' lookup caches are plain dicts
        token_price = _genai_price(provider, model)
    bundled = _bundled(provider, model)
    if token_price is None:
        return bundled
    if bundled is None:
        return token_price
    return replace(
        token_price,
        image_prices=bundled.image_prices,
        source_detail=f"{token_price.source_detail}; images: {bundled.source_detail}",
    )


def _bundled(provider: str | None, model: str) -> ModelPrice | None:
    prices = bundled_prices()
    if provider is not None:
        return prices.get((provider, model))
    matches = [price for (_, name), price in prices.items() if name == model]
    return matches[0] if len(matches) == 1 else None


def _genai_price(provider: str | None, model: str) -> ModelPrice | None:
    from genai_prices import data_snapshot

    snapshot = data_snapshot.get_snapshot()
    try:
        found_provider, info = snapshot.find_provider_model(model, None, provider, None)
    except LookupError:
        return None
    prices = info.get_prices(datetime.now(tz=UTC))
    base, tiers = _rates(prices)
    if base.get("prompt_per_million") is None and base.get("completion_per_million") is None:
        return None
    return ModelPrice(
        provider=provider or found_provider.id,
        model=model,
        tiers=tiers,
        context_window=info.context_window,
        source="catalog",
        source_detail=f"genai-prices {genai_prices_version()} ({found_provider.id}/{info.id})",
        prompt_per_million=base.get("prompt_per_million"),
        completion_per_million=base.get("completion_per_million"),
        cached_prompt_per_million=base.get("cached_prompt_per_million"),
        cache_write_per_million=base.get("cache_write_per_million"),
    )


_RATE_KEYS = {
    "input_mtok": "prompt_per_million",
    "output_mtok": "completion_per_million",
    "cache_read_mtok": "cached_prompt_per_million",
    "cache_write_mtok": "cache_write_per_million",
}


def _rates(prices: Any) -> tuple[dict[str, Decimal | None], tuple[PriceTier, ...]]:
    """Split genai-prices' rates (plain or tiered by input tokens) into base rates and tiers."""
    base: dict[str, Decimal | None] = {}
    tier_rates: dict[int, dict[str, Decimal]] = {}
    for key, field in _RATE_KEYS.items():
        value = getattr(prices, key, None)
        if value is None:
            base[field] = None
        elif isinstance(value, Decimal):
            base[field] = value
        else:  # TieredPrices: a base rate and rates above input-token thresholds
            base[field] = value.base
            for tier in value.tiers:
                tier_rates.setdefault(int(tier.start), {})[field] = tier.price
    tiers = tuple(PriceTier(above_prompt_tokens=start, **rates) for start, rates in sorted(tier_rates.items()))
    return base, tiers
