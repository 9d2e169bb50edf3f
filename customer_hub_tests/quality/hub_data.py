"""A small hand-made hub store: a few records per tool with known duplicates, gaps, failures and a rename."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert

from customer_hub.golden.records import resolution_input_row
from customer_hub.store.schema import (
    customer_360,
    customer_records,
    customer_xref,
    golden_customers,
    integration_health_log,
    landed_records,
    match_candidates,
    resolution_input,
    schema_snapshots,
)

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def land(
    engine: Engine,
    tool: str,
    obj: str,
    source_id: str,
    payload: dict[str, Any] | None = None,
    *,
    updated: datetime | None = None,
    first_seen: datetime | None = None,
    changed: datetime | None = None,
    deleted: bool = False,
) -> None:
    """One landed record (and its customer record) with the times that matter to latency."""
    first_seen = first_seen or NOW - timedelta(days=10)
    payload = payload or {"id": source_id}
    with engine.begin() as conn:
        conn.execute(
            insert(landed_records).values(
                tool=tool,
                object=obj,
                source_id=source_id,
                payload=payload,
                fields={},
                content_hash=source_id,
                source_updated_at=updated,
                first_seen_at=first_seen,
                last_seen_at=NOW,
                last_changed_at=changed or first_seen,
                deleted_at=NOW if deleted else None,
            )
        )


def record(
    engine: Engine, record_id: str, golden_customer: str, golden_person: str | None = None, **attributes: Any
) -> None:
    """A customer record, its matching input and its cross-reference row."""
    tool, obj, source_id = record_id.split(":", 2)
    row = {
        "record_id": record_id,
        "source_system": tool,
        "source_object": obj,
        "source_id": source_id,
        "attributes": {"record_id": record_id, **attributes},
    }
    with engine.begin() as conn:
        conn.execute(insert(customer_records).values(**row))
        conn.execute(insert(resolution_input).values(resolution_input_row({**row, "source_updated_at": None}, 1)))
        conn.execute(
            insert(customer_xref).values(
                record_id=record_id,
                source_system=tool,
                source_object=obj,
                source_id=source_id,
                golden_customer_id=golden_customer,
                golden_person_id=golden_person,
                match_rule="test",
                confidence=1.0,
                updated_at=NOW,
            )
        )


def golden(
    engine: Engine, golden_id: str, kind: str = "customer", updated: datetime | None = None, **fields: Any
) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(golden_customers).values(
                golden_id=golden_id,
                kind=kind,
                status="active",
                fields=fields,
                field_sources={},
                created_at=NOW - timedelta(days=10),
                updated_at=updated or NOW - timedelta(days=1),
            )
        )


def health(
    engine: Engine,
    what: str,
    status: str,
    at: datetime,
    tool: str | None = None,
    error: str | None = None,
    started: datetime | None = None,
) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(integration_health_log).values(
                started_at=started or at - timedelta(seconds=30),
                finished_at=at,
                what=what,
                trigger="schedule:test",
                tool=tool,
                status=status,
                error=error,
            )
        )


def view(engine: Engine, golden_id: str, name: str, email: str, **view: Any) -> None:
    """A customer 360 row; `view` holds the parts of the view a test needs (e.g. double_billing)."""
    with engine.begin() as conn:
        conn.execute(
            insert(customer_360).values(
                golden_customer_id=golden_id,
                name=name,
                email=email,
                view={"golden_customer_id": golden_id, **view},
                updated_at=NOW,
                double_billing=view.get("double_billing") or None,  # the column the hub keeps beside the view
            )
        )


def snapshot(engine: Engine, tool: str, obj: str, fields: list[str], at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(insert(schema_snapshots).values(tool=tool, object=obj, fields=sorted(fields), captured_at=at))


def candidate(engine: Engine, a: str, b: str, score: float, status: str = "open", **sides: dict) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(match_candidates).values(
                record_id_a=a,
                record_id_b=b,
                score=score,
                record_a=sides.get("record_a", {}),
                record_b=sides.get("record_b", {}),
                status=status,
                created_at=NOW,
            )
        )


def seed_hub(engine: Engine) -> None:
    """The scenario the metric tests assert on (see each test for the figure it expects)."""
    # Acme: two HubSpot contacts for one person (a within-tool duplicate), two Stripe customers for two people,
    # two subscriptions to one product (billed twice, as its 360 view says), and a Stripe invoice.
    golden(engine, "GC1", email="jane@acme.com", company_name="Acme", phone="+4420")
    golden(engine, "GC2", email="bob@beta.io", company_name="Beta", phone="+4421")
    golden(engine, "GC3", email="carol@gamma.org", company_name="Gamma", phone=None)
    golden(engine, "GC4", email=None, company_name=None, phone=None)
    golden(engine, "GP1", kind="person", email="jane@acme.com")
    for sid in ("101", "102"):
        land(engine, "hubspot", "contacts", sid)
        record(
            engine,
            f"hubspot:contacts:{sid}",
            "GC1",
            "GP1",
            email="jane@acme.com",
            company_name="Acme",
            phone="+4420",
            full_name="Jane Roe",
        )
    land(engine, "hubspot", "contacts", "103")
    record(engine, "hubspot:contacts:103", "GC2", "GP2", email="bob@beta.io", company_name="Beta", phone=None)
    land(engine, "hubspot", "contacts", "104", deleted=True)
    land(engine, "stripe", "customers", "cus_1")
    record(engine, "stripe:customers:cus_1", "GC1", "GP1", email="jane@acme.com")
    land(engine, "stripe", "customers", "cus_2")
    record(engine, "stripe:customers:cus_2", "GC1", "GP3", email="billing@acme.com")
    for sid in ("sub_1", "sub_2"):
        land(engine, "stripe", "subscriptions", sid)
        record(engine, f"stripe:subscriptions:{sid}", "GC1", is_account_only=True)
    double_billing = [
        {
            "product": "prod_PRO",
            "product_name": "Pro plan",
            "subscriptions": ["sub_1", "sub_2"],
            "records": ["stripe:subscriptions:sub_1", "stripe:subscriptions:sub_2"],
            "items": [
                {"source_id": "sub_1", "mrr": 49.0, "currency": "USD", "started_at": "2024-01-10T09:00:00+00:00"},
                {"source_id": "sub_2", "mrr": 49.0, "currency": "USD", "started_at": "2024-11-02T09:00:00+00:00"},
            ],
            "mrr": 98.0,
            "since": "2024-11-02T09:00:00+00:00",
        }
    ]
    view(engine, "GC1", "Acme", "jane@acme.com", active_subscriptions=2, double_billing=double_billing)
    view(engine, "GC2", "Beta", "bob@beta.io", double_billing=[])
    land(engine, "stripe", "invoices", "in_1")
    record(engine, "stripe:invoices:in_1", "GC1", is_account_only=True)
    # An invoice in QuickBooks for a customer nobody else knows: unmatched.
    land(engine, "quickbooks", "invoices", "9001")
    record(
        engine,
        "quickbooks:invoices:9001",
        "GC4",
        company_name="Delta Ltd",
        email="ap@delta.example",
        is_account_only=True,
    )
    candidate(
        engine,
        "hubspot:contacts:103",
        "intercom:contacts:ic_7",
        0.91,
        record_a={"email": "bob@beta.io"},
        record_b={"email": "bob.b@beta.io"},
    )
    candidate(engine, "hubspot:contacts:101", "intercom:contacts:ic_8", 0.88, status="decided")
    # Stripe failed for an hour (failure at -3h, success at -2h): 60 of 1440 minutes down, 1 of 2 runs failed.
    health(engine, "stripe_customers", "failure", NOW - timedelta(hours=3), tool="stripe", error="ToolError: 503")
    health(engine, "stripe_customers", "success", NOW - timedelta(hours=2), tool="stripe")
    health(engine, "hubspot_contacts", "success", NOW - timedelta(hours=1), tool="hubspot")
