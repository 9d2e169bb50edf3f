"""Onboarding refreshes the won customer's 360 row at once (deal won, MRR), and only that row."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from customer_hub.automation.customer_refresh import refresh_customer_360
from customer_hub.automation.onboarding import OnboardingDeal
from customer_hub.store import engine_for
from customer_hub.store.schema import customer_360, customer_records, customer_xref, golden_customers

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RECORDS = {
    "hubspot:companies:42": {"company_name": "Acme Corp", "company_domain": "acme.test"},
    "hubspot:deals:7001": {"deal_name": "Acme - annual", "deal_stage": "contractsent", "amount": 9000.0},
    "stripe:subscriptions:sub_1": {"product": "Pro", "subscription_status": "active", "mrr": 750.0},
}


def _seed(engine) -> None:
    with engine.begin() as conn:
        for golden_id, name in (("GC-1", "Acme Corp"), ("GC-2", "Other Ltd")):
            conn.execute(
                insert(golden_customers).values(
                    golden_id=golden_id,
                    kind="customer",
                    status="active",
                    fields={"company_name": name},
                    field_sources={"company_name": "hubspot:companies:42"},
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        conn.execute(
            insert(customer_360).values(
                golden_customer_id="GC-2", name="Other Ltd", view={"mrr": 1.0, "untouched": True}, updated_at=NOW
            )
        )
        for record_id, attributes in RECORDS.items():
            tool, obj, source_id = record_id.split(":")
            conn.execute(
                insert(customer_records).values(
                    record_id=record_id, source_system=tool, source_object=obj, source_id=source_id,
                    attributes=attributes, source_updated_at=NOW,
                )
            )  # fmt: skip
            conn.execute(
                insert(customer_xref).values(
                    record_id=record_id, source_system=tool, source_object=obj, source_id=source_id,
                    golden_customer_id="GC-1", match_rule="shared_key", confidence=1.0, updated_at=NOW,
                )
            )  # fmt: skip


def _deal(deal_id: str = "7001", company_id: str | None = "42") -> OnboardingDeal:
    return OnboardingDeal(
        deal_id=deal_id,
        name="Acme - annual",
        amount=12000.0,
        company_id=company_id,
        company_name="Acme Corp",
        company_domain="acme.test",
        closed_at=NOW,
    )


def _views(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        return {row.golden_customer_id: row.view for row in conn.execute(select(customer_360))}


def test_the_won_customers_row_shows_the_deal_won_and_its_mrr(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    _seed(engine)

    refreshed = refresh_customer_360(engine, _deal(), now=NOW)

    views = _views(engine)
    assert refreshed == NOW
    assert views["GC-1"]["mrr"] == 750.0
    assert views["GC-1"]["deals"]["closed_won"] == [
        {"source_id": "7001", "name": "Acme - annual", "stage": "closedwon", "amount": 12000.0}
    ]
    assert views["GC-1"]["deals"]["open"] == []
    assert views["GC-2"] == {"mrr": 1.0, "untouched": True}


def test_a_deal_the_hub_has_not_landed_yet_is_found_through_its_company(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    _seed(engine)

    refresh_customer_360(engine, _deal(deal_id="7002"), now=NOW)

    won = _views(engine)["GC-1"]["deals"]["closed_won"]
    assert [deal["source_id"] for deal in won] == ["7002"]


def test_a_customer_unknown_to_the_hub_is_left_for_the_next_golden_refresh(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    _seed(engine)

    assert refresh_customer_360(engine, _deal(deal_id="9999", company_id="77"), now=NOW) is None
    assert set(_views(engine)) == {"GC-2"}
