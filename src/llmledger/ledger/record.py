"""The record of one tracked call, and of one tracking session."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

__all__ = ["COLUMNS", "PICO", "CallRecord", "LabelValue", "SessionInfo", "to_pico", "to_rows"]

LabelValue = str | int | float | bool | None
"""A label's value: any JSON scalar."""

PICO = Decimal("1e-12")
_NO_LABELS: Mapping[str, LabelValue] = MappingProxyType({})


def to_pico(amount: Decimal) -> int:
    """Dollars as whole pico-dollars (1e-12 USD): the integer column SQL sums exactly."""
    return int(amount.quantize(PICO, rounding=ROUND_HALF_EVEN).scaleb(12))


class CallRecord(NamedTuple):
    """One model call as the ledger keeps it.

    Fields: ``id`` (unique; retried writes are idempotent on it), ``timestamp`` (seconds since the
    epoch, UTC), ``session_id``, ``operation_type`` (what the call was for), ``provider`` and
    ``model`` (where known), the usage counts ``prompt_tokens`` (cache reads and writes included),
    ``completion_tokens`` (reasoning included), ``cached_tokens``, ``cache_write_tokens``,
    ``reasoning_tokens``, ``images`` (``(quality, size, count)`` triples) and ``requests``;
    ``cost_usd`` (``None`` when unknown: unpriced, never a silent zero), ``price`` (the rates
    used, as strings), ``price_source`` (``config``, ``catalog`` or ``explicit``) and
    ``price_detail`` (file and table, or catalog and version); ``labels`` (free-form, for example
    ``layout_name`` and ``master_id``); ``request_id`` (the provider's response id or a caller's
    idempotency key: a second record with it is not counted); ``success``, ``error`` and
    ``latency_s``.

    A named tuple rather than a frozen dataclass: one is built per tracked call, and a tuple of
    24 fields is built five times faster (``benchmarks/bench_tracker.py``).
    """

    id: str
    timestamp: float
    session_id: str
    operation_type: str
    provider: str | None = None
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    images: tuple[tuple[str, str, int], ...] = ()
    requests: int = 1
    cost_usd: Decimal | None = None
    price: Mapping[str, str] | None = None
    price_source: str | None = None
    price_detail: str = ""
    labels: Mapping[str, LabelValue] = _NO_LABELS
    request_id: str | None = None
    success: bool = True
    error: str | None = None
    latency_s: float | None = None

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    @property
    def image_count(self) -> int:
        """Images generated."""
        return sum(count for _, _, count in self.images)

    @property
    def when(self) -> datetime:
        """The timestamp as an aware UTC datetime."""
        return datetime.fromtimestamp(self.timestamp, tz=UTC)

    def to_row(self, price_json: str | None = None) -> tuple[Any, ...]:
        """The record as a row of the ``llmledger_calls`` table (see ``migrations``).

        ``price_json`` is the price already serialised (records of one model share it).
        """
        if price_json is None and self.price:
            price_json = json.dumps(dict(self.price))
        return (
            self.id,
            self.timestamp,
            self.session_id,
            self.operation_type,
            self.provider,
            self.model,
            self.prompt_tokens,
            self.completion_tokens,
            self.cached_tokens,
            self.cache_write_tokens,
            self.reasoning_tokens,
            self.image_count,
            json.dumps([list(i) for i in self.images]) if self.images else None,
            self.requests,
            None if self.cost_usd is None else str(self.cost_usd),
            None if self.cost_usd is None else to_pico(self.cost_usd),
            price_json,
            self.price_source,
            self.price_detail,
            json.dumps(dict(self.labels), default=str) if self.labels else "{}",
            self.request_id,
            self.success,
            self.error,
            self.latency_s,
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> CallRecord:
        """Rebuild a record from a ledger row (a mapping of column names)."""
        images = row["images_json"]
        price = row["price_json"]
        labels = row["labels"]
        return cls(
            id=row["id"],
            timestamp=float(row["ts"]),
            session_id=row["session_id"],
            operation_type=row["operation_type"],
            provider=row["provider"],
            model=row["model"],
            prompt_tokens=row["prompt_tokens"],
            completion_tokens=row["completion_tokens"],
            cached_tokens=row["cached_tokens"],
            cache_write_tokens=row["cache_write_tokens"],
            reasoning_tokens=row["reasoning_tokens"],
            images=tuple((q, s, int(n)) for q, s, n in json.loads(images)) if images else (),
            requests=row["requests"],
            cost_usd=None if row["cost_usd"] is None else Decimal(row["cost_usd"]),
            price=json.loads(price) if isinstance(price, str) else price,
            price_source=row["price_source"],
            price_detail=row["price_detail"] or "",
            labels=json.loads(labels) if isinstance(labels, str) else (labels or {}),
            request_id=row["request_id"],
            success=bool(row["success"]),
            error=row["error"],
            latency_s=row["latency_s"],
        )


def to_rows(records: Iterable[CallRecord]) -> list[tuple[Any, ...]]:
    """Rows for many records, serialising each distinct price once."""
    prices: dict[int, str] = {}
    rows = []
    for record in records:
        price = record.price
        price_json = None
        if price:
            price_json = prices.get(id(price))
            if price_json is None:
                price_json = prices[id(price)] = json.dumps(dict(price))
        rows.append(record.to_row(price_json))
    return rows


COLUMNS = (
    "id",
    "ts",
    "session_id",
    "operation_type",
    "provider",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "images",
    "images_json",
    "requests",
    "cost_usd",
    "cost_pusd",
    "price_json",
    "price_source",
    "price_detail",
    "labels",
    "request_id",
    "success",
    "error",
    "latency_s",
)
"""The columns of ``llmledger_calls``, in :meth:`CallRecord.to_row` order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionInfo:
    """A tracking session: one batch run, one pipeline run, one demo mode."""

    id: str
    """The session id."""
    started_at: float
    """When it started, seconds since the epoch."""
    unit_label: str | None = None
    """The label that groups work into units (``layout_name``), if any."""
    name: str | None = None
    """A human name, for example the demo's mode."""
