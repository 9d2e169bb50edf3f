"""Recurring charges: is a vendor billing the company on a cadence (monthly, quarterly, annual) at a stable price?

A subscription shows in the books as charges a period apart whose amounts barely move; one-off purchases, travel
and usage-based fees do not. The usual amount is the median of the latest charges, so a price or seat change
starts a new level that the series then follows, and charges far from it (a one-off extra from the same vendor)
are left out rather than breaking the series.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

DAYS_PER_MONTH = 30.44


@dataclass(frozen=True)
class Cadence:
    """A billing period and the gaps (days) between two of its charges that still count as on time."""

    name: str
    months: int
    shortest: int
    longest: int


CADENCES = (
    Cadence("monthly", 1, 26, 35),
    Cadence("quarterly", 3, 84, 98),
    Cadence("annual", 12, 350, 380),
)


@dataclass(frozen=True)
class Series:
    """A vendor's recurring charge: its cadence, the usual amount now, and the charges that make it up."""

    cadence: Cadence
    amount: float
    charges: int
    first: date
    last: date

    @property
    def monthly_usd(self) -> float:
        """What the subscription costs a month (an annual charge spread over twelve)."""
        return round(self.amount / self.cadence.months, 2)

    @property
    def next_due(self) -> date:
        return self.last + timedelta(days=round(self.cadence.months * DAYS_PER_MONTH))

    def active(self, as_of: date, grace_days: int) -> bool:
        """Still billing: the next charge is not more than `grace_days` overdue on `as_of`."""
        return as_of <= self.next_due + timedelta(days=grace_days)

    def describe(self) -> str:
        return f"{self.amount:,.2f} {self.cadence.name} ({self.charges} charges {self.first:%Y-%m}..{self.last:%Y-%m})"


def detect_series(
    charges: Sequence[tuple[date, float]],
    *,
    amount_tolerance: float = 0.1,
    min_monthly: int = 3,
    min_other: int = 2,
) -> Series | None:
    """The recurring series in one vendor's charges (date, amount), or None. Cadences are tried shortest first;
    a series needs `min_monthly` (monthly) or `min_other` (quarterly, annual) charges, each within
    `amount_tolerance` of the usual amount and one period after the one before, ending with the latest such
    charge. Charges closer together than a period (an extra in the same month) are skipped, not fatal."""
    ordered = sorted((day, float(amount)) for day, amount in charges if amount and amount > 0)
    for cadence in CADENCES:
        needed = min_monthly if cadence.months == 1 else min_other
        if len(ordered) < needed:
            continue
        usual = median(amount for _, amount in ordered[-needed:])
        stable = [(day, amount) for day, amount in ordered if abs(amount - usual) <= amount_tolerance * usual]
        run = _trailing_run(stable, cadence)
        if len(run) >= needed:
            return Series(cadence, round(usual, 2), len(run), run[0][0], run[-1][0])
    return None


def _trailing_run(stable: Sequence[tuple[date, float]], cadence: Cadence) -> list[tuple[date, float]]:
    """The charges a period apart, walking back from the latest; stops at the first gap longer than a period."""
    if not stable:
        return []
    run = [stable[-1]]
    for day, amount in reversed(stable[:-1]):
        gap = (run[0][0] - day).days
        if gap < cadence.shortest:
            continue
        if gap > cadence.longest:
            break
        run.insert(0, (day, amount))
    return run
