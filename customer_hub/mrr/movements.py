"""MRR movements between two daily snapshots: new, expansion, contraction and churned, per currency.

Pure: two mappings of (golden customer, currency) -> MRR in, the movements out. Each currency is its own ledger, so
`previous + new + expansion + contraction + churned == current` holds per currency to the cent. A customer that was
merged into another since the previous snapshot is carried over to the customer it lives on as (`carried_over`),
so a merge is neither churn nor new business.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from customer_hub.mrr.settings import MrrSettings
from customer_hub.store.golden_store import survivor_of

Key = tuple[str, str]
"""(golden customer id, currency code; '' when Stripe gave none)."""
KINDS = ("new", "expansion", "contraction", "churned")


@dataclass(frozen=True)
class CustomerChange:
    """One customer's move in one currency since the previous snapshot."""

    golden_customer_id: str
    currency: str
    kind: str
    previous: float
    current: float

    @property
    def delta(self) -> float:
        return round(self.current - self.previous, 2)


@dataclass(frozen=True)
class CurrencyMovement:
    """One currency's MRR on the day and how it moved since the previous snapshot (decreases negative)."""

    currency: str
    mrr: float
    previous_mrr: float
    customers: int
    new: float
    expansion: float
    contraction: float
    churned: float

    def as_row(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "mrr": self.mrr,
            "customers": self.customers,
            "new_mrr": self.new,
            "expansion_mrr": self.expansion,
            "contraction_mrr": self.contraction,
            "churned_mrr": self.churned,
        }


def customer_mrr(views: Iterable[Mapping[str, Any]]) -> dict[Key, float]:
    """(customer, currency) -> MRR from 360 views, paying customers only (what customer_360 calls billing)."""
    return {
        (view["golden_customer_id"], currency or ""): round(float(amount), 2)
        for view in views
        for currency, amount in (view.get("mrr_by_currency") or {}).items()
        if amount and float(amount) > 0
    }


def carried_over(previous: Mapping[Key, float], merged: Mapping[str, str]) -> dict[Key, float]:
    """The previous snapshot keyed by the ids its customers live on today (`merged`: id -> id merged into)."""
    carried: dict[Key, float] = defaultdict(float)
    for (golden_id, currency), amount in previous.items():
        carried[(survivor_of(golden_id, merged), currency)] += amount
    return {key: round(amount, 2) for key, amount in carried.items()}


def _kind(previous: float, current: float) -> str | None:
    if previous <= 0 < current:
        return "new"
    if current <= 0 < previous:
        return "churned"
    if current > previous:
        return "expansion"
    return "contraction" if current < previous else None


def mrr_movements(
    previous: Mapping[Key, float], current: Mapping[Key, float]
) -> tuple[list[CurrencyMovement], list[CustomerChange]]:
    """Per currency the day's MRR and its movements; and every customer that moved, largest move first."""
    changes = []
    for key in sorted(set(previous) | set(current)):
        before, now = previous.get(key, 0.0), current.get(key, 0.0)
        kind = _kind(before, now)
        if kind:
            changes.append(CustomerChange(key[0], key[1], kind, before, now))
    moved: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(KINDS, 0.0))
    for change in changes:
        moved[change.currency][change.kind] += change.delta
    movements = []
    for currency in sorted({currency for _, currency in (*previous, *current)}):
        amounts = moved[currency]
        movements.append(
            CurrencyMovement(
                currency=currency,
                mrr=round(sum(amount for (_, cur), amount in current.items() if cur == currency), 2),
                previous_mrr=round(sum(amount for (_, cur), amount in previous.items() if cur == currency), 2),
                customers=sum(1 for (_, cur) in current if cur == currency),
                **{kind: round(amounts[kind], 2) for kind in KINDS},
            )
        )
    changes.sort(key=lambda change: (-abs(change.delta), change.golden_customer_id, change.currency))
    return movements, changes


def reporting_totals(
    movements: Iterable[CurrencyMovement], settings: MrrSettings
) -> tuple[dict[str, float], list[str]]:
    """The day's MRR and each movement in the reporting currency (`mrr`, `new`, ...), and the currencies left out
    for want of an exchange rate (named, so a total that is not whole says so)."""
    totals = dict.fromkeys(("mrr", *KINDS), 0.0)
    left_out = []
    for movement in movements:
        rate = settings.rate(movement.currency)
        if rate is None:
            if movement.mrr or movement.previous_mrr:
                left_out.append(movement.currency or "(no currency)")
            continue
        for name in totals:
            totals[name] += getattr(movement, name) * rate
    return {name: round(amount, 2) for name, amount in totals.items()}, left_out
