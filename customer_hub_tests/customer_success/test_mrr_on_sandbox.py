"""MRR over time on the sandbox's customers: the baseline snapshot, and the onboarding flow's refresh feeding the
next one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from customer_hub.automation.customer_refresh import refresh_customer_360
from customer_hub.automation.onboarding import OnboardingDeal
from customer_hub.lookup import lookup
from customer_hub.mrr.build import snapshot_mrr
from customer_hub.mrr.summary import mrr_summary
from customer_hub.store.golden_store import all_360
from customer_hub.store.schema import customer_records

from .conftest import NOW


def test_the_first_snapshot_is_the_baseline_of_customer_360s_mrr(hub, config):
    views = list(all_360(hub))
    snapshot = snapshot_mrr(hub, config, NOW)
    assert snapshot.previous_at is None and snapshot.changes == []
    [usd] = snapshot.currencies  # the sandbox bills in dollars only
    assert usd.currency == "USD"
    assert usd.mrr == snapshot.totals["mrr"] == round(sum(view["mrr"] for view in views), 2) > 0
    assert usd.customers == snapshot.paying_customers == sum(view["mrr"] > 0 for view in views)
    assert (usd.new, usd.expansion, usd.contraction, usd.churned) == (0.0, 0.0, 0.0, 0.0)


def test_onboardings_refresh_of_customer_360_feeds_the_next_snapshot(hub, config):
    first = snapshot_mrr(hub, config, NOW)
    [acme] = lookup(hub, "acme.com")
    duplicate = acme["double_billing"][0]["records"][1]
    with hub.begin() as conn:  # Stripe's cancellation of the duplicate subscription, as its sync lands it
        attributes = conn.execute(
            select(customer_records.c.attributes).where(customer_records.c.record_id == duplicate)
        ).scalar_one()
        conn.execute(
            update(customer_records)
            .where(customer_records.c.record_id == duplicate)
            .values(attributes={**attributes, "subscription_status": "canceled", "mrr": 0.0})
        )
    won = acme["deals"]["closed_won"][0]
    deal = OnboardingDeal(won["source_id"], won["name"], won["amount"], None, "Acme Corp.", "acme.com", NOW)
    assert refresh_customer_360(hub, deal, NOW + timedelta(minutes=5))  # the onboarding flow's last step

    second = snapshot_mrr(hub, config, NOW + timedelta(minutes=10))
    assert second.previous_at == first.measured_at
    [change] = second.changes
    assert (change.golden_customer_id, change.kind, change.delta) == (
        acme["golden_customer_id"],
        "contraction",
        -4975.0,
    )
    [usd] = second.currencies
    assert (usd.previous_mrr, usd.contraction, usd.mrr) == (first.totals["mrr"], -4975.0, first.totals["mrr"] - 4975)
    assert usd.previous_mrr + usd.new + usd.expansion + usd.contraction + usd.churned == usd.mrr
    assert second.names == {acme["golden_customer_id"]: "Acme Corp."}

    summary = mrr_summary(hub)
    assert f"2026-01-02 USD: MRR {usd.mrr:,.2f} from {usd.customers} customers" in summary
    assert "contraction -4,975.00, churned +0.00 (2 snapshots)" in summary
