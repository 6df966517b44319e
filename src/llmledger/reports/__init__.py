"""Reports: pure functions from ledger rows to summaries, and their renderers (text, JSON)."""

from .stats import SessionStats, Totals

__all__ = ["SessionStats", "Totals"]
