"""QuickBooks specifics: rotating refresh tokens, issued-only access tokens, query language, CDC, idempotent writes."""

from datetime import UTC, datetime, timedelta

import requests

from customer_hub.sandbox import SANDBOX_IDS, SandboxServer, start_sandbox
from customer_hub.sandbox.clock import qbo_time
from customer_hub_tests.sandbox.clients import quickbooks_token, quickbooks_url


def _query(
    http: requests.Session, sandbox: SandboxServer, headers: dict[str, str], query: str, minorversion: str = "75"
) -> requests.Response:
    return http.get(
        quickbooks_url(sandbox, "query"), params={"query": query, "minorversion": minorversion}, headers=headers
    )


def test_refresh_tokens_rotate_and_each_works_once(http: requests.Session) -> None:
    with start_sandbox(seed=42) as fresh:
        answer = quickbooks_token(fresh, http, SANDBOX_IDS["quickbooks_refresh_token"]).json()
        assert set(answer) == {
            "access_token",
            "refresh_token",
            "expires_in",
            "x_refresh_token_expires_in",
            "token_type",
        }
        assert answer["expires_in"] == 3600 and answer["x_refresh_token_expires_in"] == 8726400
        assert answer["token_type"] == "bearer"
        reused = quickbooks_token(fresh, http, SANDBOX_IDS["quickbooks_refresh_token"])
        assert reused.status_code == 400 and reused.json() == {"error": "invalid_grant"}
        second = quickbooks_token(fresh, http, answer["refresh_token"]).json()
        assert second["refresh_token"] not in (answer["refresh_token"], SANDBOX_IDS["quickbooks_refresh_token"])
        for token in (answer["access_token"], second["access_token"]):
            assert (
                _query(http, fresh, {"Authorization": f"Bearer {token}"}, "select count(*) from Customer").status_code
                == 200
            )
        assert quickbooks_token(fresh, http, "never-issued").json() == {"error": "invalid_grant"}


def test_token_endpoint_needs_client_credentials_and_the_right_grant(
    sandbox: SandboxServer, http: requests.Session
) -> None:
    url = sandbox.url + SANDBOX_IDS["quickbooks_token_path"]
    assert http.post(url, data={"grant_type": "refresh_token", "refresh_token": "x"}).json() == {
        "error": "invalid_client"
    }
    assert http.post(url, auth=("id", "secret"), data={"grant_type": "client_credentials"}).json() == {
        "error": "unsupported_grant_type"
    }


def test_only_issued_access_tokens_work(sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str]) -> None:
    refused = _query(http, sandbox, {"Authorization": "Bearer made-up"}, "select * from Customer")
    assert refused.status_code == 401
    error = refused.json()["Fault"]["Error"][0]
    assert error["code"] == "3200" and "AuthenticationFailed" in error["Message"]
    assert _query(http, sandbox, qbo, "select * from Customer").status_code == 200


def test_old_minor_versions_and_other_realms_are_refused(
    sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str]
) -> None:
    old = _query(http, sandbox, qbo, "select * from Customer", minorversion="65")
    assert old.status_code == 400 and old.json()["Fault"]["type"] == "ValidationFault"
    other = http.get(
        f"{sandbox.base_url('quickbooks')}/v3/company/123/query",
        params={"query": "select * from Customer"},
        headers=qbo,
    )
    assert other.status_code == 403


def test_query_language(sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str]) -> None:
    page = _query(http, sandbox, qbo, "SELECT * FROM Customer STARTPOSITION 11 MAXRESULTS 5").json()
    assert page["QueryResponse"]["startPosition"] == 11
    assert page["QueryResponse"]["maxResults"] == 5 and len(page["QueryResponse"]["Customer"]) == 5
    acme = _query(http, sandbox, qbo, "select * from Customer where DisplayName = 'Acme Corp'").json()
    assert [c["PrimaryEmailAddr"]["Address"] for c in acme["QueryResponse"]["Customer"]] == ["billing@acme.com"]
    acme_id = acme["QueryResponse"]["Customer"][0]["Id"]
    invoices = _query(http, sandbox, qbo, f"select * from Invoice where CustomerRef = '{acme_id}'").json()
    assert len(invoices["QueryResponse"]["Invoice"]) == 3
    empty = _query(http, sandbox, qbo, "select * from Customer where Metadata.LastUpdatedTime > '2099-01-01'")
    assert empty.json()["QueryResponse"] == {}
    assert _query(http, sandbox, qbo, "select * from Nonsense").status_code == 400
    assert _query(http, sandbox, qbo, "select * fron Customer").json()["Fault"]["type"] == "ValidationFault"
    assert _query(http, sandbox, qbo, "select * from Customer maxresults 1001").status_code == 400


def test_cdc_look_back_is_thirty_days(sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str]) -> None:
    too_old = (datetime.now(UTC) - timedelta(days=31)).isoformat()  # the look-back is measured on the wall clock
    answer = http.get(
        quickbooks_url(sandbox, "cdc"), params={"entities": "Customer", "changedSince": too_old}, headers=qbo
    )
    assert answer.status_code == 400


def test_cdc_returns_the_oldest_thousand_changes_when_more_happened(
    sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str]
) -> None:
    since = qbo_time(sandbox.state.clock.now())
    changed = sandbox.state.mutate(0.4, tools=["quickbooks"])["quickbooks"]
    assert len(changed["customers"]) + len(changed["invoices"]) > 1000
    body = http.get(
        quickbooks_url(sandbox, "cdc"),
        params={"entities": "Customer,Invoice", "changedSince": since},
        headers=qbo,
    ).json()
    responses = body["CDCResponse"][0]["QueryResponse"]
    returned = {
        (name, entity["Id"])
        for response in responses
        for name in ("Customer", "Invoice")
        for entity in response.get(name, [])
    }
    assert sum(response["maxResults"] for response in responses) == len(returned) == 1000
    streams = {
        "Customer": sandbox.state.stream("quickbooks", "customers"),
        "Invoice": sandbox.state.stream("quickbooks", "invoices"),
    }
    every_change = {("Customer", i) for i in changed["customers"]} | {("Invoice", i) for i in changed["invoices"]}
    assert returned < every_change
    newest_returned = max(streams[name].updated_ms[i] for name, i in returned)
    assert all(streams[name].updated_ms[i] >= newest_returned for name, i in every_change - returned)


def test_creates_are_idempotent_per_requestid(
    sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str]
) -> None:
    body = {
        "CustomerRef": {"value": "1"},
        "PrivateNote": "Onboarding deal 42",
        "Line": [
            {
                "Amount": 1500.0,
                "DetailType": "SalesItemLineDetail",
                "Description": "Implementation",
                "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}},
            }
        ],
    }
    url = quickbooks_url(sandbox, "invoice")
    first = http.post(url, params={"requestid": "deal-42", "minorversion": "75"}, json=body, headers=qbo)
    again = http.post(url, params={"requestid": "deal-42", "minorversion": "75"}, json=body, headers=qbo)
    assert first.status_code == 200 and first.json()["Invoice"] == again.json()["Invoice"]
    invoice = first.json()["Invoice"]
    assert invoice["TotalAmt"] == 1500.0 and invoice["Balance"] == 1500.0 and invoice["CustomerRef"]["value"] == "1"
    assert [w["Id"] for w in sandbox.state.writes()["quickbooks_invoices"]] == [invoice["Id"]]
    other = http.post(url, params={"requestid": "deal-43"}, json=body, headers=qbo)
    assert other.json()["Invoice"]["Id"] != invoice["Id"]


def test_creates_validate_references_and_names(
    sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str]
) -> None:
    unknown = http.post(
        quickbooks_url(sandbox, "invoice"),
        json={"CustomerRef": {"value": "999999"}, "Line": [{"Amount": 1.0, "DetailType": "SalesItemLineDetail"}]},
        headers=qbo,
    )
    assert unknown.status_code == 400 and unknown.json()["Fault"]["Error"][0]["code"] == "2500"
    duplicate = http.post(quickbooks_url(sandbox, "customer"), json={"DisplayName": "Acme Corp"}, headers=qbo)
    assert duplicate.status_code == 400 and duplicate.json()["Fault"]["Error"][0]["code"] == "6240"
    created = http.post(
        quickbooks_url(sandbox, "customer"),
        params={"requestid": "new-1"},
        json={"DisplayName": "Brand New Ltd", "PrimaryEmailAddr": {"Address": "ap@brandnew.io"}},
        headers=qbo,
    ).json()["Customer"]
    assert created["DisplayName"] == "Brand New Ltd"
    fetched = http.get(quickbooks_url(sandbox, f"customer/{created['Id']}"), headers=qbo).json()["Customer"]
    assert fetched == created


def test_sparse_customer_updates_check_the_sync_token_and_replay_per_requestid(
    sandbox: SandboxServer, http: requests.Session, qbo: dict[str, str]
) -> None:
    customer = sandbox.state.stream("quickbooks", "customers").get("2")
    url, token = quickbooks_url(sandbox, "customer"), customer["SyncToken"]
    body = {"Id": "2", "SyncToken": token, "sparse": True, "Notes": "GC-0000000042"}
    params = {"requestid": "wb-1", "minorversion": "75"}
    first = http.post(url, params=params, json=body, headers=qbo)
    assert first.status_code == 200, first.text
    updated = first.json()["Customer"]
    assert updated["Notes"] == "GC-0000000042" and updated["SyncToken"] == str(int(token) + 1)
    assert updated["DisplayName"] == customer["DisplayName"]  # sparse: fields left out keep their values
    writes = len(sandbox.state.write_log)
    replay = http.post(url, params=params, json={**body, "Notes": "other"}, headers=qbo)
    assert replay.status_code == 200 and replay.json() == first.json() and len(sandbox.state.write_log) == writes

    stale = http.post(url, params={"requestid": "wb-2"}, json={**body, "Notes": "late"}, headers=qbo)
    error = stale.json()["Fault"]["Error"][0]
    assert stale.status_code == 400 and error["code"] == "5010" and error["Message"] == "Stale Object Error"
    read_only = {**body, "SyncToken": updated["SyncToken"], "Balance": 0}
    assert http.post(url, json=read_only, headers=qbo).json()["Fault"]["Error"][0]["code"] == "2010"
    assert http.post(url, json={**body, "sparse": False}, headers=qbo).status_code == 400
    assert sandbox.state.stream("quickbooks", "customers").get("2")["Notes"] == "GC-0000000042"
