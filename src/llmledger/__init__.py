"""llmledger: know exactly what your LLM calls cost, and stop spending past a limit.

Quick start::

    from llmledger import CostTracker

    with CostTracker(ledger="llmledger.db", unit_label="layout_name") as tracker:
        response = client.chat.completions.create(...)
        tracker.track(response, "detection", layout_name="a.jpg")
    print(tracker.summary())
"""

from ._version import __version__
from .budget import LimitGuard, Reservation, UsageLimits
from .budgets import Budget
from .exceptions import (
    ConfigError,
    CostUnknownWarning,
    LedgerError,
    LLMLedgerError,
    LLMLedgerWarning,
    PricingNotConfiguredError,
    UsageLimitExceededError,
    UsageMissingWarning,
)
from .ledger import Ledger, MemoryLedger, SQLiteLedger
from .ledger.record import CallRecord
from .pipeline import (
    ImageAgent,
    Pipeline,
    PipelineResult,
    Runner,
    Step,
    StepResult,
    make_agent_async,
)
from .pricing import Cost, ModelPrice, PriceTable, load_prices
from .progress import CostProgress
from .reporter import ExplicitCostReporter
from .tracker import CostTracker
from .usage import ImageUsage, Usage, extract_model, extract_usage
from .workers import tracked_map

__all__ = [
    "Budget",
    "CallRecord",
    "ConfigError",
    "Cost",
    "CostProgress",
    "CostTracker",
    "CostUnknownWarning",
    "ExplicitCostReporter",
    "ImageAgent",
    "ImageUsage",
    "LLMLedgerError",
    "LLMLedgerWarning",
    "Ledger",
    "LedgerError",
    "LimitGuard",
    "MemoryLedger",
    "ModelPrice",
    "Pipeline",
    "PipelineResult",
    "PostgresLedger",
    "PriceTable",
    "PricingNotConfiguredError",
    "Reservation",
    "Runner",
    "SQLiteLedger",
    "Step",
    "StepResult",
    "Usage",
    "UsageLimitExceededError",
    "UsageLimits",
    "UsageMissingWarning",
    "__version__",
    "extract_model",
    "extract_usage",
    "load_prices",
    "make_agent_async",
    "tracked_map",
]


def __getattr__(name: str) -> object:
    # PostgreSQL support lives behind the "postgres" extra: import it only when asked for
    if name == "PostgresLedger":
        from .ledger.postgres import PostgresLedger

        return PostgresLedger
    raise AttributeError(f"module 'llmledger' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
