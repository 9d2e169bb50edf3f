"""HubSpot: mapping to canonical records, and reads against the sandbox with contract-checked requests."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from customer_hub.config import load_config
from customer_hub.quality.metrics import compute_metrics
from customer_hub.sandbox.seeding.hubspot import stamp
from customer_hub.spokes.http import ToolAuthError
from customer_hub.spokes.hubspot import (
    ASSOCIATIONS,
    HubSpotConnector,
    associated_ids,
    company_to_canonical,
    contact_to_canonical,
    deal_to_canonical,
)
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for
from customer_hub.store.landing import landed, schema_history
from customer_hub_tests.spokes.conftest import connector_for, sandbox_admin, spec_errors

CONTACT = {
    "id": "151",
    "properties": {
        "firstname": "Ada",
        "lastname": "Lovelace",
        "email": "ada@acme.example",
        "phone": "",
        "mobilephone": "+44 7700 900123",
        "company": "Acme Ltd",
        "website": "acme.example",
        "address": "1 High St",
        "city": "London",
        "zip": "EC1A 1BB",
        "country": "United Kingdom",
        "lastmodifieddate": "2025-05-01T10:00:00.000Z",
    },
    "createdAt": "2024-01-01T09:00:00.000Z",
    "updatedAt": "2025-05-01T10:00:00.000Z",
    "archived": False,
    "associations": {
        "companies": {
            "results": [
                {"id": "5000000008", "type": "contact_to_company"},
                {"id": "5000000008", "type": "contact_to_company_unlabeled"},
                {"id": "5000000015", "type": "contact_to_company_unlabeled"},
            ]
        }
    },
}


def test_contact_is_a_person_linked_to_its_companies():
    fields = contact_to_canonical(CONTACT)

    assert (fields["first_name"], fields["last_name"], fields["full_name"]) == ("Ada", "Lovelace", "Ada Lovelace")
    assert fields["phone"] == "+44 7700 900123"  # the mobile number stands in for an empty phone
    assert (fields["company_name"], fields["company_domain"]) == ("Acme Ltd", "acme.example")
    assert (fields["street"], fields["postcode"]) == ("1 High St", "EC1A 1BB")
    assert fields["shared_keys"] == (
        f"hubspot_contact:{CONTACT['id']};hubspot_company:5000000008;hubspot_company:5000000015"
    )
    assert fields["is_account_only"] is False


def test_company_is_an_account_keyed_by_its_id():
    company = {"id": "5000000008", "properties": {"name": "Acme", "domain": "", "website": "www.acme.example"}}

    fields = company_to_canonical(company)

    assert fields["is_account_only"] is True and fields["shared_keys"] == "hubspot_company:5000000008"
    assert fields["company_domain"] == "www.acme.example" and fields["first_name"] is None


def test_deal_belongs_to_its_companies():
    deal = {
        "id": "9100000001",
        "properties": {"dealname": "Acme - Growth", "amount": "12000.50", "dealstage": "closedwon"},
        "associations": {
            "companies": {"results": [{"id": "5000000008", "type": "deal_to_company"}]},
            "contacts": {"results": [{"id": "151", "type": "deal_to_contact"}]},
        },
    }

    fields = deal_to_canonical(deal)

    assert fields["is_account_only"] is True and fields["shared_keys"] == "hubspot_company:5000000008"
    assert (fields["deal_name"], fields["amount"], fields["deal_stage"]) == ("Acme - Growth", 12000.5, "closedwon")
    assert fields["contact_ids"] == ["151"]


def test_deal_sold_to_an_individual_belongs_to_its_contacts_account():
    deal = {
        "id": "9100000002",
        "properties": {"dealname": "Jo Bloggs - Starter", "amount": "49", "dealstage": "closedwon"},
        "associations": {"contacts": {"results": [{"id": "151", "type": "deal_to_contact"}]}},
    }

    assert deal_to_canonical(deal)["shared_keys"] == "hubspot_contact:151"


def test_associations_hash_the_same_from_list_and_search_reads():
    from_list = HubSpotConnector._normalise_associations("contacts", CONTACT)
    reordered = {
        **CONTACT,
        "associations": {"companies": {"results": list(reversed(CONTACT["associations"]["companies"]["results"]))}},
    }
    without = {key: value for key, value in CONTACT.items() if key != "associations"}

    assert HubSpotConnector._normalise_associations("contacts", reordered) == from_list
    assert HubSpotConnector._normalise_associations("contacts", without)["associations"] == {
        "companies": {"results": []}
    }


# --- against the sandbox ---------------------------------------------------------------------------------------

SORTS_SPEC_DEFECT = "is not of type 'string'"
"""HubSpot's published spec types search `sorts` items as strings, but the API sorts only when given objects
({"propertyName", "direction"}); see HubSpot/hubspot-api-python#236 and hubspot-api-nodejs#559. The connector
follows the API; this one spec error is tolerated, on `sorts` only."""


def _conformance_problems(exchanges) -> list[str]:
    """Spec errors of captured HubSpot requests (objects, search and associations batch reads alike)."""
    return [p for p in spec_errors("hubspot", exchanges) if not (SORTS_SPEC_DEFECT in p and "$.sorts[" in p)]


def test_full_and_incremental_reads_send_only_documented_requests(sandbox, sqlite_url, request_log):
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "hubspot", engine)
    request_log.attach(connector)
    for obj in connector.objects:
        sync_stream(engine, connector, obj)
    sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.01, "tools": ["hubspot"]})
    for obj in connector.objects:
        assert sync_stream(engine, connector, obj).mode_used == "incremental"

    sent = {(r.request.method, r.request.path_url.split("?")[0].rsplit("/", 1)[-1]) for r in request_log.exchanges}
    assert ("POST", "search") in sent and ("GET", "contacts") in sent and ("POST", "read") in sent
    assert _conformance_problems(request_log.exchanges) == []


def test_search_bodies_filter_on_the_modified_property_ascending(sandbox, request_log):
    connector = connector_for(sandbox, "hubspot")
    request_log.attach(connector)

    list(connector.read_incremental("companies", "2025-06-01T00:00:00.000+00:00").pages)

    body = json.loads(request_log.exchanges[0].request.body)
    assert body["filterGroups"][0]["filters"][0]["propertyName"] == "hs_lastmodifieddate"
    assert body["filterGroups"][0]["filters"][0]["operator"] == "GTE"
    assert body["sorts"] == [
        {"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"},
        {"propertyName": "hs_object_id", "direction": "ASCENDING"},  # ties broken by id
    ]
    assert "name" in body["properties"] and body["limit"] == 100


def test_incremental_payload_matches_the_full_read_of_the_same_record(sandbox, sqlite_url):
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "hubspot", engine, overlap_minutes=0)
    sync_stream(engine, connector, "deals")
    changed = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.01, "tools": ["hubspot"]})["hubspot"]["deals"]

    assert sync_stream(engine, connector, "deals").updated == len(changed)
    incremental = {row["source_id"]: row["payload"] for row in landed(engine, "hubspot", "deals")}
    again = sync_stream(engine, connector, "deals", mode="full")

    assert again.updated == 0  # the list endpoint serves exactly what search + associations landed
    assert all(set(incremental[i]["associations"]) == {"companies", "contacts"} for i in changed)


def test_closed_won_deals_and_single_record_reads(sandbox):
    connector = connector_for(sandbox, "hubspot")
    deal = connector.read_full("deals")
    first_deal = next(deal.pages).records[0]
    before = datetime.now(UTC) - timedelta(seconds=5)
    sandbox_admin(sandbox, "POST", f"deals/{first_deal['id']}/close_won")

    won = connector.closed_won_deals(before)

    assert first_deal["id"] in [d["id"] for d in won]
    assert {d["properties"]["dealstage"] for d in won} == {"closedwon"}
    company_ids = associated_ids(next(d for d in won if d["id"] == first_deal["id"]), "companies")
    assert connector.get_deal(first_deal["id"])["id"] == first_deal["id"]
    if company_ids:
        assert connector.get_company(company_ids[0])["id"] == company_ids[0]


def test_schema_drift_is_recorded_as_a_new_snapshot(sandbox, sqlite_url):
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "hubspot", engine)
    sync_stream(engine, connector, "companies")
    sandbox_admin(sandbox, "POST", "faults", {"hubspot": {"schema_drift": {"rename": {"name": "company_name"}}}})
    try:
        result = sync_stream(engine, connector, "companies", mode="full")
    finally:
        sandbox_admin(sandbox, "DELETE", "faults")

    history = schema_history(engine, "hubspot", "companies")
    assert result.schema_changed and len(history) == 2
    assert "properties.company_name" in set(history[1]["fields"]) - set(history[0]["fields"])
    assert "properties.name" in set(history[0]["fields"]) - set(history[1]["fields"])


def test_a_revoked_token_fails_naming_the_variable_to_fix(sandbox):
    connector = connector_for(sandbox, "hubspot")
    sandbox_admin(sandbox, "POST", "faults", {"hubspot": {"revoked_token": True}})
    try:
        with pytest.raises(ToolAuthError) as raised:
            list(connector.read_full("contacts").pages)
    finally:
        sandbox_admin(sandbox, "DELETE", "faults")
    assert "HUBSPOT_ACCESS_TOKEN" in str(raised.value) and "sandbox-access_token" not in str(raised.value)


def test_rate_limit_headers_pace_the_sync_without_429s(sandbox, sqlite_url):
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "hubspot", engine)
    sandbox_admin(sandbox, "POST", "faults", {"rate_limits": {"hubspot": 3}})
    try:
        result = sync_stream(engine, connector, "deals")
    finally:
        sandbox_admin(sandbox, "DELETE", "faults")

    assert result.landed_count == sandbox_admin(sandbox, "GET", "counts")["hubspot"]["deals"]
    assert "429" not in connector.client.stats.by_status
    assert result.throttled_seconds > 0 and result.retries == 0


@pytest.fixture
def small_search_cap(sandbox):
    """HubSpot's 10,000-result search cap lowered to 30 in the sandbox (and the connector): the same restart path
    that 10,000 records sharing one timestamp take, exercised by a few dozen."""
    sandbox.state.hubspot_search_cap = 30
    yield 30
    sandbox.state.hubspot_search_cap = 10_000


def test_search_restarts_after_the_last_record_before_the_result_cap(sandbox, request_log, small_search_cap):
    connector = connector_for(sandbox, "hubspot", settings={"search_result_cap": small_search_cap}, page_size=10)
    request_log.attach(connector)

    pages = list(connector.read_incremental("companies", "2020-01-01T00:00:00.000+00:00").pages)

    ids = [record["id"] for page in pages for record in page.records]
    assert sorted(ids) == sorted(str(record["id"]) for record in sandbox.state.stream("hubspot", "companies"))
    searches = [json.loads(r.request.body) for r in request_log.exchanges if r.request.url.endswith("/search")]
    assert max(int(body["after"]) for body in searches) < small_search_cap
    assert all(
        [s["propertyName"] for s in body["sorts"]] == ["hs_lastmodifieddate", "hs_object_id"] for body in searches
    )


def test_more_records_than_the_search_cap_sharing_one_modified_time_are_all_read(sandbox, sqlite_url, small_search_cap):
    engine = engine_for(sqlite_url)
    connector = connector_for(
        sandbox, "hubspot", engine, settings={"search_result_cap": small_search_cap}, page_size=10
    )
    sync_stream(engine, connector, "contacts")
    _, touched = sandbox.state.touch_at_once("hubspot", "contacts", 3 * small_search_cap + 7)  # a bulk import

    result = sync_stream(engine, connector, "contacts")

    assert result.mode_used == "incremental" and result.updated >= len(touched) == 97
    rows = {row["source_id"]: row for row in landed(engine, "hubspot", "contacts")}
    stored = sandbox.state.stream("hubspot", "contacts").records
    assert all(rows[i]["payload"]["updatedAt"] == stored[i]["updatedAt"] for i in touched)


def test_incremental_reads_associations_in_one_v4_batch_per_type_and_follows_each_records_paging(stub, fast_sync):
    from customer_hub.config import load_config
    from customer_hub.spokes.registry import build_connector

    config = load_config()
    config = config.model_copy(update={"sync": fast_sync})
    connector = build_connector("hubspot", config, credentials={"access_token": "pat"}, base_url=stub.url)
    contact = {"id": "1", "properties": {"email": "a@x.io"}, "updatedAt": "2026-05-01T10:00:00.000Z"}
    kind = [{"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None}]
    batch = {"status": "COMPLETE", "startedAt": "2026-05-01T10:00:00.000Z", "completedAt": "2026-05-01T10:00:00.1Z"}
    stub.queue(200, {"total": 2, "results": [contact, {**contact, "id": "2"}]})
    stub.queue(
        200,
        batch
        | {
            "results": [
                {
                    "from": {"id": "1"},
                    "to": [{"toObjectId": 55, "associationTypes": kind}],
                    "paging": {"next": {"after": "MQ=="}},
                }
            ]
        },
    )
    stub.queue(200, batch | {"results": [{"from": {"id": "1"}, "to": [{"toObjectId": 56, "associationTypes": kind}]}]})

    [page] = list(connector.read_incremental("contacts", "2026-05-01T00:00:00.000+00:00").pages)

    assert [associated_ids(record, "companies") for record in page.records] == [["55", "56"], []]
    first, second = stub.requests[1:3]
    assert (first.method, first.path) == ("POST", "/crm/v4/associations/contacts/companies/batch/read")
    assert json.loads(first.body) == {"inputs": [{"id": "1"}, {"id": "2"}]}
    assert json.loads(second.body) == {"inputs": [{"id": "1", "after": "MQ=="}]}  # only the record with more
    from customer_hub_tests.contracts.spec_validation import request_errors, require_specs

    require_specs()
    for sent in (first, second):
        assert request_errors("hubspot", sent.method, sent.path, body=json.loads(sent.body)) == []


def test_a_deal_with_more_than_a_hundred_contacts_keeps_them_all(sandbox, sqlite_url):
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "hubspot", engine)
    sync_stream(engine, connector, "deals")
    deals, contacts = sandbox.state.stream("hubspot", "deals"), sandbox.state.stream("hubspot", "contacts")
    deal_id = deals.order[0]
    with sandbox.state.lock:  # a conference deal with 240 attendees
        deals.records[deal_id]["associations"]["contacts"] = contacts.order[:240]
        now_ms = sandbox.state.clock.now_ms()
        stamp(deals.records[deal_id], "deals", now_ms)
        deals.touch(deal_id, now_ms)
    sandbox.state.hubspot_association_page = 100  # HubSpot pages v4 at 500 per record; 100 shows paging sooner

    def landed_contacts() -> list[str]:
        row = next(r for r in landed(engine, "hubspot", "deals") if r["source_id"] == deal_id)
        return sorted(row["fields"]["contact_ids"], key=int)

    try:
        sync_stream(engine, connector, "deals")
        after_incremental = landed_contacts()
        full = sync_stream(engine, connector, "deals", mode="full")
    finally:
        sandbox.state.hubspot_association_page = 500

    assert after_incremental == landed_contacts() == sorted(contacts.order[:240], key=int)
    assert full.updated == 0  # both reads land the same payload


def test_incremental_sync_after_a_small_change_costs_a_handful_of_requests(sandbox, sqlite_url, caplog):
    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "hubspot", engine, overlap_minutes=0)
    streams = ("contacts", "deals")
    for obj in streams:
        sync_stream(engine, connector, obj)
    changed = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.01, "tools": ["hubspot"]})["hubspot"]

    with caplog.at_level(logging.WARNING, logger="customer_hub.spokes"):
        results = {obj: sync_stream(engine, connector, obj) for obj in streams}

    for obj, result in results.items():
        assert result.mode_used == "incremental" and result.updated == result.fetched == len(changed[obj])
        # one search page, one associations batch per association type, the tool's count: not one call per record
        assert result.requests <= 2 + len(ASSOCIATIONS[obj]), (obj, result.requests)
    spent, records = sum(r.requests for r in results.values()), sum(len(changed[obj]) for obj in streams)
    assert 2 * spent < records, (spent, records)
    assert [record.getMessage() for record in caplog.records] == []  # no fallback to reads record by record


def test_reconciliation_marks_archived_and_merged_contacts_and_counts_the_tool(sandbox, sqlite_url, request_log):
    from customer_hub.store.landing import merges_of

    engine = engine_for(sqlite_url)
    connector = connector_for(sandbox, "hubspot", engine)
    sync_stream(engine, connector, "contacts")
    changed = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0, "tools": ["hubspot"], "delete": 3, "merge": 2})[
        "hubspot"
    ]
    incremental = sync_stream(engine, connector, "contacts")  # search serves neither archived nor merged-away records
    request_log.attach(connector)

    reconciled = sync_stream(engine, connector, "contacts", mode="reconcile")

    assert incremental.marked_deleted == 0
    gone = set(changed["contacts_archived"]) | set(changed["contacts_merged"])
    assert reconciled.mode_used == "reconcile" and reconciled.marked_deleted == len(gone) == 5
    assert gone.isdisjoint(row["source_id"] for row in landed(engine, "hubspot", "contacts"))
    assert merges_of(engine, "hubspot", "contacts") == dict(
        zip(changed["contacts_merged"], changed["contacts_merged_into"], strict=True)
    )
    tool_count = sandbox_admin(sandbox, "GET", "counts")["hubspot"]["contacts"]
    assert reconciled.reported_count == reconciled.landed_count == tool_count
    assert all("properties=hs_merged_object_ids" in r.request.path_url for r in request_log.exchanges)
    assert spec_errors("hubspot", request_log.exchanges) == []
    metrics = {m.series: m for m in compute_metrics(engine, load_config(), datetime.now(UTC))}
    assert metrics["deleted_records/hubspot_contacts"].detail == {"deleted": 5, "merged": 2}
