"""The last step of onboarding: the won customer's row in customer_360, rebuilt now rather than at the next sync.

Only that customer's row is rebuilt, with the golden layer's own `customer_view` (so MRR, deals and balances mean
exactly what they mean everywhere else) and the deal as HubSpot reports it now (closed-won, its amount) laid over
the landed copy, which may predate the close. The next sync and golden refresh rebuild the row from landed data
and agree with it. A deal whose company the hub has never synced has no golden customer yet: nothing is
refreshed and the golden refresh after the next HubSpot sync adds the customer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from customer_hub.automation.onboarding import CLOSED_WON_STAGE, OnboardingDeal
from customer_hub.golden.records import record_id
from customer_hub.golden.view360 import customer_view, view_row
from customer_hub.store import golden_store, onboarding_store


def golden_customer_of(engine: Engine, deal: OnboardingDeal) -> str | None:
    """The active golden customer the deal, or else its company, is linked to."""
    candidates = [record_id("hubspot", "deals", deal.deal_id)]
    if deal.company_id:
        candidates.append(record_id("hubspot", "companies", deal.company_id))
    for candidate in candidates:
        for golden_id in golden_store.golden_ids_for_record(engine, candidate):
            active = golden_store.resolve_merged(engine, golden_id)
            if active:
                return active
    return None


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **(row["attributes"] or {}),
        "record_id": row["record_id"],
        "source_system": row["source_system"],
        "source_object": row["source_object"],
        "source_id": row["source_id"],
        "source_updated_at": row["source_updated_at"],
    }


def _with_won_deal(records: list[dict[str, Any]], deal: OnboardingDeal) -> list[dict[str, Any]]:
    deal_record_id = record_id("hubspot", "deals", deal.deal_id)
    won = {"deal_stage": CLOSED_WON_STAGE, "amount": deal.amount, "deal_name": deal.name}
    if any(record["record_id"] == deal_record_id for record in records):
        return [{**record, **won} if record["record_id"] == deal_record_id else record for record in records]
    landed_later = {
        "record_id": deal_record_id,
        "source_system": "hubspot",
        "source_object": "deals",
        "source_id": deal.deal_id,
        "source_updated_at": deal.closed_at,
        **won,
    }
    return [*records, landed_later]


def refresh_customer_360(engine: Engine, deal: OnboardingDeal, now: datetime | None = None) -> datetime | None:
    """Rebuild the deal's customer's 360 row; returns when, or None when the hub has no customer for it yet."""
    golden_id = golden_customer_of(engine, deal)
    snapshot = onboarding_store.customer_snapshot(engine, golden_id) if golden_id else None
    if snapshot is None:
        return None
    now = now or datetime.now(UTC)
    records = _with_won_deal([_flat(row) for row in snapshot["records"]], deal)
    view = customer_view(
        snapshot["golden"], records, snapshot["xref"], snapshot["persons"], snapshot["history"], today=now.date()
    )
    onboarding_store.upsert_360_row(engine, view_row(view, now))
    return now
