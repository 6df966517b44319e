"""The record of one tracked call, and of one tracking session."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

__all__ = ["PICO", "CallRecord", "LabelValue", "SessionInfo", "to_pico"]

LabelValue = str | int | float | bool | None
"""A label's value: any JSON scalar."""

PICO = Decimal("1e-12")


def to_pico(amount: Decimal) -> int:
    """Dollars as whole pico-dollars (1e-12 USD): the integer column SQL sums exactly."""
    return int(amount.quantize(PICO, rounding=ROUND_HALF_EVEN).scaleb(12))


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """One model call as the ledger keeps it."""

    id: str
    """Unique id of this record (retries of a write are idempotent on it)."""
    timestamp: float
    """When the call was recorded, seconds since the epoch (UTC)."""
    session_id: str
    """The tracking session (one batch run, one pipeline run, ...)."""
    operation_type: str
    """What the call was for, for example ``one_at_a_time_detection``."""
    provider: str | None = None
    """Canonical provider, where known."""
    model: str | None = None
    """Model name, where known."""
    prompt_tokens: int = 0
    """All input tokens (cache reads and writes included)."""
    completion_tokens: int = 0
    """All output tokens (reasoning included)."""
    cached_tokens: int = 0
    """Cache-read input tokens."""
    cache_write_tokens: int = 0
    """Cache-write input tokens."""
    reasoning_tokens: int = 0
    """Reasoning output tokens."""
    images: tuple[tuple[str, str, int], ...] = ()
    """Generated images as ``(quality, size, count)``."""
    requests: int = 1
    """Requests this record covers."""
    cost_usd: Decimal | None = None
    """What the call cost; ``None`` when unknown (unpriced), never a silent zero."""
    price: Mapping[str, str] | None = None
    """The rates used (USD per million tokens, per image), as strings."""
    price_source: str | None = None
    """``config``, ``catalog`` or ``explicit``; ``None`` for unpriced calls."""
    price_detail: str = ""
    """The config file and table, or the catalog and version."""
    labels: Mapping[str, LabelValue] = field(default_factory=dict)
    """Free-form labels, for example ``layout_name`` and ``master_id``."""
    request_id: str | None = None
    """The provider's response id or a caller's idempotency key; a second record with it is not counted."""
    success: bool = True
    """Whether the call succeeded."""
    error: str | None = None
    """The error of a failed call."""
    latency_s: float | None = None
    """How long the call took, where measured."""

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    @property
    def image_count(self) -> int:
        """Images generated."""
        return sum(count for _, _, count in self.images)

    @property
    def datetime(self) -> datetime:
        """The timestamp as an aware UTC datetime."""
        return datetime.fromtimestamp(self.timestamp, tz=UTC)

    def to_row(self) -> tuple[Any, ...]:
        """The record as a row of the ``llmledger_calls`` table (see ``migrations``)."""
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
            json.dumps(dict(self.price)) if self.price else None,
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
