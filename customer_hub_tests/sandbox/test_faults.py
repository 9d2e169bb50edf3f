"""Switchable faults: errors at a given rate, slow answers, revoked tokens, drift, malformed pages, Slack trouble."""

import json
import time
from collections import Counter
from collections.abc import Callable

import pytest
import requests

from customer_hub.sandbox import SANDBOX_IDS, SandboxServer
from customer_hub.sandbox.google_oauth import JWT_BEARER_GRANT as JWT_BEARER
from customer_hub_tests.sandbox.clients import BEARER, quickbooks_token, quickbooks_url, sheets_headers


def _contacts_url(sandbox: SandboxServer) -> str:
    return f"{sandbox.base_url('hubspot')}/crm/v3/objects/contacts"


def test_error_rate_fails_about_that_share_with_a_mix_of_failures(
    sandbox: SandboxServer, http: requests.Session
) -> None:
    sandbox.state.set_faults({"hubspot": {"error_rate": 0.3, "timeout_seconds": 0.3}})
    outcomes: Counter[str] = Counter()
    for _ in range(200):
        try:
            outcomes[
                str(http.get(_contacts_url(sandbox), params={"limit": 1}, headers=BEARER, timeout=0.15).status_code)
            ] += 1
        except requests.exceptions.ReadTimeout:
            outcomes["timeout"] += 1
    failed = 200 - outcomes["200"]
    assert 40 <= failed <= 80
    assert {"429", "500", "timeout"} <= set(outcomes)
    assert {"502", "503"} & set(outcomes)


def test_error_rate_is_reproducible(sandbox: SandboxServer, http: requests.Session) -> None:
    def run() -> list[int]:
        sandbox.state.set_faults({"stripe": {"error_rate": 0.5, "timeout_seconds": 0}})
        return [
            http.get(f"{sandbox.base_url('stripe')}/v1/customers", params={"limit": 1}, headers=BEARER).status_code
            for _ in range(30)
        ]

    assert run() == run()


def test_injected_429_carries_the_vendor_shape(sandbox: SandboxServer, http: requests.Session) -> None:
    sandbox.state.set_faults({"intercom": {"error_rate": 1.0, "timeout_seconds": 0}, "rate_limits": {"intercom": 1000}})
    answers = [http.get(f"{sandbox.base_url('intercom')}/contacts", headers=BEARER) for _ in range(30)]
    limited = [answer for answer in answers if answer.status_code == 429]
    assert limited
    for answer in limited:
        assert answer.json()["errors"][0]["code"] == "rate_limit_exceeded"
        assert int(answer.headers["X-RateLimit-Reset"]) > 0


@pytest.mark.parametrize(
    "tool,check",
    [
        ("hubspot", lambda r: r.status_code == 401 and r.json()["category"] == "INVALID_AUTHENTICATION"),
        ("stripe", lambda r: r.status_code == 401 and r.json()["error"]["code"] == "api_key_expired"),
        ("intercom", lambda r: r.status_code == 401 and r.json()["errors"][0]["code"] == "unauthorized"),
        ("sheets", lambda r: r.status_code == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"),
        ("asana", lambda r: r.status_code == 401 and r.json()["errors"][0]["message"] == "Not Authorized"),
        ("slack", lambda r: r.status_code == 200 and r.json() == {"ok": False, "error": "token_revoked"}),
    ],
)
def test_revoked_token_is_refused_in_the_vendor_shape(
    sandbox: SandboxServer, http: requests.Session, tool: str, check: Callable[[requests.Response], bool]
) -> None:
    urls = {
        "hubspot": ("GET", _contacts_url(sandbox)),
        "stripe": ("GET", f"{sandbox.base_url('stripe')}/v1/customers"),
        "intercom": ("GET", f"{sandbox.base_url('intercom')}/contacts"),
        "sheets": (
            "GET",
            f"{sandbox.base_url('sheets')}/v4/spreadsheets/{SANDBOX_IDS['sheets_spreadsheet_id']}"
            f"/values/{SANDBOX_IDS['sheets_range']}",
        ),
        "asana": ("GET", f"{sandbox.base_url('asana')}/projects?workspace={SANDBOX_IDS['asana_workspace_gid']}"),
        "slack": ("POST", f"{sandbox.base_url('slack')}/chat.postMessage"),
    }
    method, url = urls[tool]
    message = {"channel": SANDBOX_IDS["slack_channel_id"], "text": "x"}
    headers = sheets_headers(sandbox, http) if tool == "sheets" else BEARER
    assert http.request(method, url, headers=headers, json=message).status_code == 200
    sandbox.state.set_faults({tool: {"revoked_token": True}})
    assert check(http.request(method, url, headers=headers, json=message))


def test_revoked_quickbooks_connection_refuses_data_and_refresh(
    sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str]
) -> None:
    sandbox.state.set_faults({"quickbooks": {"revoked_token": True}})
    answer = http.get(quickbooks_url(sandbox, "query"), params={"query": "select * from Customer"}, headers=qbo)
    assert answer.status_code == 401
    assert answer.json()["Fault"]["type"] == "AUTHENTICATION"
    assert quickbooks_token(sandbox, http, "any").json() == {"error": "invalid_grant"}


def test_missing_credentials_are_refused(sandbox: SandboxServer, http: requests.Session) -> None:
    assert http.get(_contacts_url(sandbox)).status_code == 401
    assert http.get(f"{sandbox.base_url('stripe')}/v1/customers").status_code == 401
    assert http.get(f"{sandbox.base_url('stripe')}/v1/customers", auth=("sk_test_123", "")).status_code == 200
    assert http.post(f"{sandbox.base_url('slack')}/chat.postMessage", json={"channel": "x", "text": "y"}).json() == {
        "ok": False,
        "error": "not_authed",
    }


def test_schema_drift_renames_and_adds_fields(sandbox: SandboxServer, http: requests.Session) -> None:
    drift = {"rename": {"email": "email_address"}, "add": {"loyalty_tier": "gold"}}
    sandbox.state.set_faults(
        {
            "hubspot": {"schema_drift": drift},
            "stripe": {"schema_drift": drift},
            "sheets": {"schema_drift": {"rename": {"Contact email": "Email"}}},
        }
    )
    contact = http.get(_contacts_url(sandbox), params={"limit": 1}, headers=BEARER).json()["results"][0]
    assert "email" not in contact["properties"]
    assert contact["properties"]["email_address"] == "wile.coyote@acme.com"
    assert contact["properties"]["loyalty_tier"] == "gold"
    customer = http.get(f"{sandbox.base_url('stripe')}/v1/customers", params={"limit": 1}, headers=BEARER).json()[
        "data"
    ][0]
    assert "email" not in customer and "email_address" in customer
    header = http.get(
        f"{sandbox.base_url('sheets')}/v4/spreadsheets/{SANDBOX_IDS['sheets_spreadsheet_id']}/values/"
        f"{SANDBOX_IDS['sheets_range']}",
        headers=sheets_headers(sandbox, http),
    ).json()["values"][0]
    assert "Email" in header and "Contact email" not in header
    stored = sandbox.state.stream("hubspot", "contacts").records[contact["id"]]["properties"]
    assert "email" in stored, "drift changes answers, not the data"


def test_malformed_pages_then_recovers(sandbox: SandboxServer, http: requests.Session) -> None:
    sandbox.state.set_faults({"intercom": {"malformed_page": 2}})
    url = f"{sandbox.base_url('intercom')}/contacts"
    for _ in range(2):
        answer = http.get(url, headers=BEARER)
        assert answer.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(answer.text)
    assert http.get(url, headers=BEARER).json()["type"] == "list"


def test_slack_outage_and_errors(sandbox: SandboxServer, http: requests.Session) -> None:
    url = f"{sandbox.base_url('slack')}/chat.postMessage"
    message = {"channel": SANDBOX_IDS["slack_channel_id"], "text": "check failed"}
    sandbox.state.set_faults({"slack": {"slack_outage": "503"}})
    assert http.post(url, json=message, headers=BEARER).status_code == 503
    sandbox.state.set_faults({"slack": {"slack_outage": "ratelimited"}})
    limited = http.post(url, json=message, headers=BEARER)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.json() == {"ok": False, "error": "ratelimited"}
    sandbox.state.clear_faults()
    sandbox.state.set_faults({"slack": {"slack_error": "channel_not_found"}})
    refused = http.post(url, json=message, headers=BEARER)
    assert refused.status_code == 200 and refused.json() == {"ok": False, "error": "channel_not_found"}
    webhook = http.post(sandbox.url + SANDBOX_IDS["slack_webhook_path"], json={"text": "x"})
    assert webhook.status_code == 404 and webhook.text == "channel_not_found"


def test_fault_admin_api_validates_and_resets(sandbox: SandboxServer, http: requests.Session) -> None:
    admin = f"{sandbox.url}/_sandbox/faults"
    assert http.post(admin, json={"nosuchtool": {"error_rate": 0.1}}).status_code == 400
    assert http.post(admin, json={"hubspot": {"error_rate": 3}}).status_code == 400
    assert http.post(admin, json={"hubspot": {"typo": 1}}).status_code == 400
    active = http.post(admin, json={"all": {"malformed_page": 1}}).json()
    assert set(active["faults"]) == {"hubspot", "stripe", "intercom", "quickbooks", "sheets", "asana", "slack"}
    assert http.delete(admin).json() == {"faults": {}, "rate_limits": {}}


def test_google_tokens_expire_and_only_a_signed_assertion_gets_one(
    sandbox: SandboxServer, http: requests.Session
) -> None:
    url = (
        f"{sandbox.base_url('sheets')}/v4/spreadsheets/{SANDBOX_IDS['sheets_spreadsheet_id']}/values/"
        f"{SANDBOX_IDS['sheets_range']}"
    )
    token_url = sandbox.url + SANDBOX_IDS["google_token_path"]
    assert http.get(url, headers=BEARER).status_code == 401  # a made-up token is not Google's
    refused = http.post(token_url, data={"grant_type": JWT_BEARER, "assertion": "a.b.c"})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"

    http.post(f"{sandbox.url}/_sandbox/google/tokens", json={"lifetime_seconds": 1})
    try:
        headers = sheets_headers(sandbox, http)
        assert http.get(url, headers=headers).status_code == 200
        time.sleep(1.05)
        expired = http.get(url, headers=headers)
    finally:
        http.post(f"{sandbox.url}/_sandbox/google/tokens", json={"lifetime_seconds": 3600})
    assert expired.status_code == 401 and expired.json()["error"]["status"] == "UNAUTHENTICATED"
