"""Intercom connector against the sandbox: complete full reads, day-granular incremental search, errors, mapping."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pandas as pd
import pytest

from customer_hub.config import SyncConfig, load_config
from customer_hub.resolution import resolve
from customer_hub.sandbox.clock import BASE_TIME
from customer_hub.spokes.http import ToolAuthError
from customer_hub.spokes.intercom import IntercomConnector, contact_to_canonical, conversation_to_canonical
from customer_hub_tests.contracts.spec_validation import require_specs, validate_request
from customer_hub_tests.spokes.conftest import sandbox_admin

SYNC = SyncConfig(timeout_seconds=10, max_retries=2, backoff_seconds=0.001, max_backoff_seconds=0.01, overlap_minutes=0)


@pytest.fixture
def system(sandbox, monkeypatch):
    system = load_config().systems["intercom"]
    monkeypatch.delenv(system.base_url_env, raising=False)
    return system.model_copy(update={"base_url": sandbox.base_url("intercom")})


@pytest.fixture
def connector(system) -> IntercomConnector:
    return IntercomConnector(system, SYNC, {"access_token": "sandbox-token"})


def _read(stream_read) -> list[dict]:
    return [record for page in stream_read.pages for record in page.records]


@pytest.mark.parametrize("obj", ["contacts", "conversations"])
def test_full_read_returns_exactly_the_tools_records(sandbox, connector, obj):
    read = connector.read_full(obj)
    records = _read(read)

    ids = [connector.source_id(obj, record) for record in records]
    assert len(ids) == len(set(ids)) == sandbox_admin(sandbox, "GET", "counts")["intercom"][obj]
    assert set(ids) == set(sandbox.state.stream("intercom", obj).records)
    assert read.complete and read.cursor_after
    assert connector.count(obj) == len(ids)


@pytest.mark.parametrize("obj", ["contacts", "conversations"])
def test_incremental_returns_the_changed_records_once_without_the_day_overlap(sandbox, connector, request_log, obj):
    records = sandbox.state.stream("intercom", obj)
    # A cursor just after a seeded record updated earlier that day: the day-granular search serves it again.
    seeded = (r["updated_at"] for r in records if r["updated_at"] < BASE_TIME and r["updated_at"] % 86400 < 82800)
    earlier = sorted(seeded, reverse=True)[10]
    cursor = datetime.fromtimestamp(earlier + 1, UTC).isoformat()
    changed = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.05, "tools": ["intercom"]})["intercom"][obj]
    request_log.attach(connector)

    read = connector.read_incremental(obj, cursor)
    ids = [connector.source_id(obj, record) for record in _read(read)]

    expected = {record["id"] for record in records if record["updated_at"] >= earlier + 1}
    assert set(changed) <= set(ids)
    assert sorted(ids) == sorted(expected)  # each once, and nothing the day-granular filter let through
    served = [r["id"] for x in request_log.exchanges for r in x.json()["data" if obj == "contacts" else obj]]
    assert str(_id_updated_at(records, earlier)) in served and len(served) > len(ids)
    assert not read.complete
    assert read.cursor_after > cursor


def test_search_query_reaches_back_a_day_for_the_day_granular_filter(connector, request_log):
    request_log.attach(connector)
    _read(connector.read_incremental("contacts", "2026-03-10T15:30:00+00:00"))

    body = json.loads(request_log.exchanges[0].request.body)
    assert body["query"] == {"field": "updated_at", "operator": ">", "value": 1773156600 - 86400 - 3600}
    assert request_log.exchanges[0].request.headers["Intercom-Version"] == "2.16"


def test_a_record_served_twice_is_kept_once_in_its_newest_version(stub):
    system = load_config().systems["intercom"].model_copy(update={"base_url": stub.url, "base_url_env": "UNSET_X"})
    connector = IntercomConnector(system, SYNC, {"access_token": "t"})
    page = {"type": "list", "total_count": 3, "pages": {"type": "pages", "next": {"starting_after": "c2"}}}
    stub.queue(body={**page, "data": [{"id": "1", "updated_at": 1773200000}, {"id": "2", "updated_at": 1773200001}]})
    stub.queue(body={"type": "list", "total_count": 3, "data": [{"id": "1", "updated_at": 1773200500}]})

    records = _read(connector.read_incremental("contacts", "2026-03-10T00:00:00+00:00"))

    assert sorted((r["id"], r["updated_at"]) for r in records) == [("1", 1773200500), ("2", 1773200001)]


def test_a_rejected_token_names_the_environment_variable(system):
    connector = IntercomConnector(system, SYNC, {"access_token": ""})
    with pytest.raises(ToolAuthError, match="INTERCOM_ACCESS_TOKEN"):
        _read(connector.read_full("contacts"))


def test_contact_mapping_splits_the_name_and_keys_the_contact():
    fields = contact_to_canonical(
        {
            "id": "c9",
            "role": "lead",
            "name": "Ada King Lovelace",
            "email": "ada@example.com",
            "phone": "+44 20 7946 0000",
            "last_seen_at": 1773156600,
            "location": {"city": "London", "country": "United Kingdom"},
            "companies": {"data": [{"id": "co1", "type": "company", "name": "Analytical Engines Ltd"}]},
        }
    )
    assert (fields["first_name"], fields["last_name"], fields["full_name"]) == (
        "Ada",
        "King Lovelace",
        "Ada King Lovelace",
    )
    assert fields["company_name"] == "Analytical Engines Ltd"
    assert fields["role"] == "lead" and fields["last_seen_at"] == "2026-03-10T15:30:00+00:00"
    assert fields["shared_keys"] == "intercom_contact:c9;intercom_company:co1" and fields["is_account_only"] is False


def test_colleagues_on_free_mail_share_an_account_through_their_intercom_company_but_an_agency_joins_none():
    def contact(contact_id: str, name: str, email: str, *companies: str) -> dict:
        data = [{"type": "company", "id": company, "url": f"/companies/{company}"} for company in companies]
        payload = {"id": contact_id, "role": "user", "name": name, "email": email,
                   "companies": {"type": "list", "data": data, "total_count": len(data)}}  # fmt: skip
        return {"record_id": f"intercom:contacts:{contact_id}", **contact_to_canonical(payload)}

    records = pd.DataFrame(
        [
            contact("1", "Grace Hopper", "grace.hopper@gmail.com", "co-navy"),
            contact("2", "Alan Turing", "alan.turing@outlook.com", "co-navy"),
            contact("3", "Ada Lovelace", "ada.lovelace@gmail.com", "co-engines"),
            contact("4", "Kim Agency", "kim@agency.example", "co-navy", "co-engines"),
        ]
    )
    customer = resolve(records).set_index("record_id")["golden_customer_id"]
    assert customer["intercom:contacts:1"] == customer["intercom:contacts:2"]
    assert len({customer["intercom:contacts:1"], customer["intercom:contacts:3"], customer["intercom:contacts:4"]}) == 3


def test_conversation_joins_its_contacts_account():
    fields = conversation_to_canonical(
        {
            "id": "77",
            "state": "open",
            "created_at": 1773000000,
            "updated_at": 1773156600,
            "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c9"}]},
        }
    )
    assert fields["shared_keys"] == "intercom_contact:c9"
    assert fields["is_account_only"] is True and fields["email"] is None
    assert fields["state"] == "open" and fields["last_conversation_at"] == "2026-03-10T15:30:00+00:00"


def _id_updated_at(records, updated_at: int) -> str:
    return next(record["id"] for record in records if record["updated_at"] == updated_at)


def test_requests_match_intercoms_published_spec(connector, request_log):
    require_specs()
    request_log.attach(connector)
    for obj in connector.objects:
        _read(connector.read_full(obj))
        _read(connector.read_incremental(obj, "2025-12-20T00:00:00+00:00"))
        connector.count(obj)

    assert {r.request.method for r in request_log.exchanges} == {"GET", "POST"}
    for response in request_log.exchanges:
        sent = response.request
        validate_request("intercom", sent.method, sent.url, body=sent.body, headers=dict(sent.headers))


def test_full_read_survives_failing_and_malformed_pages(sandbox, system, no_sleep):
    connector = IntercomConnector(system, SYNC.model_copy(update={"max_retries": 8}), {"access_token": "t"})
    faults = {"intercom": {"error_rate": 0.25, "timeout_seconds": 0.05, "malformed_page": 2}}
    sandbox_admin(sandbox, "POST", "faults", faults)
    try:
        ids = {connector.source_id("contacts", r) for r in _read(connector.read_full("contacts"))}
    finally:
        sandbox_admin(sandbox, "DELETE", "faults")

    assert ids == set(sandbox.state.stream("intercom", "contacts").records)
    assert connector.client.stats.retries >= 2


def test_an_unreadable_cursor_says_how_to_reset_it():
    from customer_hub.spokes.intercom import _parse_cursor

    assert _parse_cursor("2026-01-15T12:00:00") == datetime(2026, 1, 15, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match="mode=full"):
        _parse_cursor("not-a-time")


def _change(sandbox, contact_id: str) -> None:
    from customer_hub.sandbox.mutation import CHANGERS

    stream = sandbox.state.stream("intercom", "contacts")
    with sandbox.state.lock:
        now_ms = sandbox.state.clock.now_ms()
        CHANGERS[("intercom", "contacts")](sandbox.state, stream.records[contact_id], now_ms)
        stream.touch(contact_id, now_ms)


def test_a_change_on_a_page_already_read_is_seen_by_the_next_incremental_read(sandbox, connector):
    read = connector.read_full("contacts")
    pages = iter(read.pages)
    already_read = next(pages).records[0]["id"]
    last_page = sandbox.state.stream("intercom", "contacts").order[-1]
    _change(sandbox, already_read)  # a support agent edits contacts while the read pages
    time.sleep(1.05)  # Intercom keeps seconds: the later change must be a later second
    _change(sandbox, last_page)
    rest = [record["id"] for page in pages for record in page.records]

    incremental = [record["id"] for record in _read(connector.read_incremental("contacts", read.cursor_after))]

    assert last_page in rest
    assert {already_read, last_page} <= set(incremental)


def test_an_empty_page_that_names_a_next_page_is_followed(sandbox, connector):
    sandbox_admin(sandbox, "POST", "faults", {"intercom": {"empty_page": 2}})
    try:
        records = _read(connector.read_full("contacts"))
    finally:
        sandbox_admin(sandbox, "DELETE", "faults")

    assert len(records) == len(sandbox.state.stream("intercom", "contacts"))
