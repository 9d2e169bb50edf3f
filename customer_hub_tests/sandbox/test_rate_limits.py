"""Vendor rate limits, scaled down: headers on every answer while limited, the vendor's 429 past the budget."""

from collections.abc import Iterator

import pytest
import requests

from customer_hub.sandbox import SANDBOX_IDS, SandboxServer, start_sandbox
from customer_hub_tests.sandbox.clients import BEARER, quickbooks_headers, quickbooks_url, sheets_headers


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with start_sandbox(
        seed=42,
        rate_limits={
            "hubspot": 5,
            "stripe": 5,
            "intercom": 0.5,
            "asana": 0.1,
            "sheets": 0.05,
            "quickbooks": 0.05,
            "slack": 2,
        },
    ) as server:
        yield server


def _burst(http: requests.Session, method: str, url: str, count: int, **kwargs: object) -> list[requests.Response]:
    return [http.request(method, url, **kwargs) for _ in range(count)]


def test_limits_are_reported_for_benchmarks(sandbox: SandboxServer, http: requests.Session) -> None:
    limits = http.get(f"{sandbox.url}/_sandbox/faults").json()["rate_limits"]
    assert limits["hubspot"] == {"requests_per_second": 5.0, "window_seconds": 1, "limit_per_window": 5}
    assert limits["quickbooks"]["window_seconds"] == 60 and limits["quickbooks"]["limit_per_window"] == 3


def test_hubspot_secondly_limit(sandbox: SandboxServer, http: requests.Session) -> None:
    answers = _burst(http, "GET", f"{sandbox.base_url('hubspot')}/crm/v3/objects/contacts", 12, headers=BEARER)
    assert all("X-HubSpot-RateLimit-Secondly-Remaining" in a.headers for a in answers)
    assert answers[0].headers["X-HubSpot-RateLimit-Secondly"] == "5"
    limited = [a for a in answers if a.status_code == 429]
    assert limited
    body = limited[0].json()
    assert body["errorType"] == "RATE_LIMIT" and body["policyName"] == "SECONDLY"
    assert limited[0].headers["X-HubSpot-RateLimit-Secondly-Remaining"] == "0"


def test_stripe_limit(sandbox: SandboxServer, http: requests.Session) -> None:
    answers = _burst(http, "GET", f"{sandbox.base_url('stripe')}/v1/customers", 12, headers=BEARER)
    limited = [a for a in answers if a.status_code == 429]
    assert limited and limited[0].json()["error"]["code"] == "rate_limit"


def test_intercom_window_headers(sandbox: SandboxServer, http: requests.Session) -> None:
    answers = _burst(http, "GET", f"{sandbox.base_url('intercom')}/contacts", 12, headers=BEARER)
    assert 429 in [a.status_code for a in answers]
    first = answers[0]
    assert first.headers["X-RateLimit-Limit"] == "5"
    assert int(first.headers["X-RateLimit-Reset"]) > 1_700_000_000


def test_asana_and_slack_say_when_to_retry(sandbox: SandboxServer, http: requests.Session) -> None:
    asana = _burst(http, "GET", f"{sandbox.base_url('asana')}/projects/1", 14, headers=BEARER)
    limited = [a for a in asana if a.status_code == 429]
    assert limited and 1 <= int(limited[0].headers["Retry-After"]) <= 60
    slack = _burst(
        http,
        "POST",
        f"{sandbox.base_url('slack')}/chat.postMessage",
        5,
        headers=BEARER,
        json={"channel": SANDBOX_IDS["slack_channel_id"], "text": "x"},
    )
    limited = [a for a in slack if a.status_code == 429]
    assert limited and limited[0].json() == {"ok": False, "error": "ratelimited"}
    assert "Retry-After" in limited[0].headers


def test_sheets_and_quickbooks_per_minute_quotas(sandbox: SandboxServer, http: requests.Session) -> None:
    url = (
        f"{sandbox.base_url('sheets')}/v4/spreadsheets/{SANDBOX_IDS['sheets_spreadsheet_id']}/values/"
        f"{SANDBOX_IDS['sheets_range']}"
    )
    sheets = [a for a in _burst(http, "GET", url, 7, headers=sheets_headers(sandbox, http)) if a.status_code == 429]
    assert sheets and sheets[0].json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    headers = quickbooks_headers(sandbox, http)
    qbo = [
        a
        for a in _burst(
            http,
            "GET",
            quickbooks_url(sandbox, "query"),
            7,
            headers=headers,
            params={"query": "select count(*) from Customer"},
        )
        if a.status_code == 429
    ]
    assert qbo and qbo[0].json()["Fault"]["Error"][0]["code"] == "3001"


def test_limits_can_be_switched_at_runtime(sandbox: SandboxServer, http: requests.Session) -> None:
    http.post(f"{sandbox.url}/_sandbox/faults", json={"rate_limits": False})
    answers = _burst(http, "GET", f"{sandbox.base_url('hubspot')}/crm/v3/objects/contacts", 12, headers=BEARER)
    assert all(a.status_code == 200 for a in answers)
    assert "X-HubSpot-RateLimit-Secondly" not in answers[0].headers
    http.delete(f"{sandbox.url}/_sandbox/faults")
    assert "hubspot" in http.get(f"{sandbox.url}/_sandbox/faults").json()["rate_limits"]
