"""The 360 view's business rules: what counts as MRR, double billing, unpaid invoices and open conversations."""

from __future__ import annotations

from datetime import UTC, date, datetime

from customer_hub.golden.double_billing import describe_double_billing, double_billed
from customer_hub.golden.view360 import customer_view, number, subscriptions_of


def _record(tool: str, obj: str, source_id: str, **attributes) -> dict:
    return {
        "record_id": f"{tool}:{obj}:{source_id}",
        "source_system": tool,
        "source_object": obj,
        "source_id": source_id,
        "source_updated_at": attributes.pop("updated", datetime(2026, 11, 1, tzinfo=UTC)),
        **attributes,
    }


def _xref(record: dict, rule: str = "shared_key", confidence: float = 1.0) -> dict:
    return {
        "record_id": record["record_id"],
        "source_system": record["source_system"],
        "source_object": record["source_object"],
        "source_id": record["source_id"],
        "match_rule": rule,
        "confidence": confidence,
        "linked_to": None,
    }


ACME = {
    "golden_id": "GC-000001",
    "fields": {"company_name": "Acme Corporation", "company_domain": "acme.com", "email": "wile.coyote@acme.com"},
    "field_sources": {
        "company_name": "hubspot:companies:1",
        "company_domain": "hubspot:companies:1",
        "email": "hubspot:contacts:11",
    },
}

RECORDS = [
    _record("hubspot", "companies", "1", company_name="Acme Corporation"),
    _record(
        "stripe",
        "subscriptions",
        "sub_2",
        subscription_status="active",
        mrr="499",
        product="Growth",
        currency="usd",
        product_name="Growth plan",
        started_at="2026-09-14T08:00:00+00:00",
    ),
    _record(
        "stripe",
        "subscriptions",
        "sub_1",
        subscription_status="active",
        mrr=499.0,
        product="Growth",
        currency="usd",
        product_name="Growth plan",
        started_at="2025-02-01T08:00:00+00:00",
    ),
    _record("stripe", "subscriptions", "sub_3", subscription_status="canceled", mrr=99.0, product="Starter"),
    _record("quickbooks", "customers", "58", balance=1500.0),
    _record("quickbooks", "invoices", "130", balance=1000.0, total_amount=1000.0, due_date="2026-10-01"),
    _record("quickbooks", "invoices", "131", balance=500.0, total_amount=800.0, due_date="2026-12-31"),
    _record("quickbooks", "invoices", "132", balance=0.0, total_amount=400.0, due_date="2026-09-01"),
    _record(
        "stripe",
        "invoices",
        "in_1",
        invoice_status="open",
        amount_remaining=998.0,
        created_at="2026-11-15T08:00:00+00:00",
    ),
    _record("stripe", "invoices", "in_2", invoice_status="paid", amount_remaining=0.0),
    _record(
        "intercom",
        "conversations",
        "c1",
        state="open",
        last_conversation_at="2026-11-20T10:00:00+00:00",
        created_at="2026-11-10T09:00:00+00:00",
    ),
    _record("intercom", "conversations", "c2", state="closed", last_conversation_at="2026-11-02T10:00:00+00:00"),
    _record("intercom", "conversations", "c3", state="snoozed", last_conversation_at="2026-10-02T10:00:00+00:00"),
    _record("sheets", "implementations", "acme", implementation_status="In progress", go_live_date="15 Dec 2026"),
    _record("hubspot", "deals", "d1", deal_stage="closedwon", amount=12000, deal_name="Acme renewal"),
    _record("hubspot", "deals", "d2", deal_stage="presentationscheduled", amount="3000.5", deal_name="Acme add-on"),
    _record("hubspot", "deals", "d3", deal_stage="closedlost", amount=5000, deal_name="Acme lost"),
    _record("asana", "projects", "p1", project_name="Acme onboarding", updated=datetime(2026, 11, 21, tzinfo=UTC)),
]


def _view() -> dict:
    return customer_view(ACME, RECORDS, [_xref(r) for r in RECORDS], today=date(2026, 11, 22))


def test_mrr_counts_only_billing_subscriptions_and_double_billing_is_flagged():
    view = _view()
    assert view["mrr"] == 998.0
    assert view["active_subscriptions"] == 2
    assert view["double_billing"] == [
        {
            "product": "Growth",
            "product_name": "Growth plan",
            "subscriptions": ["sub_1", "sub_2"],  # oldest first
            "records": ["stripe:subscriptions:sub_1", "stripe:subscriptions:sub_2"],
            "items": [
                {
                    "source_id": "sub_1",
                    "record_id": "stripe:subscriptions:sub_1",
                    "mrr": 499.0,
                    "currency": "USD",
                    "started_at": "2025-02-01T08:00:00+00:00",
                    "status": "active",
                },
                {
                    "source_id": "sub_2",
                    "record_id": "stripe:subscriptions:sub_2",
                    "mrr": 499.0,
                    "currency": "USD",
                    "started_at": "2026-09-14T08:00:00+00:00",
                    "status": "active",
                },
            ],  # fmt: skip
            "mrr": 998.0,
            "since": "2026-09-14T08:00:00+00:00",  # the second subscription's start: when the double billing began
        }
    ]
    assert describe_double_billing(view["double_billing"][0]) == (
        "Growth plan billed 2 times since 2026-09-14: sub_1 499.00 USD/month (from 2025-02-01), "
        "sub_2 499.00 USD/month (from 2026-09-14)"
    )


def test_one_subscription_per_product_is_not_double_billing():
    subs = subscriptions_of(
        [
            _record("stripe", "subscriptions", "a", subscription_status="active", mrr=10, product="Growth"),
            _record("stripe", "subscriptions", "b", subscription_status="active", mrr=10, product="Starter"),
            _record("stripe", "subscriptions", "c", subscription_status="canceled", mrr=10, product="Growth"),
            _record("stripe", "subscriptions", "d", subscription_status="incomplete_expired", product_id="Growth"),
        ]
    )
    assert double_billed(subs) == []


def test_free_subscriptions_are_not_double_billing_and_currencies_stay_apart():
    sub = "subscriptions"
    records = [
        _record("stripe", sub, "f1", subscription_status="active", mrr=0.0, product="Free"),
        _record("stripe", sub, "f2", subscription_status="active", mrr="0", product="Free"),
        _record("stripe", sub, "u1", subscription_status="past_due", mrr=100, product="Pro", currency="usd"),
        _record("stripe", sub, "e1", subscription_status="trialing", mrr=90, product="Pro", currency="eur"),
        _record("stripe", sub, "e2", subscription_status="canceled", mrr=90, product="Max", currency="eur"),
    ]
    view = customer_view(ACME, records, [_xref(r) for r in records], today=date(2026, 11, 22))
    assert view["mrr_by_currency"] == {"EUR": 90.0, "USD": 100.0}
    assert view["active_subscriptions"] == 4
    assert [problem["product"] for problem in view["double_billing"]] == ["Pro"]
    assert view["double_billing"][0]["subscriptions"] == ["e1", "u1"]


def test_unpaid_invoices_balance_and_overdue():
    accounting = _view()["accounting"]
    assert accounting["balance"] == 1500.0
    assert accounting["unpaid_invoices"] == 2
    assert accounting["unpaid_total"] == 1500.0
    assert accounting["overdue_invoices"] == 1
    assert (accounting["stripe_open_invoices"], accounting["stripe_open_total"]) == (1, 998.0)
    assert accounting["stripe_open_since"] == "2026-11-15T08:00:00+00:00"  # owed since: what customer health ages


def test_support_deals_projects_and_implementation():
    view = _view()
    assert view["support"]["open_conversations"] == 1
    assert view["support"]["last_conversation_at"] == "2026-11-20T10:00:00+00:00"
    assert [deal["source_id"] for deal in view["deals"]["open"]] == ["d2"]
    assert view["deals"]["open_amount"] == 3000.5
    assert view["deals"]["closed_won_amount"] == 12000.0
    assert view["projects"][0]["name"] == "Acme onboarding"
    assert view["support"]["open_since"] == "2026-11-10T09:00:00+00:00"
    assert view["implementation_status"] == {"value": "In progress", "source": "sheets", "go_live_date": "15 Dec 2026"}
    assert view["last_activity_at"] == "2026-11-21T00:00:00+00:00"


def test_fields_name_their_tool_and_sources_list_every_record():
    view = _view()
    assert view["name"] == "Acme Corporation"
    assert view["domain"] == "acme.com"
    assert view["fields"]["email"] == {
        "value": "wile.coyote@acme.com",
        "source": "hubspot",
        "record": "hubspot:contacts:11",
    }
    assert len(view["sources"]["quickbooks"]) == 4
    assert view["record_count"] == len(RECORDS)


def test_number_reads_what_tools_store():
    assert number("12.5") == 12.5
    assert number(None) is None
    assert number("n/a") is None
    assert number(float("nan")) is None
    assert number(True) is None


def test_domain_comes_from_the_company_or_a_work_email_never_a_mailbox_provider():
    def domain(**fields) -> str | None:
        return customer_view({"golden_id": "G", "fields": fields, "field_sources": {}}, [], [])["domain"]

    assert domain(company_domain="https://www.Acme.com/about", email="wile@gmail.com") == "acme.com"
    assert domain(email="Wile@Acme.com") == "acme.com"
    assert domain(email="wile@gmail.com") is None
    view = customer_view({"golden_id": "G", "fields": {"email": "w@yahoo.co.uk"}, "field_sources": {}}, [], [],
                         free_mail_domains={"yahoo.co.uk"})  # fmt: skip
    assert view["domain"] is None
