"""llmledger: know exactly what your LLM calls cost, and stop spending past a limit.

Quick start::

    from llmledger import Usage, load_prices

    prices = load_prices()  # llmledger.toml, else the genai-prices catalog
    cost = prices.cost("openai:gpt-4o", Usage(prompt_tokens=1200, completion_tokens=150))
    print(cost.total_usd, cost.source)
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

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
from .pricing import Cost, ModelPrice, PriceTable, load_prices
from .reporter import ExplicitCostReporter
from .usage import ImageUsage, Usage, extract_model, extract_usage

try:
    __version__ = _version("llmledger")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "ConfigError",
    "Cost",
    "CostUnknownWarning",
    "ExplicitCostReporter",
    "ImageUsage",
    "LLMLedgerError",
    "LLMLedgerWarning",
    "LedgerError",
    "ModelPrice",
    "PriceTable",
    "PricingNotConfiguredError",
    "Usage",
    "UsageLimitExceededError",
    "UsageMissingWarning",
    "__version__",
    "extract_model",
    "extract_usage",
    "load_prices",
]
