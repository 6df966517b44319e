"""Compare two sessions unit by unit: cost, calls, tokens and the saving of one against the other.

Pure aggregation: the numbers come from the ledger's SQL aggregates (:meth:`Ledger.per_unit`,
:meth:`Ledger.stats`); rendering is :mod:`.tables` and :mod:`.json_report`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..ledger.base import Ledger
from ..ledger.filters import Filters
from ..ledger.record import SessionInfo
from .stats import Totals

__all__ = ["Comparison", "UnitComparison", "compare_sessions", "saving_percent"]

_PERCENT = Decimal("0.01")


def saving_percent(cost_a: Decimal | None, cost_b: Decimal | None) -> Decimal | None:
    """How much cheaper ``cost_b`` is than ``cost_a``, in percent to 0.01 (negative: dearer); ``None`` if undefined."""
    if cost_a is None or cost_b is None or not cost_a:
        return None
    return ((1 - cost_b / cost_a) * 100).quantize(_PERCENT)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitComparison:
    """One unit (a layout, a document) as each session processed it."""

    unit: str
    """The value of the unit label."""
    a: Totals | None
    """Session A's totals for the unit (``None``: A did not process it)."""
    b: Totals | None
    """Session B's totals for the unit (``None``: B did not process it)."""

    @property
    def saving_percent(self) -> Decimal | None:
        """B's saving against A on this unit, in percent."""
        if self.a is None or self.b is None:
            return None
        return saving_percent(self.a.cost_usd, self.b.cost_usd)


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """Two sessions side by side."""

    a: SessionInfo
    """The baseline session."""
    b: SessionInfo
    """The session compared with it."""
    unit_label: str | None
    """The label that groups calls into units (``None``: totals only)."""
    totals_a: Totals
    """A's totals (after filters)."""
    totals_b: Totals
    """B's totals (after filters)."""
    units: list[UnitComparison]
    """Per unit, in unit order; empty without a unit label."""

    @property
    def units_a(self) -> int:
        """Units A processed."""
        return sum(1 for u in self.units if u.a is not None)

    @property
    def units_b(self) -> int:
        """Units B processed."""
        return sum(1 for u in self.units if u.b is not None)

    @property
    def saving_percent(self) -> Decimal | None:
        """B's saving against A on the total cost, in percent to 0.01 (negative: B cost more)."""
        return saving_percent(self.totals_a.cost_usd, self.totals_b.cost_usd)

    @property
    def cost_per_unit_a(self) -> Decimal | None:
        """A's mean cost per unit."""
        return self.totals_a.cost_usd / self.units_a if self.units_a else None

    @property
    def cost_per_unit_b(self) -> Decimal | None:
        """B's mean cost per unit."""
        return self.totals_b.cost_usd / self.units_b if self.units_b else None

    @property
    def saving_per_unit_percent(self) -> Decimal | None:
        """B's saving against A on the mean cost per unit (differs from the total when unit counts differ)."""
        return saving_percent(self.cost_per_unit_a, self.cost_per_unit_b)


def compare_sessions(
    ledger: Ledger,
    a: SessionInfo,
    b: SessionInfo,
    *,
    unit_label: str | None = None,
    filters: Filters | None = None,
) -> Comparison:
    """Compare session ``b`` against ``a``, per unit of ``unit_label`` (default: A's, else B's unit label).

    Every number is aggregated by the ledger (SQL for the database ledgers): two totals and two
    per-unit queries, however many calls the sessions hold.
    """
    base = filters or Filters()
    label = unit_label or a.unit_label or b.unit_label
    totals_a = ledger.stats(a.id, filters=base).totals
    totals_b = ledger.stats(b.id, filters=base).totals
    units: list[UnitComparison] = []
    if label:
        per_a = ledger.per_unit(label, base.with_session(a.id))
        per_b = ledger.per_unit(label, base.with_session(b.id))
        units = [UnitComparison(unit=u, a=per_a.get(u), b=per_b.get(u)) for u in sorted(per_a.keys() | per_b.keys())]
    return Comparison(a=a, b=b, unit_label=label, totals_a=totals_a, totals_b=totals_b, units=units)
