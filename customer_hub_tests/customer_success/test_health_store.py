"""Health scores and their daily history in the hub store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from customer_hub.customer_health.scoring import Health, Signal
from customer_hub.store import customer_health_store
from customer_hub.store.schema import customer_xref, golden_customers, onboarding_flows

NOW = datetime(2026, 2, 1, 6, 15, tzinfo=UTC)
LATE = Signal("overdue_balance", 20, "QuickBooks: 1 invoice overdue")


def _scores(*bands: tuple[str, int, str]) -> list[Health]:
    return [
        Health(golden_id, f"Customer {golden_id}", score, band, (LATE,) if score < 100 else ())
        for golden_id, score, band in bands
    ]


def test_days_are_kept_and_the_band_before_is_known(hub_engine):
    day_one = _scores(("GC-1", 100, "healthy"), ("GC-2", 80, "healthy"))
    assert customer_health_store.previous_bands(hub_engine, "2026-02-01") == {}
    customer_health_store.save_scores(hub_engine, "2026-02-01", day_one, {}, NOW)
    day_two = _scores(("GC-1", 100, "healthy"), ("GC-2", 40, "at_risk"))
    previous = customer_health_store.previous_bands(hub_engine, "2026-02-02")
    assert previous == {"GC-1": "healthy", "GC-2": "healthy"}
    for hour in (0, 5):  # a re-run on the day replaces the day
        customer_health_store.save_scores(
            hub_engine, "2026-02-02", day_two, previous, NOW + timedelta(days=1, hours=hour)
        )

    [worst] = customer_health_store.latest_scores(hub_engine, band="at_risk")
    assert (worst["golden_customer_id"], worst["score"], worst["previous_band"]) == ("GC-2", 40, "healthy")
    assert worst["signals"] == [{"name": "overdue_balance", "points": 20, "reason": "QuickBooks: 1 invoice overdue"}]
    assert customer_health_store.scores_for(hub_engine, ["GC-2"])["GC-2"]["trend"] == [
        ("2026-02-01", 80),
        ("2026-02-02", 40),
    ]
    assert customer_health_store.band_counts_by_day(hub_engine, 7) == [
        {"day": "2026-02-01", "healthy": 2},
        {"day": "2026-02-02", "healthy": 1, "at_risk": 1},
    ]


def test_onboarding_flows_belong_to_the_customer_their_deal_lives_on(hub_engine):
    with hub_engine.begin() as conn:
        for golden_id, status, merged_into in (("GC-OLD", "merged", "GC-NEW"), ("GC-NEW", "active", None)):
            conn.execute(
                insert(golden_customers).values(
                    golden_id=golden_id, kind="customer", status=status, merged_into=merged_into, fields={},
                    field_sources={}, created_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip
        conn.execute(
            insert(customer_xref).values(
                record_id="hubspot:deals:77", source_system="hubspot", source_object="deals", source_id="77",
                golden_customer_id="GC-OLD", match_rule="test", confidence=1.0, updated_at=NOW,
            )
        )  # fmt: skip
        for deal_id in ("77", "78"):  # 78: a deal the hub has not linked yet
            conn.execute(insert(onboarding_flows).values(deal_id=deal_id, status="done", detected_at=NOW, attempts=1))
    flows = customer_health_store.onboarding_flows_by_customer(hub_engine)
    assert {golden_id: [flow["deal_id"] for flow in found] for golden_id, found in flows.items()} == {"GC-NEW": ["77"]}
