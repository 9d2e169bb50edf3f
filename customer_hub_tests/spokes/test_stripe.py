"""Stripe: mapping of Stripe's own example objects, and reads against the sandbox (contract-checked requests)."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from customer_hub.spokes.stripe import (
    customer_to_canonical,
    invoice_to_canonical,
    monthly_amount,
    pinned_shape,
    subscription_to_canonical,
)
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for
from customer_hub.store.landing import landed, write_cursor
from customer_hub_tests.spokes.conftest import connector_for, sandbox_admin, spec_errors

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "specs" / "stripe" / "fixtures3.HEAD-f6c2a48.json"


@pytest.fixture(scope="module")
def stripe_examples() -> dict:
    if not FIXTURES.exists():
        pytest.skip(f"Stripe's fixtures file is not at {FIXTURES}")
    return json.loads(FIXTURES.read_text())["resources"]


def test_customer_maps_identity_keys_and_payment_method(stripe_examples):
    customer = copy.deepcopy(stripe_examples["customer"])
    customer.update(name="Acme Ltd", email="billing@acme.example", phone="+44 20 7946 0000")
    customer["address"].update(line1="1 High St", city="London", postal_code="EC1A 1BB", country="GB")
    customer["metadata"] = {"hubspot_company_id": "5001"}
    customer["invoice_settings"]["default_payment_method"] = stripe_examples["payment_method"]  # visa, 4242

    fields = customer_to_canonical(customer)

    assert fields["company_name"] == "Acme Ltd" and fields["email"] == "billing@acme.example"
    assert (fields["street"], fields["city"], fields["postcode"], fields["country"]) == (
        "1 High St",
        "London",
        "EC1A 1BB",
        "GB",
    )
    assert fields["shared_keys"] == f"stripe_customer:{customer['id']};hubspot_company:5001"
    assert fields["payment_method"] == "visa •••• 4242"


def test_customer_without_metadata_links_only_by_its_own_id(stripe_examples):
    customer = copy.deepcopy(stripe_examples["customer"])
    customer["invoice_settings"]["default_payment_method"] = "pm_123"

    fields = customer_to_canonical(customer)

    assert fields["shared_keys"] == f"stripe_customer:{customer['id']}"
    assert fields["payment_method"] is None and fields["email"] is None  # an id alone tells a person nothing


def test_subscription_mrr_is_monthly_in_major_units(stripe_examples):
    subscription = copy.deepcopy(stripe_examples["subscription"])  # one item: 20.00 USD per month, quantity 1

    fields = subscription_to_canonical(subscription)

    assert fields["is_account_only"] is True
    assert fields["mrr"] == 20.0 and fields["subscription_status"] == "active"
    assert fields["plan_interval"] == "month" and fields["product_id"] == "prod_QXg1hqf4jFNsqG"
    assert fields["shared_keys"] == "stripe_customer:cus_QXg1o8vcGmoR32"
    assert fields["next_billing_date"] is not None  # newer API versions keep the period end on the item


@pytest.mark.parametrize(
    ("interval", "count", "quantity", "expected"),
    [("year", 1, 1, 100.0), ("month", 3, 2, 800.0), ("week", 1, 1, 5200.0), ("month", 1, 5, 6000.0)],
)
def test_monthly_amount_normalises_interval_and_quantity(interval, count, quantity, expected):
    subscription = {
        "items": {
            "data": [
                {
                    "quantity": quantity,
                    "price": {
                        "unit_amount": 120000,
                        "currency": "usd",
                        "recurring": {"interval": interval, "interval_count": count},
                    },
                }
            ]
        }
    }
    assert monthly_amount(subscription) == expected


def test_cancelled_subscription_brings_no_mrr(stripe_examples):
    subscription = copy.deepcopy(stripe_examples["subscription"])
    subscription["status"] = "canceled"

    fields = subscription_to_canonical(subscription)

    assert fields["mrr"] == 0.0 and fields["monthly_amount"] == 20.0 and fields["next_billing_date"] is None


def test_invoice_maps_amounts_and_due_date(stripe_examples):
    fields = invoice_to_canonical(stripe_examples["invoice"])

    assert (fields["amount_due"], fields["amount_paid"], fields["currency"]) == (10.0, 0.0, "usd")
    assert fields["invoice_status"] == "draft" and fields["due_date"] == "2009-02-13"
    assert fields["is_account_only"] is True and fields["shared_keys"] == "stripe_customer:cus_QXg1o8vcGmoR32"


def test_invoice_in_the_current_api_version_names_its_subscription_under_parent(stripe_examples):
    invoice = copy.deepcopy(stripe_examples["invoice"])  # Stripe's current shape: `parent.subscription_details`
    invoice["parent"]["subscription_details"]["subscription"] = "sub_42"
    invoice.pop("subscription", None)

    assert invoice_to_canonical(invoice)["subscription_id"] == "sub_42"
    assert pinned_shape(invoice)["subscription"] == "sub_42"


# --- against the sandbox ---------------------------------------------------------------------------------------


def test_full_and_incremental_reads_send_only_documented_requests(sandbox, sqlite_url, request_log):
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "stripe", engine)
    request_log.attach(connector)
    for obj in connector.objects:
        sync_stream(engine, connector, obj)
    changed = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.01, "tools": ["stripe"]})["stripe"]
    results = {obj: sync_stream(engine, connector, obj) for obj in connector.objects}

    assert spec_errors("stripe", request_log.exchanges) == []
    assert {obj: (r.mode_used, r.fetched) for obj, r in results.items()} == {
        obj: ("incremental", len(ids)) for obj, ids in changed.items()
    }
    subscriptions = [r for r in request_log.exchanges if r.request.path_url.startswith("/stripe/v1/subscriptions")]
    assert all("status=all" in r.request.path_url for r in subscriptions)  # cancelled subscriptions are kept


def test_subscriptions_land_with_their_products_name_each_product_read_once(sandbox, sqlite_url, request_log):
    """A subscription names its product by id only; the hub reads each product once and lands its name, on full and
    incremental (event) reads alike, so a report can say "Pro" where Stripe says prod_..."""
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "stripe", engine)
    request_log.attach(connector)
    sync_stream(engine, connector, "subscriptions", mode="full")
    changed = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.02, "tools": ["stripe"]})["stripe"]
    incremental = sync_stream(engine, connector, "subscriptions")

    names = {product["id"]: product["name"] for product, _ in sandbox.state.extras["stripe_catalogue"]}
    landed_subscriptions = {row["source_id"]: row["fields"] for row in landed(engine, "stripe", "subscriptions")}
    assert incremental.mode_used == "incremental" and changed["subscriptions"]
    assert {fields["product_name"] for fields in landed_subscriptions.values()} <= set(names.values())
    assert all(
        fields["product_name"] == names[fields["product_id"]] and fields["started_at"]
        for fields in landed_subscriptions.values()
    )
    product_reads = [r for r in request_log.exchanges if r.request.path_url.startswith("/stripe/v1/products/")]
    assert len(product_reads) == len({r.request.path_url for r in product_reads}) <= len(names)
    assert spec_errors("stripe", request_log.exchanges) == []


def test_deletion_events_mark_records_and_cancellations_update_them(sandbox, sqlite_url):
    from customer_hub.sandbox.mutation import emit_stripe_event

    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "stripe", engine)
    sync_stream(engine, connector, "customers")
    sync_stream(engine, connector, "subscriptions")
    customer = next(iter(sandbox.state.stream("stripe", "customers")))
    active = next(s for s in sandbox.state.stream("stripe", "subscriptions") if s["status"] == "active")
    subscription = {**active, "status": "canceled"}
    with sandbox.state.lock:
        emit_stripe_event(sandbox.state, "customer.deleted", {**customer, "deleted": True})
        emit_stripe_event(sandbox.state, "customer.subscription.deleted", subscription)

    customers = sync_stream(engine, connector, "customers")
    subscriptions = sync_stream(engine, connector, "subscriptions")

    assert customers.marked_deleted == 1
    assert customer["id"] not in {row["source_id"] for row in landed(engine, "stripe", "customers")}
    assert subscriptions.marked_deleted == 0 and subscriptions.updated == 1
    row = next(r for r in landed(engine, "stripe", "subscriptions") if r["source_id"] == subscription["id"])
    assert row["fields"]["subscription_status"] == "canceled" and row["fields"]["mrr"] == 0.0


def test_a_cursor_older_than_event_retention_reads_in_full(sandbox, sqlite_url, caplog):
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "stripe", engine)
    sync_stream(engine, connector, "invoices")
    with engine.begin() as conn:
        stale = str(int((datetime.now(UTC) - timedelta(days=31)).timestamp()))
        write_cursor(conn, "stripe", "invoices", stale, full=False, now=datetime.now(UTC))

    with caplog.at_level(logging.WARNING, logger="customer_hub.spokes.stripe"):
        result = sync_stream(engine, connector, "invoices")

    assert result.mode_used == "full" and result.unchanged == result.landed_count
    assert any("30-day event retention" in record.getMessage() for record in caplog.records)


def test_requests_are_spaced_to_the_configured_rate_without_429s(sandbox, sqlite_url):
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "stripe", engine, settings={"requests_per_second": 4})
    sandbox_admin(sandbox, "POST", "faults", {"rate_limits": {"stripe": 4}})
    try:
        result = sync_stream(engine, connector, "subscriptions")
    finally:
        sandbox_admin(sandbox, "DELETE", "faults")

    assert result.landed_count == len(sandbox.state.stream("stripe", "subscriptions"))
    assert "429" not in connector.client.stats.by_status and result.retries == 0


class _StubAt:
    """Points `connector_for` at a stub server instead of the sandbox."""

    def __init__(self, url: str) -> None:
        self.url = url

    def base_url(self, tool: str) -> str:
        return self.url


def test_a_list_that_keeps_serving_the_same_page_fails_instead_of_paging_forever(stub, tmp_path):
    from customer_hub.spokes.http import ToolResponseError
    from customer_hub.store.landing import read_cursor

    stub.queue(200, {"object": "list", "data": [], "has_more": False})  # newest event: none
    stub.queue(200, {"object": "list", "data": [{"id": "cus_1", "object": "customer"}], "has_more": True}, times=50)
    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")

    with pytest.raises(ToolResponseError, match="repeats the one just sent"):
        sync_stream(engine, connector_for(_StubAt(stub.url), "stripe", engine), "customers", mode="full")
    assert len(stub.requests) == 3  # the event probe and two list pages, then it stops
    assert read_cursor(engine, "stripe", "customers") is None  # a failed read never moves the cursor
    assert [row["source_id"] for row in landed(engine, "stripe")] == ["cus_1"]


def test_incremental_reads_keep_invoice_subscriptions_though_events_use_the_account_api_version(sandbox, sqlite_url):
    """Events render objects in the account's (2025-03-31+) version, where an invoice's subscription moved under
    `parent` and a subscription's period onto its items; the hub must still know which subscription each changed
    invoice bills and when each subscription bills next, and a later full read must find nothing changed."""
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "stripe", engine)
    for obj in ("subscriptions", "invoices"):
        sync_stream(engine, connector, obj)
    changed = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.02, "tools": ["stripe"]})["stripe"]

    incremental = {obj: sync_stream(engine, connector, obj) for obj in ("subscriptions", "invoices")}
    full = {obj: sync_stream(engine, connector, obj, mode="full") for obj in ("subscriptions", "invoices")}

    assert {r.mode_used for r in incremental.values()} == {"incremental"}
    source = sandbox.state.stream("stripe", "invoices")
    billed = [i for i in changed["invoices"] if source.records[i]["subscription"]]
    landed_invoices = {row["source_id"]: row["fields"] for row in landed(engine, "stripe", "invoices")}
    assert billed and {i: landed_invoices[i]["subscription_id"] for i in billed} == {
        i: source.records[i]["subscription"] for i in billed
    }
    landed_subscriptions = {row["source_id"]: row["fields"] for row in landed(engine, "stripe", "subscriptions")}
    active = [s for s in changed["subscriptions"] if landed_subscriptions[s]["subscription_status"] == "active"]
    assert active and all(landed_subscriptions[s]["next_billing_date"] for s in active)
    assert full["invoices"].updated == 0  # (an earlier test's hand-made cancellation event leaves a subscription)
    assert not any(r.schema_changed for r in [*incremental.values(), *full.values()])


def test_reconciliation_counts_what_stripe_lists_so_parity_is_real(sandbox, sqlite_url):
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "stripe", engine)
    first = sync_stream(engine, connector, "customers")  # a full read counts what it listed
    assert sync_stream(engine, connector, "customers").reported_count is None  # incremental: Stripe has no totals

    reconciled = sync_stream(engine, connector, "customers", mode="reconcile")

    assert connector.count("customers") is None
    tool_count = sandbox_admin(sandbox, "GET", "counts")["stripe"]["customers"]
    assert first.reported_count == reconciled.reported_count == reconciled.landed_count == tool_count


def test_payment_methods_land_as_brand_and_last_digits_from_full_and_incremental_reads(sandbox, sqlite_url):
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "stripe", engine)
    sync_stream(engine, connector, "customers")
    changed = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.05, "tools": ["stripe"]})["stripe"]["customers"]
    incremental = sync_stream(engine, connector, "customers")
    full = sync_stream(engine, connector, "customers", mode="full")

    methods = sandbox.state.extras["stripe_payment_methods"]
    customers = sandbox.state.stream("stripe", "customers").records
    expected = {
        cid: f"{methods[pm]['card']['brand']} •••• {methods[pm]['card']['last4']}"
        for cid, customer in customers.items()
        if (pm := customer["invoice_settings"]["default_payment_method"])
    }
    hub = {row["source_id"]: row["fields"]["payment_method"] for row in landed(engine, "stripe", "customers")}
    assert {cid: hub[cid] for cid in expected} == expected
    assert any(cid in expected for cid in changed) and incremental.updated >= len(changed)
    assert full.updated == 0 and not full.schema_changed  # events' customers were expanded like the list's


def test_an_empty_page_that_says_has_more_fails_instead_of_passing_for_the_end(stub, tmp_path):
    from customer_hub.spokes.http import ToolResponseError

    stub.queue(200, {"object": "list", "data": [], "has_more": False})  # newest event: none
    stub.queue(200, {"object": "list", "data": [{"id": "cus_1", "object": "customer"}], "has_more": True})
    stub.queue(200, {"object": "list", "data": [], "has_more": True})
    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")

    with pytest.raises(ToolResponseError, match="empty page says has_more"):
        sync_stream(engine, connector_for(_StubAt(stub.url), "stripe", engine), "customers", mode="full")
