"""A vendor renaming a field must not wipe canonical values: the sync quarantines the field, holds the last good
values, lands the raw payload, fails a blocking check, and recovers when a person accepts the new mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from customer_hub.quality.quarantine import accept_new_mapping, quarantine_check
from customer_hub.spokes.field_guard import MIN_RECORDS, apply_renames, emptied_fields, hold
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for, quarantine_store
from customer_hub.store.landing import landed
from customer_hub_tests.spokes.conftest import connector_for, sandbox_admin

NOW = datetime(2025, 6, 1, tzinfo=UTC)
PERIOD_END_RENAMED = {"stripe": {"schema_drift": {"rename": {"current_period_end": "period_end"}}}}


@pytest.fixture(autouse=True)
def _faults_off(sandbox):
    yield
    sandbox_admin(sandbox, "DELETE", "faults")


def _emails(engine) -> dict[str, str | None]:
    return {row["source_id"]: row["fields"]["email"] for row in landed(engine, "hubspot", "contacts")}


def _subscriptions(engine) -> dict[str, dict]:
    return {row["source_id"]: row["fields"] for row in landed(engine, "stripe", "subscriptions")}


def _cancel_with_customers(sandbox, engine, deleted: int, fraction: float) -> tuple[list[str], list[str]]:
    """Delete Stripe customers (their subscriptions are canceled with them) and change `fraction` of the rest; the
    changed subscriptions that had a next billing date in the hub: (now canceled, still billing)."""
    body = {"fraction": fraction, "tools": ["stripe"], "delete": deleted}
    changed = sandbox_admin(sandbox, "POST", "mutate", body)["stripe"]["subscriptions"]
    source = sandbox.state.stream("stripe", "subscriptions").records
    billing = [sid for sid in changed if _subscriptions(engine)[sid]["next_billing_date"]]
    return [sid for sid in billing if source[sid]["status"] == "canceled"], [
        sid for sid in billing if source[sid]["status"] != "canceled"
    ]


def test_a_renamed_email_field_is_quarantined_with_the_last_good_values_kept(sandbox, hub_engine):
    connector = connector_for(sandbox, "hubspot", hub_engine)
    sync_stream(hub_engine, connector, "contacts", mode="full")
    good = _emails(hub_engine)
    filled = {sid for sid, email in good.items() if email}
    assert len(filled) > len(good) / 2

    sandbox_admin(sandbox, "POST", "faults", {"hubspot": {"schema_drift": {"rename": {"email": "e_mail"}}}})
    result = sync_stream(hub_engine, connector, "contacts", mode="full")

    assert result.quarantined_fields == ["email"] and result.held_values == len(filled)
    assert _emails(hub_engine) == good  # not one canonical email emptied
    rows = landed(hub_engine, "hubspot", "contacts")
    assert all("email" not in row["payload"]["properties"] for row in rows)  # the raw payload landed as served
    check = quarantine_check(hub_engine, "hubspot_contacts", "hubspot", "contacts")
    assert not check.passed and check.severity == "ERROR" and "accept-fields hubspot contacts" in check.figure

    # the next sync keeps holding, without a second incident
    again = sync_stream(hub_engine, connector, "contacts", mode="full")
    assert again.quarantined_fields == ["email"] and _emails(hub_engine) == good

    accepted = accept_new_mapping(hub_engine, "hubspot", "contacts", "ops@example.com", NOW)
    assert accepted.fields == ["email"]
    assert accepted.renames == {"properties.email": "properties.e_mail"}
    after = sync_stream(hub_engine, connector, "contacts", mode="full")

    assert after.quarantined_fields == [] and after.held_values == 0
    assert _emails(hub_engine) == good  # now read from e_mail through the accepted rename
    assert quarantine_check(hub_engine, "hubspot_contacts", "hubspot", "contacts").passed
    [row] = quarantine_store.quarantines(hub_engine, "hubspot", "contacts")
    assert row["status"] == "closed" and row["accepted_by"] == "ops@example.com"


def test_accepting_a_field_that_really_went_away_lets_it_empty(sandbox, sqlite_url):
    from customer_hub.store import engine_for

    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "hubspot", engine)
    sync_stream(engine, connector, "companies", mode="full")
    sandbox_admin(sandbox, "POST", "faults", {"hubspot": {"schema_drift": {"rename": {"name": "zz_unrelated"}}}})
    assert sync_stream(engine, connector, "companies", mode="full").quarantined_fields == ["company_name"]
    # the person says the field is gone: no rename is recognised for a dissimilar name
    accepted = accept_new_mapping(engine, "hubspot", "companies", "ops", NOW)
    assert accepted.fields == ["company_name"] and accepted.renames == {}

    result = sync_stream(engine, connector, "companies", mode="full")

    assert result.quarantined_fields == []
    assert all(not row["fields"]["company_name"] for row in landed(engine, "hubspot", "companies"))


def test_one_cleared_value_is_data_not_a_rename():
    before = {str(i): {"email": f"p{i}@x.io", "phone": "1"} for i in range(10)}
    after = {sid: dict(fields) for sid, fields in before.items()}
    after["3"]["email"] = None
    assert emptied_fields(before, after) == []

    renamed = {sid: {**fields, "email": ""} for sid, fields in before.items()}
    [emptied] = emptied_fields(before, renamed)
    assert (emptied.field, emptied.filled_before, emptied.emptied) == ("email", 10, 10)
    assert emptied_fields(before, renamed, exempt={"email"}) == []
    assert emptied_fields({k: before[k] for k in "012"}, renamed) == []  # three records say too little


def test_an_emptiness_the_mapping_explains_is_data_while_the_unexplained_rest_is_still_a_rename():
    before = {f"sub_{i}": {"status": "active", "next_billing_date": "2025-07-01"} for i in range(20)}
    canceled = {sid: {"status": "canceled", "next_billing_date": None} for sid in before}
    by_rule = {sid: {"next_billing_date"} for sid in canceled}
    assert emptied_fields(before, canceled, explained=by_rule) == []

    # six active subscriptions lose the date among fourteen cancellations: too few of twenty, but all the unexplained
    renamed = {**canceled, **{f"sub_{i}": {"status": "active", "next_billing_date": None} for i in range(6)}}
    [emptied] = emptied_fields(before, renamed, explained={sid: by_rule[sid] for sid in list(before)[6:]})
    assert (emptied.field, emptied.filled_before, emptied.emptied) == ("next_billing_date", 6, 6)
    other_field = emptied_fields(before, renamed, explained={sid: {"status"} for sid in before})
    assert [(e.field, e.emptied) for e in other_field] == [("next_billing_date", 20)]  # explains nothing here


def test_subscriptions_canceled_with_their_customers_lose_the_billing_date_without_a_quarantine(sandbox, sqlite_url):
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "stripe", engine)
    sync_stream(engine, connector, "subscriptions", mode="full")
    canceled, billing = _cancel_with_customers(sandbox, engine, deleted=30, fraction=0.005)
    assert len(canceled) >= MIN_RECORDS and len(canceled) > len(billing) > 0

    result = sync_stream(engine, connector, "subscriptions")

    landed_now = _subscriptions(engine)
    assert result.mode_used == "incremental" and result.quarantined_fields == [] and result.held_values == 0
    assert all(landed_now[sid]["next_billing_date"] is None and landed_now[sid]["mrr"] == 0.0 for sid in canceled)
    assert all(landed_now[sid]["next_billing_date"] for sid in billing)
    assert quarantine_check(engine, "stripe_subscriptions", "stripe", "subscriptions").passed

    # the date really renamed away from the active subscriptions is still caught, and only theirs is held
    sandbox_admin(sandbox, "POST", "faults", PERIOD_END_RENAMED)
    renamed = sync_stream(engine, connector, "subscriptions", mode="full")

    assert renamed.quarantined_fields == ["next_billing_date"] and renamed.held_values > 0
    assert _subscriptions(engine) == landed_now


def test_a_subscription_canceled_while_its_renamed_billing_date_is_held_still_loses_it(sandbox, sqlite_url):
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "stripe", engine)
    sync_stream(engine, connector, "subscriptions", mode="full")
    sandbox_admin(sandbox, "POST", "faults", PERIOD_END_RENAMED)
    assert sync_stream(engine, connector, "subscriptions", mode="full").quarantined_fields == ["next_billing_date"]
    canceled, _ = _cancel_with_customers(sandbox, engine, deleted=3, fraction=0)
    assert canceled

    result = sync_stream(engine, connector, "subscriptions")

    assert result.quarantined_fields == ["next_billing_date"] and result.held_values == 0
    assert all(_subscriptions(engine)[sid]["next_billing_date"] is None for sid in canceled)


def test_hold_and_renames_touch_only_what_they_must():
    fields, kept = hold({"email": "a@x.io", "phone": "1"}, {"email": None, "phone": None}, ["email"])
    assert fields == {"email": "a@x.io", "phone": None} and kept == ["email"]
    payload = {"properties": {"e_mail": "a@x.io"}}
    assert apply_renames(payload, {"properties.email": "properties.e_mail"})["properties"]["email"] == "a@x.io"
    assert payload == {"properties": {"e_mail": "a@x.io"}}  # the landed payload is not changed


def test_a_reverted_rename_closes_the_quarantine_on_the_next_full_read(sandbox, sqlite_url):
    from customer_hub.store import engine_for

    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "hubspot", engine)
    sync_stream(engine, connector, "contacts", mode="full")
    sandbox_admin(sandbox, "POST", "faults", {"hubspot": {"schema_drift": {"rename": {"email": "e_mail"}}}})
    assert sync_stream(engine, connector, "contacts", mode="full").quarantined_fields == ["email"]
    sandbox_admin(sandbox, "DELETE", "faults")

    assert sync_stream(engine, connector, "contacts", mode="full").quarantined_fields == []
    assert quarantine_check(engine, "hubspot_contacts", "hubspot", "contacts").passed
