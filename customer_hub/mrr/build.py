"""The MRR snapshot: every paying customer's MRR from customer_360, compared with the previous snapshot.

customer_360 is where MRR is defined (billing Stripe subscriptions, per currency), and the closed-won onboarding
flow refreshes the won customer's row there as its last step; reading MRR from it means the snapshot after an
onboarding run includes that customer, and that MRR means the same here as in `customer-hub lookup`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from customer_hub.config import HubConfig
from customer_hub.mrr.movements import (
    CurrencyMovement,
    CustomerChange,
    carried_over,
    customer_mrr,
    mrr_movements,
    reporting_totals,
)
from customer_hub.mrr.settings import mrr_settings
from customer_hub.store import mrr_store
from customer_hub.store.golden_store import all_360, merged_ids


@dataclass(frozen=True)
class MrrSnapshot:
    """One snapshot's MRR: per currency with its movements, the totals in the reporting currency, and who moved."""

    measured_at: datetime
    previous_at: datetime | None
    currencies: list[CurrencyMovement]
    changes: list[CustomerChange]
    totals: dict[str, float]
    """MRR and each movement (`mrr`, `new`, `expansion`, `contraction`, `churned`) in `total_currency`."""
    total_currency: str
    left_out: list[str]
    paying_customers: int
    names: dict[str, str]
    """Names of the customers in `changes`."""


def snapshot_mrr(engine: Engine, config: HubConfig, now: datetime | None = None) -> MrrSnapshot:
    """Take a snapshot from customer_360 as of `now`, save it with its movements since the previous one, return it."""
    now = now or datetime.now(UTC)
    settings = mrr_settings(config.mrr)
    views = list(all_360(engine))
    current = customer_mrr(views)
    previous_at, previous = mrr_store.previous_snapshot(engine)
    # the first snapshot is the baseline: without an earlier one there is nothing to have moved from
    base = carried_over(previous, merged_ids(engine)) if previous_at else current
    currencies, changes = mrr_movements(base, current)
    mrr_store.save_snapshot(engine, now, previous_at, current, [movement.as_row() for movement in currencies])
    totals, left_out = reporting_totals(currencies, settings)
    moved = {change.golden_customer_id for change in changes}
    return MrrSnapshot(
        measured_at=now,
        previous_at=previous_at,
        currencies=currencies,
        changes=changes,
        totals=totals,
        total_currency=settings.currency,
        left_out=left_out,
        paying_customers=len({golden_id for golden_id, _ in current}),
        names={
            view["golden_customer_id"]: view.get("name") or view["golden_customer_id"]
            for view in views
            if view["golden_customer_id"] in moved
        },
    )
