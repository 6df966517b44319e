"""Pricing config: TOML -> validated, frozen :class:`~llmledger.pricing.ModelPrice` objects.

Every config error is raised here, as :class:`~llmledger.exceptions.ConfigError` naming the file,
the table and the key. The format::

    [cost]
    strict = true
    [cost.providers.openai.gpt-4o]
    prompt_tokens_per_1k = 0.005
    completion_tokens_per_1k = 0.015
    [cost.providers.openai."dall-e-3"]
    price_per_image_standard_1024x1024 = 0.040

Model names with dots written unquoted (``[cost.providers.openai.gpt-3.5-turbo]``) are read by
TOML as nested tables; they are joined back, so that table prices the model ``gpt-3.5-turbo``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .exceptions import ConfigError
from .models import canonical_provider
from .pricing import ModelPrice, PriceSource

__all__ = ["CONFIG_ENV", "CONFIG_NAMES", "PricingConfig", "find_config", "parse_config", "read_config"]

CONFIG_ENV = "LLMLEDGER_CONFIG"
"""Environment variable naming the config file."""
CONFIG_NAMES = ("llmledger.toml", "flujo.toml")
"""File names looked for in the current directory and its parents, in this order."""

_IMAGE_KEY = re.compile(r"^price_per_image_(?P<quality>[a-z0-9]+)_(?P<size>\d+x\d+)$")
# config key -> (ModelPrice field, factor to per-million)
_TOKEN_KEYS: dict[str, tuple[str, int]] = {}
for _name, _field in (
    ("prompt_tokens", "prompt_per_million"),
    ("completion_tokens", "completion_per_million"),
    ("cached_prompt_tokens", "cached_prompt_per_million"),
    ("cache_write_tokens", "cache_write_per_million"),
):
    _TOKEN_KEYS[f"{_name}_per_1k"] = (_field, 3)
    _TOKEN_KEYS[f"{_name}_per_million"] = (_field, 0)
_LIMIT_KEYS = ("max_output_tokens", "context_window")
_CATALOG_KEYS = ("source", "as_of")  # only in llmledger's own catalog file


class _Price(BaseModel):
    """One model table, validated; keys are checked before this model is built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: Decimal = Field(ge=0, allow_inf_nan=False)

    @field_validator("value", mode="before")
    @classmethod
    def _no_bool(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("a price must be a number, not a boolean")
        if isinstance(v, float):
            return repr(v)  # 0.005 means Decimal('0.005'), not the binary expansion
        return v


class _Limit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    value: int = Field(gt=0)


class _CostSection(BaseModel):
    """The ``[cost]`` table: ``strict`` and ``providers``; nothing else."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strict: bool = False
    providers: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("strict", mode="before")
    @classmethod
    def _strict_bool(cls, value: Any) -> Any:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false (got {value!r})")
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class PricingConfig:
    """A parsed pricing config."""

    path: Path | None
    """The file it came from (``None`` for a string)."""
    strict: bool
    """With ``strict = true`` only models priced here may be used."""
    prices: Mapping[tuple[str, str], ModelPrice]
    """``(provider, model) -> price``."""


def find_config(start: Path | None = None) -> Path | None:
    """Find the config file: ``$LLMLEDGER_CONFIG``, else ``llmledger.toml`` then ``flujo.toml``.

    Each name is looked for in ``start`` (default: the current directory) and its parents.

    Raises:
        ConfigError: ``$LLMLEDGER_CONFIG`` names a file that does not exist.
    """
    env = os.environ.get(CONFIG_ENV)
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV} names a file that does not exist", path=path)
        return path
    here = (start or Path.cwd()).resolve()
    for name in CONFIG_NAMES:
        for folder in (here, *here.parents):
            candidate = folder / name
            if candidate.is_file():
                return candidate
    return None


def read_config(path: Path | str, *, catalog: bool = False) -> PricingConfig:
    """Read and validate a pricing config file.

    Raises:
        ConfigError: the file cannot be read, is not valid TOML, or has a bad table or key.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror or exc}", path=path) from exc
    return parse_config(text, path=path, catalog=catalog)


def parse_config(text: str, *, path: Path | str | None = None, catalog: bool = False) -> PricingConfig:
    """Parse a pricing config from TOML text.

    Args:
        text: the TOML document; tables outside ``[cost]`` are ignored (a ``flujo.toml`` has others).
        path: the file the text came from, for error messages.
        catalog: accept the ``source`` and ``as_of`` keys of llmledger's own catalog file.

    Raises:
        ConfigError: malformed TOML (with its line), an unknown key, or a bad value.
    """
    file = Path(path) if path is not None else None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_of(str(exc))
        raise ConfigError(f"invalid TOML: {exc}", path=file, line=line) from exc
    raw_cost = document.get("cost", {})
    if not isinstance(raw_cost, dict):
        raise ConfigError("must be a table", path=file, table="cost")
    try:
        section = _CostSection.model_validate(raw_cost)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else None
        raise ConfigError(_plain(error["msg"]), path=file, table="cost", key=key) from None
    source: PriceSource = "catalog" if catalog else "config"
    prices: dict[tuple[str, str], ModelPrice] = {}
    for provider_key, models in section.providers.items():
        provider = canonical_provider(provider_key)
        table = f"cost.providers.{provider_key}"
        if not isinstance(models, dict):
            raise ConfigError("must be a table of models", path=file, table=table)
        for model, model_table, keys in _model_tables(models, table, file):
            price = _model_price(provider, model, keys, file=file, table=model_table, source=source, catalog=catalog)
            if (provider, model) in prices:
                raise ConfigError(f"model {model!r} is priced twice", path=file, table=model_table)
            prices[provider, model] = price
    return PricingConfig(path=file, strict=section.strict, prices=prices)


def _model_tables(
    tables: Mapping[str, Any], parent: str, file: Path | None, prefix: str = ""
) -> list[tuple[str, str, dict[str, Any]]]:
    """Walk a provider's tables, joining unquoted dotted names back into model names."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    for name, value in tables.items():
        model = f"{prefix}.{name}" if prefix else name
        table = f"{parent}.{_toml_key(name)}"
        if not isinstance(value, dict):
            raise ConfigError("a provider table holds model tables, not values", path=file, table=parent, key=name)
        scalars = {k: v for k, v in value.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in value.items() if isinstance(v, dict)}
        if scalars or not nested:
            found.append((model, table, scalars))
        found.extend(_model_tables(nested, table, file, model))
    return found


def _model_price(
    provider: str,
    model: str,
    keys: Mapping[str, Any],
    *,
    file: Path | None,
    table: str,
    source: PriceSource,
    catalog: bool,
) -> ModelPrice:
    rates: dict[str, Decimal] = {}
    images: dict[tuple[str, str], Decimal] = {}
    limits: dict[str, int] = {}
    meta: dict[str, str] = {}
    for key, value in keys.items():
        if key in _TOKEN_KEYS:
            field, exponent = _TOKEN_KEYS[key]
            if field in rates:
                raise ConfigError("this price is given twice (per_1k and per_million)", path=file, table=table, key=key)
            rates[field] = _price(value, file=file, table=table, key=key).scaleb(exponent)
        elif match := _IMAGE_KEY.match(key):
            images[match["quality"], match["size"]] = _price(value, file=file, table=table, key=key)
        elif key in _LIMIT_KEYS:
            try:
                limits[key] = _Limit(value=value).value
            except ValidationError as exc:
                raise ConfigError(_plain(exc.errors()[0]["msg"]), path=file, table=table, key=key) from None
        elif catalog and key in _CATALOG_KEYS:
            meta[key] = str(value)
        else:
            raise ConfigError(
                f"unknown key (expected one of: {', '.join(_known_keys())})", path=file, table=table, key=key
            )
    if not rates and not images:
        raise ConfigError("no prices in this model table", path=file, table=table)
    if source == "catalog":
        detail = f"llmledger catalog: {meta.get('source', '?')} (as of {meta.get('as_of', '?')})"
    else:
        detail = f"{file or '<string>'} [{table}]"
    return ModelPrice(
        provider=provider,
        model=model,
        image_prices=images,
        source=source,
        source_detail=detail,
        max_output_tokens=limits.get("max_output_tokens"),
        context_window=limits.get("context_window"),
        prompt_per_million=rates.get("prompt_per_million"),
        completion_per_million=rates.get("completion_per_million"),
        cached_prompt_per_million=rates.get("cached_prompt_per_million"),
        cache_write_per_million=rates.get("cache_write_per_million"),
    )


def _price(value: Any, *, file: Path | None, table: str, key: str) -> Decimal:
    try:
        return _Price(value=value).value
    except ValidationError as exc:
        raise ConfigError(
            f"{_plain(exc.errors()[0]['msg'])} (got {value!r})", path=file, table=table, key=key
        ) from None


def _known_keys() -> list[str]:
    return [*_TOKEN_KEYS, "price_per_image_<quality>_<WxH>", *_LIMIT_KEYS]


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else f'"{name}"'


def _plain(message: str) -> str:
    return message.removeprefix("Value error, ")


def _line_of(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match[1]) if match else None
