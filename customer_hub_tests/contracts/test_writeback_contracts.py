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
