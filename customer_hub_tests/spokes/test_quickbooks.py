"""QuickBooks Online connector against the sandbox: query and CDC reads, rotating OAuth tokens, idempotent writes.

The sandbox retires each refresh token when it is used, so every test here shares one hub store per module
(where the connector keeps the newest token), just as successive production runs share the hub database.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pandas as pd
import pytest
from sqlalchemy import select

from customer_hub.config import SyncConfig, load_config
from customer_hub.resolution import resolve
from customer_hub.sandbox import SANDBOX_IDS
from customer_hub.spokes.http import ToolAuthError, ToolNotFoundError
from customer_hub.spokes.quickbooks import (
    QuickBooksConnector,
    customer_to_canonical,
    invoice_to_canonical,
    purchase_to_canonical,
)
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for
from customer_hub.store.landing import landed
from customer_hub.store.schema import oauth_tokens
from customer_hub_tests.contracts.spec_validation import require_specs, validate_request
from customer_hub_tests.spokes.conftest import sandbox_admin

SYNC = SyncConfig(timeout_seconds=10, max_retries=2, backoff_seconds=0.001, max_backoff_seconds=0.01, overlap_minutes=0)
ENTITY = {"customers": "Customer", "invoices": "Invoice"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return engine_for(f"sqlite:///{tmp_path_factory.mktemp('quickbooks')}/hub.db")


@pytest.fixture
def system(sandbox, monkeypatch):
    system = load_config().systems["quickbooks"]
    monkeypatch.delenv(system.base_url_env, raising=False)
    monkeypatch.setenv(system.settings["token_url_env"], sandbox.url + SANDBOX_IDS["quickbooks_token_path"])
    unpaced = {**system.settings, "requests_per_second": 0}  # the sandbox here has no rate limit to keep to
    return system.model_copy(update={"base_url": sandbox.base_url("quickbooks"), "settings": unpaced})


def _credentials(**overrides: str) -> dict[str, str]:
    return {
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "refresh_token": SANDBOX_IDS["quickbooks_refresh_token"],
        "realm_id": SANDBOX_IDS["quickbooks_realm_id"],
        **overrides,
    }


@pytest.fixture
def connector(system, store) -> QuickBooksConnector:
    return QuickBooksConnector(system, SYNC, _credentials(), store)


def _stored_token(engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(oauth_tokens.c.refresh_token)).scalar_one_or_none()


def _read(stream_read) -> tuple[list[dict], list[str]]:
    pages = list(stream_read.pages)
    return [r for page in pages for r in page.records], [i for page in pages for i in page.deleted_ids]


@pytest.mark.parametrize("obj", ["customers", "invoices"])
def test_full_read_returns_exactly_the_tools_records(sandbox, connector, obj):
    connector.max_results = 40  # several pages at the sandbox's scale
    read = connector.read_full(obj)
    records, _ = _read(read)

    ids = [connector.source_id(obj, record) for record in records]
    assert len(ids) == len(set(ids)) == sandbox_admin(sandbox, "GET", "counts")["quickbooks"][obj]
    assert set(ids) == set(sandbox.state.stream("quickbooks", obj).records)
    assert read.complete and connector.count(obj) == len(ids)


@pytest.mark.parametrize("obj", ["customers", "invoices"])
def test_incremental_reads_the_changes_through_cdc(sandbox, connector, request_log, obj):
    full = connector.read_full(obj)
    _read(full)
    changed = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.05, "tools": ["quickbooks"]})["quickbooks"]
    request_log.attach(connector)

    read = connector.read_incremental(obj, full.cursor_after)
    records, deleted = _read(read)

    assert {connector.source_id(obj, r) for r in records} >= set(changed[obj])
    assert len(records) == len({connector.source_id(obj, r) for r in records})
    assert deleted == [] and not read.complete
    sent = [r.request.path_url.split("?")[0].rsplit("/", 1)[-1] for r in request_log.exchanges]
    assert sent[0] == "cdc" and set(sent[1:]) <= ({"query"} if obj == "customers" else set())  # balance re-reads
    assert f"entities={ENTITY[obj]}" in request_log.exchanges[0].request.path_url
    assert read.cursor_after >= full.cursor_after


def test_customer_balances_equal_the_tools_after_invoices_are_paid(sandbox, system, store):
    engine = store  # holds the rotated refresh token
    connector = QuickBooksConnector(system, SYNC, _credentials(), engine)
    for obj in connector.objects:
        sync_stream(engine, connector, obj)
    customers = sandbox.state.stream("quickbooks", "customers")
    before = {i: c["Balance"] for i, c in customers.records.items()}
    sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.1, "tools": ["quickbooks"]})  # pays open invoices
    moved = {i for i, c in customers.records.items() if c["Balance"] != before[i]}

    for obj in connector.objects:
        sync_stream(engine, connector, obj)

    assert moved  # some customers' balances changed without the customer changing
    hub = {row["source_id"]: row["fields"]["balance"] for row in landed(engine, "quickbooks", "customers")}
    assert hub == {i: float(c["Balance"]) for i, c in customers.records.items() if c.get("Active", True)}


def test_a_full_read_pages_by_id_so_a_change_while_paging_neither_repeats_nor_skips(sandbox, connector):
    connector.max_results = 40
    read = connector.read_full("customers")
    ids = []
    for number, page in enumerate(read.pages):
        ids += [connector.source_id("customers", record) for record in page.records]
        if number == 0:  # a bookkeeper edits customers while the read pages
            sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.2, "tools": ["quickbooks"]})

    assert len(ids) == len(set(ids)) and set(ids) == set(sandbox.state.stream("quickbooks", "customers").records)


def test_a_cursor_beyond_the_30_day_look_back_reads_in_full(sandbox, connector, request_log):
    request_log.attach(connector)
    old = (datetime.now(UTC) - timedelta(days=31)).isoformat()

    read = connector.read_incremental("customers", old)
    records, _ = _read(read)

    assert read.complete and len(records) == len(sandbox.state.stream("quickbooks", "customers"))
    assert all("/cdc" not in r.request.path_url for r in request_log.exchanges)


def test_a_cdc_answer_at_its_object_limit_falls_back_to_a_full_read(sandbox, connector):
    full = connector.read_full("invoices")
    _read(full)
    changed = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.1, "tools": ["quickbooks"]})["quickbooks"]
    connector.max_results = len(changed["invoices"]) // 2  # stands in for QuickBooks' 1,000

    read = connector.read_incremental("invoices", full.cursor_after)
    records, _ = _read(read)

    assert read.complete and len(records) == len(sandbox.state.stream("quickbooks", "invoices"))


def test_rotated_refresh_token_is_stored_and_reused_by_the_next_instance(system, store):
    first = QuickBooksConnector(system, SYNC, _credentials(), store)
    assert first.count("customers") > 0
    rotated = _stored_token(store)
    assert rotated and rotated != SANDBOX_IDS["quickbooks_refresh_token"]

    # A later run starts with the environment's original, long retired token: the stored one carries it.
    second = QuickBooksConnector(system, SYNC, _credentials(), store)
    assert second.count("invoices") > 0
    assert _stored_token(store) not in (None, rotated)


def test_a_rejected_refresh_token_names_the_variable_and_how_to_reauthorise(system, store, tmp_path, monkeypatch):
    monkeypatch.setattr("customer_hub.spokes.quickbooks_auth._sleep", lambda _seconds: None)
    QuickBooksConnector(system, SYNC, _credentials(), store).count("customers")  # the initial token is now retired
    fresh_store = engine_for(f"sqlite:///{tmp_path}/hub.db")
    connector = QuickBooksConnector(system, SYNC, _credentials(), fresh_store)

    with pytest.raises(ToolAuthError, match="QUICKBOOKS_REFRESH_TOKEN") as raised:
        connector.count("customers")
    assert "re-authorise" in str(raised.value)


def test_an_unknown_realm_names_the_realm_setting(system, store):
    connector = QuickBooksConnector(system, SYNC, _credentials(realm_id="123"), store)
    with pytest.raises(ToolNotFoundError, match="QUICKBOOKS_REALM_ID"):
        connector.count("customers")


def test_create_invoice_twice_with_one_request_id_makes_one_invoice(sandbox, connector):
    customer = next(iter(sandbox.state.stream("quickbooks", "customers")))
    doc_number = f"ONB-{uuid.uuid4().hex[:8]}"
    assert connector.find_invoice(doc_number) is None
    written_before = len(sandbox_admin(sandbox, "GET", "writes")["quickbooks_invoices"])

    first = connector.create_invoice(customer["Id"], 1250.0, "Onboarding", "req-onb-1", doc_number=doc_number)
    again = connector.create_invoice(customer["Id"], 1250.0, "Onboarding", "req-onb-1", doc_number=doc_number)

    assert first["Id"] == again["Id"] and first["TotalAmt"] == 1250.0
    assert len(sandbox_admin(sandbox, "GET", "writes")["quickbooks_invoices"]) == written_before + 1
    assert connector.find_invoice(doc_number)["Id"] == first["Id"]


def test_find_or_create_a_customer_by_display_name(connector):
    name = f"O'Brien Holdings {uuid.uuid4().hex[:6]}"  # a quote, as real names have
    assert connector.find_customer_by_name(name) is None

    created = connector.create_customer(name, "ap@obrien.example", "req-cust-1")

    assert connector.find_customer_by_name(name)["Id"] == created["Id"]
    assert connector.create_customer(name, "ap@obrien.example", "req-cust-1")["Id"] == created["Id"]


def test_customer_mapping_tells_a_person_from_a_company():
    person = customer_to_canonical(
        {
            "Id": "7",
            "DisplayName": "Jane Doe",
            "GivenName": "Jane",
            "FamilyName": "Doe",
            "PrimaryEmailAddr": {"Address": "jane@doe.example, billing@doe.example"},
            "BillAddr": {"Line1": "1 Main St", "City": "Portland", "PostalCode": "97201", "Country": "US"},
            "Balance": 120.5,
        }
    )
    company = customer_to_canonical({"Id": "8", "DisplayName": "Acme Corp", "CompanyName": "Acme Corporation"})

    assert (person["full_name"], person["company_name"], person["is_account_only"]) == ("Jane Doe", None, False)
    assert person["email"] == "jane@doe.example" and person["balance"] == 120.5
    assert (person["street"], person["city"], person["postcode"]) == ("1 Main St", "Portland", "97201")
    assert company["company_name"] == "Acme Corporation" and company["is_account_only"] is True
    assert company["shared_keys"] == "quickbooks_customer:8"


def test_a_sub_customer_is_its_parents_account_not_a_company_named_after_the_job():
    payload = {
        "Id": "9",
        "DisplayName": "London office",
        "FullyQualifiedName": "Acme Corp:London office",
        "Job": True,
        "ParentRef": {"value": "8"},
        "Level": 1,
    }
    job = customer_to_canonical(payload)
    assert job["shared_keys"] == "quickbooks_customer:9;quickbooks_customer:8"
    assert (job["company_name"], job["is_account_only"]) == (None, True)
    assert (job["parent_customer_id"], job["full_display_name"]) == ("8", "Acme Corp:London office")
    assert customer_to_canonical({**payload, "CompanyName": "Acme Corporation"})["company_name"] == "Acme Corporation"
    assert "parent_customer_id" not in customer_to_canonical({"Id": "8", "DisplayName": "Acme Corp"})


def test_jobs_with_one_name_under_two_companies_each_stay_with_their_own_company():
    payloads = {
        "8": {"Id": "8", "DisplayName": "Acme Corp"},
        "9": {"Id": "9", "DisplayName": "London office", "Job": True, "ParentRef": {"value": "8"}},
        "20": {"Id": "20", "DisplayName": "Globex Ltd"},
        "21": {"Id": "21", "DisplayName": "London office (2)", "Job": True, "ParentRef": {"value": "20"}},
    }
    rows = [{"record_id": f"customers:{key}", **customer_to_canonical(value)} for key, value in payloads.items()]
    invoice = invoice_to_canonical({"Id": "130", "CustomerRef": {"value": "21"}, "TotalAmt": 90.0, "Balance": 90.0})
    rows.append({"record_id": "invoices:130", **invoice})
    resolved = resolve(pd.DataFrame(rows))
    customer = dict(zip(resolved["record_id"], resolved["golden_customer_id"], strict=True))
    assert customer["customers:9"] == customer["customers:8"]
    assert customer["invoices:130"] == customer["customers:21"] == customer["customers:20"]
    assert customer["customers:9"] != customer["customers:21"]


def test_invoice_mapping_links_the_customer():
    fields = invoice_to_canonical(
        {
            "Id": "130",
            "DocNumber": "1037",
            "CustomerRef": {"value": "8", "name": "Acme Corp"},
            "TotalAmt": 500.0,
            "Balance": 0,
            "DueDate": "2026-02-01",
            "TxnDate": "2026-01-02",
        }
    )
    assert fields["shared_keys"] == "quickbooks_customer:8" and fields["is_account_only"] is True
    assert (fields["doc_number"], fields["total_amount"], fields["balance"], fields["status"]) == (
        "1037",
        500.0,
        0.0,
        "paid",
    )


def test_a_purchase_paid_to_an_employee_has_no_vendor_by_rule_which_a_lost_payee_does_not_explain():
    rules = QuickBooksConnector.empty_by_rule["purchases"]
    employee = purchase_to_canonical({"EntityRef": {"type": "Employee", "value": "55", "name": "Ann Lee"}})
    vendor = purchase_to_canonical({"EntityRef": {"type": "Vendor", "value": "56", "name": "Slack"}})
    lost = purchase_to_canonical({"Payee": {"type": "Vendor", "value": "56", "name": "Slack"}})  # EntityRef renamed

    assert set(rules) == {"vendor_id", "vendor_name"}
    assert all(employee[name] is None and rule(employee) for name, rule in rules.items())
    assert all(vendor[name] and not rule(vendor) for name, rule in rules.items())
    assert all(lost[name] is None and not rule(lost) for name, rule in rules.items())


def test_requests_and_created_entities_match_intuits_schema(sandbox, connector, request_log):
    require_specs()
    request_log.attach(connector)
    full = connector.read_full("customers")
    _read(full)
    _read(connector.read_incremental("customers", full.cursor_after))
    customer = next(iter(sandbox.state.stream("quickbooks", "customers")))
    connector.create_invoice(customer["Id"], 99.5, "Setup fee", f"req-{uuid.uuid4().hex}", doc_number="C-1")

    assert {response.request.method for response in request_log.exchanges} >= {"GET", "POST"}
    for response in request_log.exchanges:
        sent = response.request
        validate_request("quickbooks", sent.method, sent.url, body=sent.body, headers=dict(sent.headers))


@pytest.fixture
def stub_system(stub):
    system = load_config().systems["quickbooks"]
    settings = {**system.settings, "token_url": f"{stub.url}/oauth2/v1/tokens/bearer", "token_url_env": "UNSET_QBO_X"}
    return system.model_copy(update={"base_url": stub.url, "base_url_env": "UNSET_QBO_Y", "settings": settings})


def _token(refresh: str) -> dict:
    return {"access_token": f"access-for-{refresh}", "refresh_token": refresh, "expires_in": 3600}


def _sent_refresh_tokens(stub) -> list[str]:
    return [parse_qs(r.body.decode())["refresh_token"][0] for r in stub.requests if r.path.endswith("/bearer")]


def test_a_rejected_stored_token_falls_back_to_the_environments_once(stub, stub_system, hub_engine, monkeypatch):
    monkeypatch.setattr("customer_hub.spokes.quickbooks_auth._sleep", lambda _seconds: None)
    store = hub_engine
    with store.begin() as conn:
        conn.execute(
            oauth_tokens.insert().values(tool="quickbooks", refresh_token="revoked", rotated_at=datetime.now(UTC))
        )
    stub.queue(400, {"error": "invalid_grant"})
    stub.queue(body=_token("rotated-1"))
    stub.queue(body={"QueryResponse": {"totalCount": 3}})

    connector = QuickBooksConnector(stub_system, SYNC, _credentials(refresh_token="re-authorised"), store)

    assert connector.count("customers") == 3
    assert _sent_refresh_tokens(stub) == ["revoked", "re-authorised"]
    assert _stored_token(store) == "rotated-1"


def test_a_token_rotated_by_a_concurrent_run_is_picked_up(stub, stub_system, tmp_path, monkeypatch):
    store = engine_for(f"sqlite:///{tmp_path}/hub.db")
    with store.begin() as conn:
        conn.execute(oauth_tokens.insert().values(tool="quickbooks", refresh_token="t1", rotated_at=datetime.now(UTC)))

    def other_run_commits(_seconds: float) -> None:
        with store.begin() as conn:
            conn.execute(oauth_tokens.update().values(refresh_token="t2"))

    monkeypatch.setattr("customer_hub.spokes.quickbooks_auth._sleep", other_run_commits)
    stub.queue(400, {"error": "invalid_grant"})  # t1 was just spent by the other run
    stub.queue(body=_token("t3"))
    stub.queue(body={"QueryResponse": {"totalCount": 1}})

    assert QuickBooksConnector(stub_system, SYNC, _credentials(), store).count("invoices") == 1
    assert _sent_refresh_tokens(stub) == ["t1", "t2"] and _stored_token(store) == "t3"


def test_an_access_token_refused_by_the_api_is_refreshed_once(stub, stub_system, tmp_path):
    store = engine_for(f"sqlite:///{tmp_path}/hub.db")
    stub.queue(body=_token("r1"))
    stub.queue(401, {"Fault": {"Error": [{"Message": "AuthenticationFailed"}], "type": "AUTHENTICATION"}})
    stub.queue(body=_token("r2"))
    stub.queue(body={"QueryResponse": {"totalCount": 5}}, times=2)
    connector = QuickBooksConnector(stub_system, SYNC, _credentials(), store)

    assert connector.count("customers") == 5
    api_auth = [r.headers["Authorization"] for r in stub.requests if "/query" in r.path]
    assert api_auth == ["Bearer access-for-r1", "Bearer access-for-r2"]
    assert _stored_token(store) == "r2"
    connector.count("customers")  # the cached access token is reused: no further refresh
    assert len(_sent_refresh_tokens(stub)) == 2


def test_requests_keep_to_500_a_minute_without_waiting_for_429s(stub, stub_system, tmp_path):
    """QuickBooks sends no rate-limit headers: the client spaces requests at its documented 500 a minute."""
    stub.queue(body=_token("t1"))
    stub.queue(body={"QueryResponse": {"totalCount": 1}}, times=3)
    connector = QuickBooksConnector(stub_system, SYNC, _credentials(), engine_for(f"sqlite:///{tmp_path}/hub.db"))
    for _ in range(3):
        connector.count("customers")
    api = [at for at, seen in zip(stub.arrived, stub.requests, strict=True) if not seen.path.endswith("/bearer")]
    assert len(api) == 3 and api[-1] - api[0] >= 2 * 60 / 500 - 0.01
