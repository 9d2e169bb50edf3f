"""Paging through every stream the way each vendor documents it returns every record exactly once."""

from collections import Counter

import pytest
import requests

from customer_hub.sandbox import SANDBOX_IDS, SandboxServer
from customer_hub_tests.sandbox.clients import (
    BEARER,
    asana_all,
    hubspot_all,
    intercom_all,
    quickbooks_all,
    sheet_values,
    sheets_headers,
    stripe_all,
)


def _once(ids: list[str], expected: int) -> None:
    duplicates = [record_id for record_id, seen in Counter(ids).items() if seen > 1]
    assert not duplicates
    assert len(ids) == expected


@pytest.mark.parametrize("object_type", ["contacts", "companies", "deals"])
def test_hubspot_lists_every_object_once(sandbox: SandboxServer, http: requests.Session, object_type: str) -> None:
    records = hubspot_all(sandbox, http, object_type)
    _once([r["id"] for r in records], sandbox.state.counts()["hubspot"][object_type])


def test_hubspot_deals_alias_and_numeric_type_agree(sandbox: SandboxServer, http: requests.Session) -> None:
    url = f"{sandbox.base_url('hubspot')}/crm/v3/objects"
    by_name = http.get(f"{url}/deals", params={"limit": 5}, headers=BEARER).json()
    by_type_id = http.get(f"{url}/0-3", params={"limit": 5}, headers=BEARER).json()
    assert by_name["results"] == by_type_id["results"]


def test_hubspot_list_rejects_limits_above_100(sandbox: SandboxServer, http: requests.Session) -> None:
    answer = http.get(f"{sandbox.base_url('hubspot')}/crm/v3/objects/contacts", params={"limit": 101}, headers=BEARER)
    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR"


def test_hubspot_search_stops_at_ten_thousand_results(sandbox: SandboxServer, http: requests.Session) -> None:
    answer = http.post(
        f"{sandbox.base_url('hubspot')}/crm/v3/objects/contacts/search",
        json={"filterGroups": [], "limit": 100, "after": "10000"},
        headers=BEARER,
    )
    assert answer.status_code == 400
    assert answer.json()["status"] == "error"


@pytest.mark.parametrize("name", ["customers", "invoices"])
def test_stripe_lists_every_object_once(sandbox: SandboxServer, http: requests.Session, name: str) -> None:
    records = stripe_all(sandbox, http, name)
    _once([r["id"] for r in records], sandbox.state.counts()["stripe"][name])
    created = [r["created"] for r in records]
    assert created == sorted(created, reverse=True), "newest first"


def test_stripe_subscriptions_hide_canceled_unless_asked(sandbox: SandboxServer, http: requests.Session) -> None:
    default = stripe_all(sandbox, http, "subscriptions")
    everything = stripe_all(sandbox, http, "subscriptions", status="all")
    assert all(s["status"] != "canceled" for s in default)
    assert any(s["status"] == "canceled" for s in everything)
    _once([s["id"] for s in everything], sandbox.state.counts()["stripe"]["subscriptions"])


def test_stripe_ending_before_walks_back(sandbox: SandboxServer, http: requests.Session) -> None:
    url = f"{sandbox.base_url('stripe')}/v1/customers"
    first = http.get(url, params={"limit": 10}, headers=BEARER).json()["data"]
    second = http.get(url, params={"limit": 10, "starting_after": first[-1]["id"]}, headers=BEARER).json()["data"]
    back = http.get(url, params={"limit": 10, "ending_before": second[0]["id"]}, headers=BEARER).json()["data"]
    assert [c["id"] for c in back] == [c["id"] for c in first]


def test_stripe_rejects_limits_outside_1_to_100(sandbox: SandboxServer, http: requests.Session) -> None:
    answer = http.get(f"{sandbox.base_url('stripe')}/v1/invoices", params={"limit": 101}, headers=BEARER)
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "limit"


@pytest.mark.parametrize("name", ["contacts", "conversations"])
def test_intercom_lists_every_object_once(sandbox: SandboxServer, http: requests.Session, name: str) -> None:
    records = intercom_all(sandbox, http, name)
    _once([r["id"] for r in records], sandbox.state.counts()["intercom"][name])


def test_intercom_reports_totals_and_pages(sandbox: SandboxServer, http: requests.Session) -> None:
    page = http.get(f"{sandbox.base_url('intercom')}/contacts", params={"per_page": 100}, headers=BEARER).json()
    total = sandbox.state.counts()["intercom"]["contacts"]
    assert page["total_count"] == total
    assert page["pages"]["total_pages"] == -(-total // 100)
    too_big = http.get(f"{sandbox.base_url('intercom')}/contacts", params={"per_page": 151}, headers=BEARER)
    assert too_big.status_code == 400


@pytest.mark.parametrize("entity,name", [("Customer", "customers"), ("Invoice", "invoices")])
def test_quickbooks_query_pages_every_entity_once(
    sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str], entity: str, name: str
) -> None:
    records = quickbooks_all(sandbox, http, qbo, entity)
    _once([r["Id"] for r in records], sandbox.state.counts()["quickbooks"][name])
    count = http.get(
        f"{sandbox.base_url('quickbooks')}/v3/company/{SANDBOX_IDS['quickbooks_realm_id']}/query",
        params={"query": f"select count(*) from {entity}", "minorversion": "75"},
        headers=qbo,
    ).json()
    assert count["QueryResponse"]["totalCount"] == len(records)


def test_asana_offsets_page_every_project_once(sandbox: SandboxServer, http: requests.Session) -> None:
    projects = asana_all(sandbox, http)
    _once([p["gid"] for p in projects], sandbox.state.counts()["asana"]["projects"])
    assert set(projects[0]) == {"gid", "resource_type", "name"}


def test_sheet_returns_header_and_every_row_with_trailing_blanks_dropped(
    sandbox: SandboxServer, http: requests.Session
) -> None:
    values = sheet_values(sandbox, http)
    assert values[0] == ["Customer", "Contact email", "Domain", "Stage", "Go-live date", "CSM", "Notes"]
    assert len(values) - 1 == sandbox.state.counts()["sheets"]["implementations"]
    assert any(len(row) < len(values[0]) for row in values[1:])
    assert all(row[-1] != "" for row in values[1:] if row)


def test_sheet_ranges_select_cells(sandbox: SandboxServer, http: requests.Session) -> None:
    base = f"{sandbox.base_url('sheets')}/v4/spreadsheets/{SANDBOX_IDS['sheets_spreadsheet_id']}/values"
    google = sheets_headers(sandbox, http)
    answer = http.get(f"{base}/Implementations!A1:B3", headers=google).json()
    assert answer["range"] == "Implementations!A1:B3"
    assert answer["values"][0] == ["Customer", "Contact email"]
    assert len(answer["values"]) == 3
    assert http.get(f"{base}/Nope!A1:B3", headers=google).status_code == 400
    unknown = http.get(f"{sandbox.base_url('sheets')}/v4/spreadsheets/unknown/values/A1", headers=google)
    assert unknown.json()["error"]["status"] == "NOT_FOUND"


def test_all_streams_add_up_to_the_reported_counts(sandbox: SandboxServer, http: requests.Session) -> None:
    total = sum(len(hubspot_all(sandbox, http, t)) for t in ("contacts", "companies", "deals"))
    total += sum(len(stripe_all(sandbox, http, n)) for n in ("customers", "invoices"))
    total += sum(len(intercom_all(sandbox, http, n)) for n in ("contacts", "conversations"))
    assert total == sum(
        sandbox.state.counts()[tool][name]
        for tool, name in (
            ("hubspot", "contacts"),
            ("hubspot", "companies"),
            ("hubspot", "deals"),
            ("stripe", "customers"),
            ("stripe", "invoices"),
            ("intercom", "contacts"),
            ("intercom", "conversations"),
        )
    )


def test_hubspot_free_text_search(sandbox: SandboxServer, http: requests.Session) -> None:
    found = http.post(
        f"{sandbox.base_url('hubspot')}/crm/v3/objects/companies/search",
        headers=BEARER,
        json={"query": "acme", "limit": 10, "properties": ["name", "domain"]},
    ).json()
    assert [(c["properties"]["name"], c["properties"]["domain"]) for c in found["results"]] == [
        ("Acme Corp", "acme.com")
    ]
