"""Google Sheets connector: the tracker read whole, header-named columns, stable row keys, hash-based increments."""

from __future__ import annotations

import json

import pytest

from customer_hub.config import SyncConfig, load_config
from customer_hub.local_env import sandbox_google_key
from customer_hub.sandbox import SANDBOX_IDS
from customer_hub.spokes.http import ToolAuthError, ToolNotFoundError
from customer_hub.spokes.sheets import SheetsConnector, column_names, row_to_canonical, rows_to_records
from customer_hub_tests.contracts.spec_validation import require_specs, validate_request
from customer_hub_tests.spokes.conftest import sandbox_admin

SYNC = SyncConfig(timeout_seconds=10, max_retries=2, backoff_seconds=0.001, max_backoff_seconds=0.01)


@pytest.fixture
def system(sandbox, monkeypatch):
    system = load_config().systems["sheets"]
    monkeypatch.delenv(system.base_url_env, raising=False)
    settings = {"spreadsheet_id": SANDBOX_IDS["sheets_spreadsheet_id"], "range": SANDBOX_IDS["sheets_range"]}
    return system.model_copy(update={"base_url": sandbox.base_url("sheets"), "settings": settings})


@pytest.fixture
def key(sandbox) -> str:
    """A service-account key the sandbox made, as the JSON text the environment variable holds."""
    return sandbox_google_key(sandbox.url)


@pytest.fixture
def connector(system, key) -> SheetsConnector:
    return SheetsConnector(system, SYNC, {"service_account_key": key})


def _read(stream_read) -> list[dict]:
    return [record for page in stream_read.pages for record in page.records]


def test_full_read_returns_every_row_of_the_tracker(sandbox, connector, request_log):
    request_log.attach(connector)
    read = connector.read_full("implementations")
    records = _read(read)

    rows = {str(record["_row"]) for record in records}
    assert rows == set(sandbox.state.stream("sheets", "implementations").records)
    assert len(records) == sandbox_admin(sandbox, "GET", "counts")["sheets"]["implementations"]
    ids = [connector.source_id("implementations", record) for record in records]
    assert len(set(ids)) == len(ids)
    assert read.complete and read.cursor_after
    assert connector.count("implementations") == len(records)
    assert "/values/Implementations%21A1%3AG" in request_log.exchanges[0].request.path_url


def test_row_keys_survive_a_row_being_inserted_above():
    header = ["Customer", "Contact email", "Domain"]
    before = rows_to_records([header, ["Acme", "a@acme.com", "acme.com"], ["Beta", "b@beta.io"]])
    after = rows_to_records([header, ["New Co", "n@new.co", "new.co"], *[r[:3] for r in _values(before)]])

    assert [r["_id"] for r in before] == ["domain:acme.com", "email:b@beta.io"]
    assert {r["_id"] for r in after} == {"domain:new.co", "domain:acme.com", "email:b@beta.io"}


def test_incremental_lands_nothing_for_an_unchanged_sheet_and_everything_after_a_change(sandbox, connector):
    full = connector.read_full("implementations")
    _read(full)

    unchanged = connector.read_incremental("implementations", full.cursor_after)
    assert _read(unchanged) == [] and not unchanged.complete and unchanged.cursor_after == full.cursor_after

    changed_rows = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.05, "tools": ["sheets"]})["sheets"]
    changed = connector.read_incremental("implementations", full.cursor_after)
    records = _read(changed)
    assert changed.complete and changed.cursor_after != full.cursor_after
    assert {str(r["_row"]) for r in records} >= set(changed_rows["implementations"])


def test_header_becomes_snake_case_columns_and_short_rows_are_padded():
    values = [
        ["Customer", "Contact email", "Domain", "Stage", "Go-live date", "CSM", "Notes"],
        ["ACME Corp", "wile.coyote@acme.com", "https://www.Acme.com/", "Live", "2025-02-03", "Dana"],
        ["Beta LLC", "", "", "Kickoff"],
        [],
        ["", "", "", ""],
    ]
    records = rows_to_records(values)

    assert column_names(values[0]) == ["customer", "contact_email", "domain", "stage", "go_live_date", "csm", "notes"]
    assert len(records) == 2  # blank rows are skipped
    assert records[1] == {
        "customer": "Beta LLC",
        "contact_email": "",
        "domain": "",
        "stage": "Kickoff",
        "go_live_date": "",
        "csm": "",
        "notes": "",
        "_row": 3,
        "_id": "name:beta llc",
    }
    assert records[0]["_id"] == "domain:acme.com"
    fields = row_to_canonical(records[0])
    assert (fields["company_name"], fields["email"], fields["company_domain"]) == (
        "ACME Corp",
        "wile.coyote@acme.com",
        "https://www.Acme.com/",
    )
    assert (fields["implementation_status"], fields["go_live_date"], fields["csm"]) == ("Live", "2025-02-03", "Dana")
    assert fields["is_account_only"] is True


def test_duplicate_and_blank_headers_and_repeated_customers_stay_apart():
    records = rows_to_records([["Customer", "Customer", ""], ["Acme", "x", "y"], ["Acme", "z"]])
    assert list(records[0])[:3] == ["customer", "customer_2", "column_3"]
    assert [r["_id"] for r in records] == ["name:acme", "name:acme#2"]


def test_an_expired_token_is_replaced_by_exchanging_the_key_again(sandbox, connector):
    before = len(_read(connector.read_full("implementations")))
    sandbox_admin(sandbox, "POST", "google/tokens", {"expire_granted": True})  # an hour later

    after = _read(connector.read_full("implementations"))

    assert len(after) == before
    assert connector.client.stats.by_status["401"] == 1  # refused once, then a fresh token
    assert connector.auth.exchanges == 2


def test_a_key_file_path_works_like_the_keys_json(system, key, tmp_path):
    path = tmp_path / "service-account.json"
    path.write_text(key)

    assert SheetsConnector(system, SYNC, {"service_account_key": str(path)}).count("implementations") > 0


def test_a_key_google_did_not_issue_is_refused_and_names_the_environment_variable(system, key):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    forged = json.loads(key)
    forged["private_key"] = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    connector = SheetsConnector(system, SYNC, {"service_account_key": json.dumps(forged)})

    with pytest.raises(ToolAuthError, match="GOOGLE_SHEETS_SERVICE_ACCOUNT_JSON") as raised:
        connector.count("implementations")
    assert "Invalid JWT Signature" in str(raised.value) and "PRIVATE KEY" not in str(raised.value)


@pytest.mark.parametrize("value", ["", "not-a-file.json", '{"type": "authorized_user"}'])
def test_a_missing_or_wrong_key_names_the_environment_variable(system, value):
    with pytest.raises(ToolAuthError, match="GOOGLE_SHEETS_SERVICE_ACCOUNT_JSON"):
        SheetsConnector(system, SYNC, {"service_account_key": value}).count("implementations")


def _values(records: list[dict]) -> list[list[str]]:
    return [[r["customer"], r["contact_email"], r["domain"]] for r in records]


def test_requests_match_the_sheets_discovery_document(connector, request_log):
    require_specs()
    request_log.attach(connector)
    _read(connector.read_full("implementations"))

    sent = request_log.exchanges[0].request
    validate_request("sheets", sent.method, sent.url, headers=dict(sent.headers))


def test_an_unknown_spreadsheet_names_the_setting(system, key):
    wrong = system.model_copy(update={"settings": {**system.settings, "spreadsheet_id": "1NoSuchSheet"}})
    with pytest.raises(ToolNotFoundError, match="spreadsheet_id"):
        SheetsConnector(wrong, SYNC, {"service_account_key": key}).count("implementations")
