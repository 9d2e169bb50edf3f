"""The request/response checker connectors rely on: it accepts what the specs allow and names what they do not."""

from pathlib import Path

import pytest

from customer_hub_tests.contracts import spec_validation
from customer_hub_tests.contracts.spec_validation import (
    SpecViolation,
    quickbooks_errors,
    request_errors,
    response_errors,
    validate_request,
)

GOOD_SEARCH = {
    "filterGroups": [
        {"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "1700000000000"}]}
    ],
    "limit": 200,
    "after": "0",
    "properties": ["name"],
    "sorts": ["hs_lastmodifieddate"],
}
GOOD_INVOICE = {
    "CustomerRef": {"value": "58"},
    "PrivateNote": "deal 42",
    "Line": [
        {
            "Amount": 100.0,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 100.0},
        }
    ],
}


@pytest.fixture(autouse=True)
def _specs(specs: Path) -> None:
    """Every test here needs the specs."""


def test_conforming_requests_pass_in_any_url_form() -> None:
    validate_request("hubspot", "GET", "/crm/v3/objects/companies", query={"limit": 100, "after": "123"})
    validate_request("hubspot", "GET", "http://127.0.0.1:8765/hubspot/crm/v3/objects/deals?limit=100&archived=false")
    validate_request("hubspot", "GET", "https://api.hubapi.com/crm/v3/objects/contacts?limit=10")
    validate_request("hubspot", "POST", "/crm/v3/objects/companies/search", body=GOOD_SEARCH)
    validate_request(
        "hubspot", "POST", "/crm/v3/associations/deals/contacts/batch/read", body={"inputs": [{"id": "7"}]}
    )
    validate_request(
        "stripe",
        "GET",
        "/v1/events",
        query=[
            ("created[gt]", 1700000000),
            ("types[]", "invoice.paid"),
            ("types[]", "customer.updated"),
            ("limit", 100),
        ],
    )
    validate_request(
        "intercom",
        "POST",
        "/contacts/search",
        body={"query": {"field": "updated_at", "operator": ">", "value": 1700000000}, "pagination": {"per_page": 150}},
    )
    validate_request(
        "asana",
        "GET",
        "http://127.0.0.1:1/asana/api/1.0/projects",
        query={"workspace": "1", "limit": 100, "opt_fields": "name,modified_at"},
    )
    validate_request(
        "slack",
        "POST",
        "/chat.postMessage",
        body={"channel": "C0SANDBOX01", "text": "hi"},
        headers={"Authorization": "Bearer xoxb-1"},
    )
    validate_request("sheets", "GET", "/v4/spreadsheets/abc/values/Sheet1!A1:G", query={"majorDimension": "ROWS"})
    validate_request(
        "quickbooks", "POST", "/v3/company/1/invoice", query={"requestid": "r1", "minorversion": 75}, body=GOOD_INVOICE
    )


@pytest.mark.parametrize(
    "vendor,method,url,kwargs,expected",
    [
        ("hubspot", "GET", "/crm/v3/objects/contacts", {"query": {"limit": "ten"}}, "limit"),
        (
            "hubspot",
            "POST",
            "/crm/v3/objects/contacts/search",
            {"body": {"filterGroups": [], "limit": 10}},
            "'sorts' is a required property",
        ),
        (
            "hubspot",
            "POST",
            "/crm/v3/associations/contacts/companies/batch/read",
            {"body": {"inputs": [{"objectId": "1"}]}},
            "'id' is a required property",
        ),
        ("stripe", "GET", "/v1/subscriptions", {"query": {"status": "cancelled"}}, "'cancelled' is not one of"),
        ("stripe", "GET", "/v1/events", {"query": {"created[gt]": "yesterday"}}, "query parameter created"),
        ("stripe", "GET", "/v1/events", {"query": {"updated[gt]": 1}}, "not a documented deepObject parameter"),
        ("stripe", "GET", "/v1/customers", {"check_security": True}, "Security"),
        ("intercom", "POST", "/contacts/search", {"body": {"pagination": {"per_page": 5}}}, "'query' is a required"),
        ("asana", "GET", "/projects", {"query": {"workspace": "1", "limit": 500}}, "maximum of 100"),
        ("slack", "POST", "/chat.postMessage", {"body": {"chanel": "C1", "text": "x"}}, "unknown parameter 'chanel'"),
        ("sheets", "GET", "/v4/spreadsheets/a/values/A1", {"query": {"majorDimension": "DIAGONAL"}}, "majorDimension"),
        ("sheets", "GET", "/v4/spreadsheets/a/values/A1", {"query": {"pageToken": "x"}}, "unknown query parameter"),
        (
            "quickbooks",
            "GET",
            "/v3/company/1/query",
            {"query": {"query": "select * from Customer", "minorversion": 65}},
            "minorversion",
        ),
        ("quickbooks", "POST", "/v3/company/1/invoice", {"body": GOOD_INVOICE | {"Lines": []}}, "Invoice.Lines"),
        ("quickbooks", "POST", "/v3/company/1/invoice", {"body": GOOD_INVOICE | {"DueDate": "31/12/2026"}}, "DueDate"),
    ],
)
def test_nonconforming_requests_are_named(vendor: str, method: str, url: str, kwargs: dict, expected: str) -> None:
    errors = request_errors(vendor, method, url, **kwargs)
    assert any(expected in error for error in errors), errors
    with pytest.raises(SpecViolation, match=vendor):
        validate_request(vendor, method, url, **kwargs)


def test_responses_are_checked_against_the_documented_schema() -> None:
    listing = {
        "object": "list",
        "url": "/v1/customers",
        "has_more": False,
        "data": [{"object": "customer", "created": 1, "livemode": False}],
    }
    assert any(
        "'id' is a required property" in e for e in response_errors("stripe", "GET", "/v1/customers", 200, listing)
    )
    listing["data"][0]["id"] = "cus_1"
    assert response_errors("stripe", "GET", "/v1/customers", 200, listing) == []
    assert response_errors("slack", "POST", "/chat.postMessage", 200, {"ok": False, "error": "no_text"}) == []
    assert response_errors("slack", "POST", "/chat.postMessage", 200, {"ok": True}) != []


def test_quickbooks_documents_are_checked_against_the_xsd() -> None:
    assert (
        quickbooks_errors(
            {"Id": "1", "DisplayName": "Acme", "MetaData": {"CreateTime": "2025-01-01T00:00:00Z"}}, "Customer"
        )
        == []
    )
    errors = quickbooks_errors({"Id": "1", "Balance": "lots", "Nickname": "x"}, "Customer")
    assert any("Nickname" in e for e in errors) and any("decimal" in e for e in errors)
    assert (
        quickbooks_errors(
            {
                "QueryResponse": {"Customer": [{"Id": "1"}], "startPosition": 1, "maxResults": 1},
                "time": "2026-01-01T00:00:00-08:00",
            }
        )
        == []
    )


def test_missing_specs_skip_with_the_reason(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(spec_validation, "REPO_ROOT", tmp_path / "repo")
    assert spec_validation.specs_dir() is None
    with pytest.raises(pytest.skip.Exception, match="vendor specs not found"):
        spec_validation.require_specs()
