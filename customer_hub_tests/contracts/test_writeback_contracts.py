"""The sandbox's update endpoints and the write-back's requests, checked against the vendors' own specs."""

from __future__ import annotations

import re

import requests
from openapi_schema_validator import OAS30Validator

from customer_hub.sandbox import SandboxServer
from customer_hub_tests.contracts.spec_validation import load_document, request_errors, response_errors

BEARER = {"Authorization": "Bearer sandbox-token", "Intercom-Version": "2.16"}


def _stripe_form_errors(form: dict[str, str]) -> list[str]:
    """openapi-core cannot decode the deepObject encoding of Stripe's form bodies, so the form is nested here
    (`metadata[k]=v` -> {"metadata": {"k": "v"}}) and checked against the operation's documented body schema."""
    operation = load_document("stripe/spec3.2022-04-12.json")["paths"]["/v1/customers/{customer}"]["post"]
    schema = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    nested: dict = {}
    for key, value in form.items():
        match = re.match(r"^(\w+)\[(\w+)\]$", key)
        if match:
            nested.setdefault(match.group(1), {})[match.group(2)] = value
        else:
            nested[key] = value
    return [error.message for error in OAS30Validator(schema).iter_errors(nested)]


def _checked(vendor: str, method: str, answer: requests.Response, body, status: int) -> dict:
    assert answer.status_code == status, answer.text[:300]
    sent = answer.request
    if vendor == "stripe":
        assert _stripe_form_errors(body) == []
        body = None
    assert request_errors(vendor, method, sent.url, body=body, headers=dict(sent.headers)) == []
    assert response_errors(vendor, method, sent.url, answer.status_code, answer.json()) == []
    return answer.json()


def test_hubspot_patch_and_batch_update(sandbox: SandboxServer, http: requests.Session) -> None:
    base = f"{sandbox.base_url('hubspot')}/crm/v3/objects/contacts"
    ids = [record["id"] for record in list(sandbox.state.stream("hubspot", "contacts"))[:2]]
    body = {"properties": {"golden_customer_id": "GC-0000000001"}}
    patched = _checked("hubspot", "PATCH", http.patch(f"{base}/{ids[0]}", json=body, headers=BEARER), body, 200)
    assert patched["properties"]["golden_customer_id"] == "GC-0000000001"

    batch = {"inputs": [{"id": record_id, "properties": {"hub_open_balance": "10"}} for record_id in ids]}
    answer = _checked("hubspot", "POST", http.post(f"{base}/batch/update", json=batch, headers=BEARER), batch, 200)
    assert [result["properties"]["hub_open_balance"] for result in answer["results"]] == ["10", "10"]

    partly = {"inputs": [*batch["inputs"], {"id": "999999999", "properties": {"hub_open_balance": "1"}}]}
    answer = _checked("hubspot", "POST", http.post(f"{base}/batch/update", json=partly, headers=BEARER), partly, 207)
    assert answer["errors"][0]["context"]["ids"] == ["999999999"]


def test_stripe_customer_update_replays_a_repeated_idempotency_key(
    sandbox: SandboxServer, http: requests.Session
) -> None:
    customer = next(iter(sandbox.state.stream("stripe", "customers")))
    url = f"{sandbox.base_url('stripe')}/v1/customers/{customer['id']}"
    form = {"metadata[golden_customer_id]": "GC-0000000002"}
    headers = {**BEARER, "Idempotency-Key": "key-1"}
    first = _checked("stripe", "POST", http.post(url, data=form, headers=headers), form, 200)
    assert first["metadata"]["golden_customer_id"] == "GC-0000000002"
    writes = len(sandbox.state.write_log)
    replay = http.post(url, data={"metadata[golden_customer_id]": "other"}, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == first
    assert len(sandbox.state.write_log) == writes
    assert _stripe_form_errors({"balance_due": "1"})  # the check itself refuses an undocumented field
    assert http.post(url, data={"balance_due": "1"}, headers=BEARER).status_code == 400


def test_intercom_contact_update(sandbox: SandboxServer, http: requests.Session) -> None:
    contact = next(iter(sandbox.state.stream("intercom", "contacts")))
    url = f"{sandbox.base_url('intercom')}/contacts/{contact['id']}"
    body = {"custom_attributes": {"golden_customer_id": "GC-0000000003"}}
    answer = _checked("intercom", "PUT", http.put(url, json=body, headers=BEARER), body, 200)
    assert answer["custom_attributes"]["golden_customer_id"] == "GC-0000000003"


def test_quickbooks_writer_bodies_are_sparse_customer_updates_of_the_xsd(specs) -> None:
    from customer_hub.sandbox import SANDBOX_IDS
    from customer_hub.writeback.settings import QUICKBOOKS_FIELDS
    from customer_hub.writeback.writers import quickbooks_body, quickbooks_request_ids

    values = {name: "GC-0000000004" for name in QUICKBOOKS_FIELDS} | {"WebAddr[URI]": "https://example.com"}
    body = {"Id": "4", "SyncToken": "0", "sparse": True, **quickbooks_body(values)}
    url = f"https://quickbooks.api.intuit.com/v3/company/{SANDBOX_IDS['quickbooks_realm_id']}/customer"
    for request_id in quickbooks_request_ids("k" * 48):
        assert len(request_id) <= 50  # QuickBooks' requestid limit
        query = {"requestid": request_id, "minorversion": "75"}
        assert request_errors("quickbooks", "POST", url, query=query, body=body) == []
    assert request_errors("quickbooks", "POST", url, body={**body, "Balance": "x"})  # the check itself bites


def test_hubspot_create_one_and_a_batch_and_a_taken_email_is_a_conflict(
    sandbox: SandboxServer, http: requests.Session
) -> None:
    base = f"{sandbox.base_url('hubspot')}/crm/v3/objects/contacts"
    one = {"properties": {"email": "first.created@example.org", "golden_customer_id": "GC-0000000101"},
           "associations": []}  # fmt: skip
    created = _checked("hubspot", "POST", http.post(base, json=one, headers=BEARER), one, 201)
    assert created["properties"]["golden_customer_id"] == "GC-0000000101"
    batch = {
        "inputs": [
            {"properties": {"email": f"batch{n}@example.org", "golden_customer_id": f"GC-000000020{n}"},
             "associations": [], "objectWriteTraceId": f"key-{n}"}
            for n in range(2)
        ]
    }  # fmt: skip
    answer = _checked("hubspot", "POST", http.post(f"{base}/batch/create", json=batch, headers=BEARER), batch, 201)
    assert sorted(r["properties"]["golden_customer_id"] for r in answer["results"]) == [
        "GC-0000000200",
        "GC-0000000201",
    ]
    stored = {record["id"] for record in sandbox.state.writes()["hubspot_contacts"]}
    assert {created["id"], *(r["id"] for r in answer["results"])} <= stored

    taken = {"inputs": [{"properties": {"email": "BATCH0@example.org"}, "associations": []}, *batch["inputs"][1:]]}
    refused = http.post(f"{base}/batch/create", json=taken, headers=BEARER)
    assert refused.status_code == 409 and refused.json()["category"] == "CONFLICT"
    first = next(r["id"] for r in answer["results"] if r["properties"]["email"] == "batch0@example.org")
    assert refused.json()["message"] == f"Contact already exists. Existing ID: {first}"
    assert len(sandbox.state.writes()["hubspot_contacts"]) == len(stored)  # nothing of the batch was created
    search = {"filterGroups": [{"filters": [{"propertyName": "golden_customer_id", "operator": "IN",
                                             "values": ["GC-0000000200", "GC-0000000201"]}]}],
              "properties": ["golden_customer_id"], "sorts": [], "limit": 100, "after": "0"}  # fmt: skip
    found = _checked("hubspot", "POST", http.post(f"{base}/search", json=search, headers=BEARER), search, 200)
    assert found["total"] == 2


def test_stripe_customer_create_replays_a_repeated_idempotency_key(
    sandbox: SandboxServer, http: requests.Session
) -> None:
    url = f"{sandbox.base_url('stripe')}/v1/customers"
    form = {"email": "new.payer@example.org", "name": "New Payer", "metadata[golden_customer_id]": "GC-0000000301"}
    headers = {**BEARER, "Idempotency-Key": "create-key-1"}
    first = _checked("stripe", "POST", http.post(url, data=form, headers=headers), form, 200)
    assert first["metadata"] == {"golden_customer_id": "GC-0000000301"} and first["email"] == form["email"]
    again = http.post(url, data=form, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json()["id"] == first["id"]
    assert [c["id"] for c in sandbox.state.writes()["stripe_customers"]].count(first["id"]) == 1
    events = [e for e in sandbox.state.stream("stripe", "events") if e["type"] == "customer.created"]
    assert events[-1]["data"]["object"]["id"] == first["id"]  # the incremental sync reads it from the events


def test_intercom_contact_create_and_find_by_custom_attribute(sandbox: SandboxServer, http: requests.Session) -> None:
    url = f"{sandbox.base_url('intercom')}/contacts"
    body = {"role": "user", "email": "new.user@example.org", "name": "New User",
            "custom_attributes": {"golden_customer_id": "GC-0000000401"}}  # fmt: skip
    created = _checked("intercom", "POST", http.post(url, json=body, headers=BEARER), body, 200)
    assert created["custom_attributes"] == {"golden_customer_id": "GC-0000000401"}
    query = {"query": {"field": "custom_attributes.golden_customer_id", "operator": "IN",
                       "value": ["GC-0000000401", "GC-0000000402"]}}  # fmt: skip
    found = _checked("intercom", "POST", http.post(f"{url}/search", json=query, headers=BEARER), query, 200)
    assert [contact["id"] for contact in found["data"]] == [created["id"]]
    twice = http.post(url, json={**body, "email": "NEW.USER@example.org"}, headers=BEARER)
    assert twice.status_code == 409 and created["id"] in twice.text


def test_quickbooks_customer_create_with_the_golden_id_in_notes(
    sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str]
) -> None:
    from customer_hub.sandbox import SANDBOX_IDS
    from customer_hub_tests.contracts.spec_validation import quickbooks_errors

    body = {"DisplayName": "Created By The Hub Ltd", "PrimaryEmailAddr": {"Address": "books@created.example"},
            "Notes": "GC-0000000501", "WebAddr": {"URI": "https://created.example"}}  # fmt: skip
    url = f"{sandbox.base_url('quickbooks')}/v3/company/{SANDBOX_IDS['quickbooks_realm_id']}/customer"
    query = {"requestid": "create-501", "minorversion": "75"}
    assert request_errors("quickbooks", "POST", url, query=query, body=body) == []
    answer = http.post(url, params=query, json=body, headers=qbo)
    assert answer.status_code == 200, answer.text
    assert quickbooks_errors(answer.json()) == []
    customer = answer.json()["Customer"]
    assert customer["Notes"] == "GC-0000000501" and customer["WebAddr"] == {"URI": "https://created.example"}
    again = http.post(url, params=query, json=body, headers=qbo)
    assert again.json()["Customer"]["Id"] == customer["Id"]  # same requestid: the first answer replayed
    assert [c["Id"] for c in sandbox.state.writes()["quickbooks_customers"]].count(customer["Id"]) == 1
    refused = http.post(url, params={"minorversion": "75"}, json={**body, "DisplayName": "Other", "Balance": 3},
                        headers=qbo)  # fmt: skip
    assert refused.status_code == 400 and "Balance" in refused.text
