"""Every error and warning llmledger raises.

The class tree::

    LLMLedgerError
    ├── ConfigError (ValueError)              a pricing config that cannot be used
    ├── PricingNotConfiguredError (LookupError)
    │                                         strict mode and no config price for a model
    ├── UsageLimitExceededError               a cost or token limit would be, or was, crossed
    ├── LedgerError (RuntimeError)            a ledger that cannot be written or read
    └── SessionNotFoundError (LookupError)    no session has that id, id prefix or name

    LLMLedgerWarning (UserWarning)
    ├── CostUnknownWarning                    no price found: the cost is recorded as unknown
    └── UsageMissingWarning                   a response without usage data: recorded unpriced

Leaves also inherit the matching built-in exception, so ``except LookupError`` and
``except ValueError`` keep working for callers that do not know llmledger.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError",
    "CostUnknownWarning",
    "LLMLedgerError",
    "LLMLedgerWarning",
    "LedgerError",
    "PricingNotConfiguredError",
    "SessionNotFoundError",
    "UsageLimitExceededError",
    "UsageMissingWarning",
]


class LLMLedgerError(Exception):
    """Root of every error llmledger raises."""


class ConfigError(LLMLedgerError, ValueError):
    """A pricing config that cannot be used.

    The message names the file, the table and the key (or the line, for malformed TOML).
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        table: str | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        """The config file, where known."""
        self.table = table
        """The TOML table, for example ``cost.providers.openai.gpt-4o``."""
        self.key = key
        """The offending key inside ``table``."""
        self.line = line
        """The line of a TOML syntax error."""
        where = []
        if self.path is not None:
            where.append(f"{self.path}" + (f", line {line}" if line is not None else ""))
        if table is not None:
            where.append(f"[{table}]")
        if key is not None:
            where.append(f"key {key!r}")
        prefix = " ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class PricingNotConfiguredError(LLMLedgerError, LookupError):
    """Strict mode is on and the config has no price for this model (or image size)."""

    def __init__(self, provider: str, model: str, *, detail: str | None = None) -> None:
        self.provider = provider
        """The provider of the model that has no price."""
        self.model = model
        """The model that has no price."""
        message = f"Pricing not configured for provider={provider}, model={model}"
        if detail:
            message += f" ({detail})"
        super().__init__(message)


class UsageLimitExceededError(LLMLedgerError):
    """A cost or token limit would be crossed by the next call, or was crossed.

    Raised before a request is sent whenever the limit can be checked up front.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: Decimal | int | None = None,
        spent: Decimal | int | None = None,
        requested: Decimal | int | None = None,
        result: Any = None,
    ) -> None:
        self.limit = limit
        """The limit that would be crossed (US dollars or tokens)."""
        self.spent = spent
        """What was settled, plus what other calls hold in reservation, when the check failed."""
        self.requested = requested
        """The worst case of the call that was refused, where one was refused."""
        self.result = result
        """The partial result of the run that stopped (a ``PipelineResult`` for pipelines)."""
        super().__init__(message)


class LedgerError(LLMLedgerError, RuntimeError):
    """A ledger that cannot be written or read; unwritten records stay with the tracker."""


class SessionNotFoundError(LLMLedgerError, LookupError):
    """No session in the ledger has that id, id prefix or name (or the prefix is ambiguous)."""

    def __init__(self, ref: str, *, candidates: int = 0) -> None:
        self.ref = ref
        """The id, id prefix or name asked for."""
        self.candidates = candidates
        """How many sessions an ambiguous prefix matched (0: none matched)."""
        detail = f"{candidates} sessions start with it" if candidates > 1 else "see `llmledger sessions`"
        super().__init__(f"no session {ref!r} ({detail})")


class LLMLedgerWarning(UserWarning):
    """Root of llmledger's warnings."""


class CostUnknownWarning(LLMLedgerWarning):
    """No price was found for a model: its calls are recorded with an unknown cost, never $0."""


class UsageMissingWarning(LLMLedgerWarning):
    """A response carried no usage data: the call is recorded as unpriced."""
