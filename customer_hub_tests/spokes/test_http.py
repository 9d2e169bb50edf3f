"""The shared HTTP layer: retries land the data, rate limits are honoured, failures say what to fix."""

from __future__ import annotations

import logging
import threading
import time
from email.utils import formatdate

import pytest

from customer_hub.spokes.http import (
    ApiClient,
    ToolAuthError,
    ToolNotFoundError,
    ToolRateLimitedError,
    ToolRequestError,
    ToolResponseError,
    ToolUnavailableError,
)

TOKEN = "pat-na1-secret-token-value"


def client_for(stub, settings, **kwargs) -> ApiClient:
    return ApiClient(
        "hubspot",
        stub.url,
        auth={"Authorization": f"Bearer {TOKEN}"},
        credential_envs=["HUBSPOT_ACCESS_TOKEN"],
        settings=settings,
        **kwargs,
    )


def test_retry_after_seconds_is_honoured_then_the_data_lands(stub, fast_sync, no_sleep):
    stub.queue(429, {"status": "error", "errorType": "RATE_LIMIT"}, headers={"Retry-After": "3"})
    stub.queue(200, {"results": [1, 2]})
    client = client_for(stub, fast_sync)

    assert client.get_json("/crm/v3/objects/contacts") == {"results": [1, 2]}
    assert 3 <= no_sleep[0] <= 3.3
    assert client.stats.retries == 1 and client.stats.by_status == {"429": 1, "200": 1}


def test_retry_after_as_http_date_is_honoured(stub, fast_sync, no_sleep):
    stub.queue(503, headers={"Retry-After": formatdate(time.time() + 5, usegmt=True)})
    stub.queue(200, {"ok": True})

    assert client_for(stub, fast_sync).get_json("/x") == {"ok": True}
    assert 3 <= no_sleep[0] <= 6


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_with_growing_backoff(stub, fast_sync, no_sleep, status):
    stub.queue(status, {"message": "try again"}, times=3)
    stub.queue(200, {"data": []})
    client = client_for(stub, fast_sync)

    assert client.get_json("/v1/customers") == {"data": []}
    assert client.stats.requests == 4 and client.stats.retries == 3
    assert len(no_sleep) == 3 and no_sleep[2] > no_sleep[0] * 1.5  # exponential, despite the jitter


def test_a_timeout_is_retried(stub, no_sleep):
    from customer_hub.config import SyncConfig

    settings = SyncConfig(timeout_seconds=0.2, max_retries=2, backoff_seconds=0.001, max_backoff_seconds=0.01)
    stub.queue(200, {"late": True}, delay=0.6)
    stub.queue(200, {"late": False})

    client = client_for(stub, settings)
    assert client.get_json("/slow") == {"late": False}
    assert client.stats.by_status["timeout"] == 1


def test_persistent_429_raises_rate_limited_after_the_configured_retries(stub, fast_sync, no_sleep):
    stub.queue(429, {"message": "You have reached your secondly limit."}, times=10)
    client = client_for(stub, fast_sync)

    with pytest.raises(ToolRateLimitedError) as raised:
        client.get_json("/crm/v3/objects/deals", params={"after": "secret-search-term"})
    assert client.stats.requests == fast_sync.max_retries + 1
    message = str(raised.value)
    assert "hubspot" in message and "GET /crm/v3/objects/deals" in message and "What to do" in message
    assert "secret-search-term" not in message  # query strings are not repeated in messages


def test_unreachable_host_raises_unavailable_naming_tool_and_endpoint(fast_sync, no_sleep):
    client = ApiClient("stripe", "http://127.0.0.1:9", auth={}, credential_envs=["STRIPE_API_KEY"], settings=fast_sync)

    with pytest.raises(ToolUnavailableError) as raised:
        client.get_json("/v1/customers")
    assert "stripe" in str(raised.value) and "GET /v1/customers" in str(raised.value)
    assert client.stats.by_status["connection_error"] == fast_sync.max_retries + 1


def test_401_names_the_environment_variable_and_never_the_token(stub, fast_sync):
    stub.queue(401, {"message": f"Authentication credentials not found. Bearer {TOKEN} is invalid"})

    with pytest.raises(ToolAuthError) as raised:
        client_for(stub, fast_sync).get_json("/crm/v3/objects/contacts")
    message = str(raised.value)
    assert "HUBSPOT_ACCESS_TOKEN" in message and "hubspot" in message
    assert TOKEN not in message and TOKEN not in repr(raised.value.args)
    assert len(stub.requests) == 1  # an auth failure is not retried blindly


def test_auth_failure_hook_refreshes_and_retries_once(stub, fast_sync):
    tokens = iter(["old-token-value", "new-token-value"])
    current = {"token": next(tokens)}

    def refresh() -> bool:
        current["token"] = next(tokens)
        return True

    client = ApiClient(
        "quickbooks",
        stub.url,
        auth=lambda: {"Authorization": f"Bearer {current['token']}"},
        credential_envs=["QUICKBOOKS_REFRESH_TOKEN"],
        settings=fast_sync,
        on_auth_failure=refresh,
    )
    stub.queue(401, {"Fault": {"Error": [{"Message": "AuthenticationFailed"}]}})
    stub.queue(200, {"QueryResponse": {}})

    assert client.get_json("/v3/company/1/query") == {"QueryResponse": {}}
    assert [r.headers["Authorization"] for r in stub.requests] == ["Bearer old-token-value", "Bearer new-token-value"]


def test_404_names_the_setting_to_fix(stub, fast_sync):
    stub.queue(404, {"error": {"code": 404, "message": "Requested entity was not found."}})

    with pytest.raises(ToolNotFoundError) as raised:
        client_for(stub, fast_sync).get_json(
            "/v4/spreadsheets/abc/values/A1", setting_hint="systems.sheets.settings.spreadsheet_id"
        )
    assert "systems.sheets.settings.spreadsheet_id" in str(raised.value)
    assert "Requested entity was not found" in str(raised.value)


def test_other_4xx_carry_the_vendors_message_and_are_not_retried(stub, fast_sync):
    stub.queue(400, {"error": {"type": "invalid_request_error", "message": "No such customer: 'cus_X'"}})

    with pytest.raises(ToolRequestError) as raised:
        client_for(stub, fast_sync).post_json("/v1/invoices", data={"customer": "cus_X"})
    assert "No such customer" in str(raised.value) and raised.value.status == 400
    assert len(stub.requests) == 1


def test_a_malformed_page_is_reread_and_then_lands(stub, fast_sync, no_sleep):
    stub.queue(200, raw='{"results": [{"id": "1"')
    stub.queue(200, {"results": [{"id": "1"}]})

    assert client_for(stub, fast_sync).get_json("/crm/v3/objects/contacts") == {"results": [{"id": "1"}]}


def test_a_persistently_malformed_page_raises_response_error(stub, fast_sync, no_sleep):
    stub.queue(200, raw="<html>Bad gateway</html>", times=5)

    with pytest.raises(ToolResponseError) as raised:
        client_for(stub, fast_sync).get_json("/crm/v3/objects/contacts")
    assert "not valid JSON" in str(raised.value)
    assert len(stub.requests) == 3


def test_remaining_zero_pauses_until_the_reset_before_the_next_request(stub, fast_sync, no_sleep):
    reset = int(time.time()) + 4
    stub.queue(200, {"page": 1}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})
    stub.queue(200, {"page": 2}, headers={"X-RateLimit-Remaining": "99", "X-RateLimit-Reset": str(reset + 10)})
    client = client_for(stub, fast_sync)

    client.get_json("/contacts")
    assert no_sleep == []  # the first request is not held up
    client.get_json("/contacts")
    assert len(no_sleep) == 1 and 2.5 <= no_sleep[0] <= 4.5
    assert client.stats.by_status == {"200": 2}  # paced, so no 429 was provoked


def test_hubspot_window_headers_pace_by_the_oldest_request_in_the_window(stub, fast_sync, no_sleep):
    window = {"X-HubSpot-RateLimit-Max": "3", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
    for remaining in ("2", "1", "0"):
        stub.queue(200, {}, headers={**window, "X-HubSpot-RateLimit-Remaining": remaining})
    client = client_for(stub, fast_sync)

    for _ in range(3):
        client.get_json("/crm/v3/objects/contacts")
    assert no_sleep == []
    client.get_json("/crm/v3/objects/contacts")
    assert len(no_sleep) == 1 and 9 <= no_sleep[0] <= 10.2


def test_retries_are_logged_with_status_and_wait_but_no_secret(stub, fast_sync, no_sleep, caplog):
    stub.queue(502)
    stub.queue(200, {})
    with caplog.at_level(logging.INFO, logger="customer_hub.spokes.hubspot"):
        client_for(stub, fast_sync).get_json("/crm/v3/objects/companies")

    lines = [r.getMessage() for r in caplog.records if r.name == "customer_hub.spokes.hubspot"]
    assert any("HTTP 502" in line and "retry 1/4" in line for line in lines)
    assert not any(TOKEN in line for line in lines)


def _from_threads(count: int, send) -> None:
    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_requests_per_second_spaces_requests_for_vendors_without_headers(stub, fast_sync):
    client = ApiClient("stripe", stub.url, auth={}, credential_envs=["STRIPE_API_KEY"], settings=fast_sync,
                       requests_per_second=20)  # fmt: skip

    client.get_json("/v1/customers")
    _from_threads(5, lambda: client.get_json("/v1/customers"))  # several in flight share one pace

    gaps = [later - earlier for earlier, later in zip(stub.arrived, stub.arrived[1:], strict=False)]
    assert len(stub.arrived) == 6 and stub.arrived[-1] - stub.arrived[0] >= 0.24, gaps  # 5 gaps of 0.05 s
    # never two at once: any three arrivals span at least one pace, even when a busy machine delays one of them
    # (a late arrival shortens the gap after it, not the pair of gaps around it)
    spans = [later - earlier for earlier, later in zip(stub.arrived, stub.arrived[2:], strict=False)]
    assert min(spans) >= 0.05, gaps
    assert client.stats.requests == 6 and client.stats.by_status == {"200": 6}


def test_hubspot_windows_are_kept_before_the_answers_come_back(stub, fast_sync):
    window = {"X-HubSpot-RateLimit-Max": "3", "X-HubSpot-RateLimit-Interval-Milliseconds": "200",
              "X-HubSpot-RateLimit-Remaining": "50"}  # fmt: skip
    stub.queue(200, {}, headers=window)
    stub.queue(200, {}, headers=window, delay=0.3, times=8)  # slow answers: all eight are in flight at once
    client = client_for(stub, fast_sync)

    client.get_json("/crm/v3/objects/contacts")  # learns the window
    _from_threads(8, lambda: client.get_json("/crm/v3/objects/contacts"))

    arrived = stub.arrived
    assert len(arrived) == 9
    assert all(arrived[n + 3] - arrived[n] >= 0.18 for n in range(len(arrived) - 3)), arrived  # jitter: 0.02 s


@pytest.mark.parametrize("status", [500, 503])
def test_a_non_idempotent_post_is_not_sent_twice_after_a_5xx(stub, fast_sync, no_sleep, status):
    stub.queue(status, {"message": "internal error"})
    stub.queue(200, {"data": {"gid": "second-project"}})
    client = client_for(stub, fast_sync)

    with pytest.raises(ToolUnavailableError) as raised:
        client.post_json("/project_templates/1/instantiateProject", json={"data": {}}, idempotent=False)
    assert len(stub.requests) == 1  # the tool may have created the project: a second POST could make another
    assert "not retried" in str(raised.value) and "re-run looks for it" in str(raised.value)


def test_a_non_idempotent_post_is_retried_after_a_429(stub, fast_sync, no_sleep):
    stub.queue(429, {"message": "slow down"}, headers={"Retry-After": "1"})
    stub.queue(200, {"data": {"gid": "p1"}})

    body = client_for(stub, fast_sync).post_json("/projects", json={}, idempotent=False)
    assert body == {"data": {"gid": "p1"}} and len(stub.requests) == 2  # a 429 means the tool did nothing


def test_a_non_idempotent_post_with_a_malformed_answer_is_not_re_sent(stub, fast_sync, no_sleep):
    stub.queue(200, raw="<html>proxy error</html>")
    stub.queue(200, {"data": {"gid": "p2"}})

    with pytest.raises(ToolResponseError):
        client_for(stub, fast_sync).post_json("/projects", json={}, idempotent=False)
    assert len(stub.requests) == 1


def test_a_form_credential_echoed_by_the_vendor_is_scrubbed_from_the_error(stub, fast_sync, no_sleep):
    refresh_token = "AB11-rotating-refresh-token-value"
    stub.queue(500, {"error": f"could not process refresh_token={refresh_token}"}, times=10)
    client = ApiClient("quickbooks", stub.url, auth={"Authorization": "Basic Y2xpZW50OnNlY3JldA=="},
                       credential_envs=["QUICKBOOKS_CLIENT_ID"], settings=fast_sync)  # fmt: skip

    with pytest.raises(ToolUnavailableError) as raised:
        client.post_json(
            "/oauth2/v1/tokens/bearer", data={"grant_type": "refresh_token", "refresh_token": refresh_token}
        )
    assert refresh_token not in str(raised.value) and refresh_token not in repr(raised.value.args)
    assert "refresh_token=[redacted]" in str(raised.value)
