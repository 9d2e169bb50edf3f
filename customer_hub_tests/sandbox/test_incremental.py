"""After a mutation, each tool's own change feed returns exactly the records that changed."""

import time
from datetime import UTC, datetime

import pytest
import requests

from customer_hub.sandbox import SandboxServer
from customer_hub.sandbox.clock import qbo_time
from customer_hub_tests.sandbox.clients import (
    BEARER,
    asana_all,
    hubspot_all,
    hubspot_search,
    intercom_search,
    quickbooks_all,
    quickbooks_url,
    stripe_all,
)

MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}


def test_mutate_reports_changes_per_stream(sandbox: SandboxServer, http: requests.Session) -> None:
    changed = http.post(f"{sandbox.url}/_sandbox/mutate", json={"fraction": 0.01, "tools": ["sheets"]}).json()
    assert list(changed) == ["sheets"]
    assert len(changed["sheets"]["implementations"]) == round(
        sandbox.state.counts()["sheets"]["implementations"] * 0.01
    )


def test_mutate_narrowed_to_objects_changes_only_those(sandbox: SandboxServer, http: requests.Session) -> None:
    """Records are created, deleted and merged only in the streams that hold them: narrowed to invoices, a
    mutation asked to create and merge changes invoices alone."""
    before = sandbox.state.counts()
    body = {"fraction": 0.01, "objects": ["invoices"], "create": 2, "delete": 1, "merge": 1}
    changed = http.post(f"{sandbox.url}/_sandbox/mutate", json=body).json()
    assert {tool: sorted(streams) for tool, streams in changed.items()} == {
        "quickbooks": ["invoices"],
        "stripe": ["invoices"],
    }
    after = sandbox.state.counts()
    assert after["stripe"]["customers"] == before["stripe"]["customers"]
    assert after["hubspot"]["contacts"] == before["hubspot"]["contacts"]


@pytest.mark.parametrize("object_type", ["contacts", "companies", "deals"])
def test_hubspot_search_on_modified_date(sandbox: SandboxServer, http: requests.Session, object_type: str) -> None:
    cursor = str(sandbox.state.clock.now_ms())  # the server clock, as a cursor from seen records would be
    changed = sandbox.state.mutate(0.02, tools=["hubspot"])["hubspot"][object_type]
    found = hubspot_search(
        sandbox, http, object_type, [{"propertyName": MODIFIED[object_type], "operator": "GT", "value": cursor}]
    )
    assert sorted(r["id"] for r in found) == sorted(changed)
    assert all(r["properties"][MODIFIED[object_type]] > "2026" for r in found)


def test_closed_won_deals_are_found_by_stage_and_time(sandbox: SandboxServer, http: requests.Session) -> None:
    open_deal = next(
        d for d in sandbox.state.stream("hubspot", "deals") if d["properties"]["dealstage"] == "contractsent"
    )
    cursor = str(sandbox.state.clock.now_ms())  # the server clock, as a cursor from seen records would be
    moved = http.post(f"{sandbox.url}/_sandbox/deals/{open_deal['id']}/close_won").json()
    assert moved["properties"]["dealstage"] == "closedwon"
    found = hubspot_search(
        sandbox,
        http,
        "deals",
        [
            {"propertyName": "dealstage", "operator": "EQ", "value": "closedwon"},
            {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": cursor},
        ],
    )
    assert [d["id"] for d in found] == [open_deal["id"]]
    assert http.post(f"{sandbox.url}/_sandbox/deals/1/close_won").status_code == 404


def test_stripe_events_carry_every_change(sandbox: SandboxServer, http: requests.Session) -> None:
    since = int(sandbox.state.clock.now()) + 1
    time.sleep(max(0.0, since - time.time()))  # Stripe filters on whole seconds: start on a fresh one
    changed = sandbox.state.mutate(0.01, tools=["stripe"])["stripe"]
    events = stripe_all(sandbox, http, "events", **{"created[gte]": since})
    by_stream = {"customers": set(), "subscriptions": set(), "invoices": set()}
    for event in events:
        stream = {"customer": "customers", "subscription": "subscriptions", "invoice": "invoices"}[
            event["data"]["object"]["object"]
        ]
        by_stream[stream].add(event["data"]["object"]["id"])
    assert {name: sorted(ids) for name, ids in by_stream.items()} == {
        name: sorted(ids) for name, ids in changed.items()
    }
    assert [e["created"] for e in events] == sorted((e["created"] for e in events), reverse=True)
    updated = next(e for e in events if e["type"] == "customer.updated")
    assert "phone" in updated["data"]["previous_attributes"]
    only_customers = stripe_all(sandbox, http, "events", **{"types[]": ["customer.updated"]})
    assert {e["type"] for e in only_customers} == {"customer.updated"}


def test_intercom_search_is_day_granular(sandbox: SandboxServer, http: requests.Session) -> None:
    changed = sandbox.state.mutate(0.02, tools=["intercom"])["intercom"]
    now = int(time.time())
    same_day = intercom_search(sandbox, http, "contacts", {"field": "updated_at", "operator": ">", "value": now})
    assert same_day == [], "'>' starts at the next UTC day, so today's changes need an overlap window"
    yesterday = now - 86400
    for name in ("contacts", "conversations"):
        found = intercom_search(sandbox, http, name, {"field": "updated_at", "operator": ">", "value": yesterday})
        assert sorted(r["id"] for r in found) == sorted(changed[name])
    refused = http.post(
        f"{sandbox.base_url('intercom')}/contacts/search",
        headers=BEARER,
        json={"query": {"field": "updated_at", "operator": ">=", "value": yesterday}},
    )
    assert refused.status_code == 400


def test_quickbooks_cdc_and_query_return_the_changes(
    sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str]
) -> None:
    start = int(sandbox.state.clock.now()) + 1
    time.sleep(max(0.0, start - time.time()))  # QuickBooks times are whole seconds: start on a fresh one
    since = qbo_time(start)
    changed = sandbox.state.mutate(0.01, tools=["quickbooks"])["quickbooks"]
    body = http.get(
        quickbooks_url(sandbox, "cdc"),
        params={"entities": "Customer,Invoice", "changedSince": since, "minorversion": "75"},
        headers=qbo,
    ).json()
    responses = body["CDCResponse"][0]["QueryResponse"]
    customers = [c["Id"] for r in responses for c in r.get("Customer", [])]
    invoices = [i["Id"] for r in responses for i in r.get("Invoice", [])]
    assert sorted(customers) == sorted(changed["customers"]) and sorted(invoices) == sorted(changed["invoices"])
    assert all(int(c["SyncToken"]) >= 1 for r in responses for c in r.get("Customer", []))
    queried = quickbooks_all(sandbox, http, qbo, "Invoice", f" where Metadata.LastUpdatedTime >= '{since}'")
    assert sorted(i["Id"] for i in queried) == sorted(changed["invoices"])


def test_asana_sync_tokens_and_modified_at(sandbox: SandboxServer, http: requests.Session) -> None:
    url = f"{sandbox.base_url('asana')}/events"
    projects = [p["gid"] for p in asana_all(sandbox, http)]
    tokens = {}
    for gid in projects:
        first = http.get(url, params={"resource": gid}, headers=BEARER)
        assert first.status_code == 412
        tokens[gid] = first.json()["sync"]
    before = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    changed = sandbox.state.mutate(0.03, tools=["asana"])["asana"]["projects"]
    with_events = []
    for gid in projects:
        answer = http.get(url, params={"resource": gid, "sync": tokens[gid]}, headers=BEARER).json()
        if answer["data"]:
            with_events.append(gid)
            assert answer["data"][0]["resource"]["gid"] == gid and answer["sync"] != tokens[gid]
    assert sorted(with_events) == sorted(changed)
    recent = [p["gid"] for p in asana_all(sandbox, http, "name,modified_at") if p["modified_at"] >= before]
    assert recent and set(recent) < set(changed)  # a status update leaves modified_at where it was


def test_incremental_feeds_see_nothing_when_nothing_changed(
    sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str]
) -> None:
    cursor = str(sandbox.state.clock.now_ms())
    assert (
        hubspot_search(
            sandbox, http, "contacts", [{"propertyName": "lastmodifieddate", "operator": "GT", "value": cursor}]
        )
        == []
    )
    body = http.get(
        quickbooks_url(sandbox, "cdc"),
        headers=qbo,
        params={"entities": "Customer", "changedSince": datetime.now(UTC).isoformat()},
    ).json()
    assert "Customer" not in body["CDCResponse"][0]["QueryResponse"][0]


def test_records_appear_and_vanish(sandbox: SandboxServer, http: requests.Session) -> None:
    since = int(sandbox.state.clock.now()) + 1
    time.sleep(max(0.0, since - time.time()))
    listed_before = {c["id"] for c in stripe_all(sandbox, http, "customers")}
    changed = http.post(
        f"{sandbox.url}/_sandbox/mutate", json={"fraction": 0, "tools": ["stripe", "hubspot"], "create": 2, "delete": 3}
    ).json()
    stripe, hubspot = changed["stripe"], changed["hubspot"]
    listed_after = {c["id"] for c in stripe_all(sandbox, http, "customers")}
    assert listed_after == (listed_before - set(stripe["customers_deleted"])) | set(stripe["customers_created"])
    events = stripe_all(sandbox, http, "events", **{"created[gte]": since})
    by_type: dict[str, set[str]] = {}
    for event in events:
        by_type.setdefault(event["type"], set()).add(event["data"]["object"]["id"])
    assert by_type["customer.created"] == set(stripe["customers_created"])
    assert by_type["customer.deleted"] == set(stripe["customers_deleted"])
    assert by_type.get("customer.subscription.deleted", set()) == set(stripe["subscriptions"])

    archived = {c["id"] for c in hubspot_all(sandbox, http, "contacts", archived=True) if c["archivedAt"]}
    assert archived == set(hubspot["contacts_archived"])
    live = {c["id"] for c in hubspot_all(sandbox, http, "contacts")}
    assert not live & archived and set(hubspot["contacts_created"]) <= live
    gone = hubspot["contacts_archived"][0]
    url = f"{sandbox.base_url('hubspot')}/crm/v3/objects/contacts"
    assert http.get(f"{url}/{gone}", headers=BEARER).status_code == 404
    assert http.get(f"{url}/{gone}", params={"archived": "true"}, headers=BEARER).json()["archived"] is True


def test_new_activity_belongs_to_customers_the_tools_already_hold(
    sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str]
) -> None:
    """A day's new invoices and conversations come through each tool's change feed, billed to a QuickBooks customer
    or started by an Intercom contact that was already there, and the sandbox knows whose they are."""
    start = int(sandbox.state.clock.now()) + 1
    time.sleep(max(0.0, start - time.time()))
    customers = {c["Id"]: c["Balance"] for c in quickbooks_all(sandbox, http, qbo, "Customer")}
    contacts = {c["id"] for c in sandbox.state.stream("intercom", "contacts")}
    changed = http.post(f"{sandbox.url}/_sandbox/mutate", json={"fraction": 0, "activity": 4}).json()
    invoices, conversations = changed["quickbooks"]["invoices_created"], changed["intercom"]["conversations_created"]
    assert len(invoices) == 2 and len(conversations) == 2

    body = http.get(quickbooks_url(sandbox, "cdc"), headers=qbo,
                    params={"entities": "Invoice", "changedSince": qbo_time(start)}).json()  # fmt: skip
    fed = [i for r in body["CDCResponse"][0]["QueryResponse"] for i in r.get("Invoice", [])]
    assert sorted(i["Id"] for i in fed) == sorted(invoices)
    for invoice in fed:
        billed = invoice["CustomerRef"]["value"]
        assert billed in customers
        after = quickbooks_all(sandbox, http, qbo, "Customer", f" where Id = '{billed}'")[0]["Balance"]
        assert after >= customers[billed] + invoice["TotalAmt"] - 0.005
    since = start - 86400  # Intercom's search is day-granular
    found = intercom_search(sandbox, http, "conversations", {"field": "updated_at", "operator": ">", "value": since})
    started = {c["id"]: c for c in found if c["id"] in conversations}
    assert sorted(started) == sorted(conversations)
    assert all(c["contacts"]["contacts"][0]["id"] in contacts for c in started.values())
    truth = sandbox.state.truth
    assert all(truth.customer_of("quickbooks", "invoices", i) for i in invoices)
    assert all(truth.customer_of("intercom", "conversations", c) for c in conversations)
