"""The sync engine: what lands, what is marked, when the cursor moves; an in-memory tool, then the sandbox."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from sqlalchemy import select

from customer_hub.spokes.base import Page, StreamRead
from customer_hub.spokes.canonical import canonical
from customer_hub.spokes.http import ToolResponseError, ToolUnavailableError
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for
from customer_hub.store.landing import landed, read_cursor, schema_history
from customer_hub.store.schema import landed_records
from customer_hub_tests.spokes.conftest import connector_for, sandbox_admin


class MemoryTool:
    """A tool whose records live in a dict: `updated` is an integer clock, pages hold two records."""

    tool = "memory"
    objects = ("things",)

    def __init__(self, records: dict[str, dict[str, Any]]):
        self.records = records
        self.fail_on_page: int | None = None
        self.deleted_since: list[str] = []

    def _pages(self, records: list[dict[str, Any]], deleted: list[str] | None = None) -> Iterator[Page]:
        for number, start in enumerate(range(0, max(len(records), 1), 2), start=1):
            if self.fail_on_page == number:
                raise ToolUnavailableError(self.tool, "GET /things", "HTTP 503 (gave up after 7 attempts)")
            yield Page(records[start : start + 2], deleted_ids=deleted if number == 1 and deleted else [])

    def read_full(self, obj: str) -> StreamRead:
        ordered = sorted(self.records.values(), key=lambda r: r["id"])
        newest = max((r["updated"] for r in ordered), default=0)
        return StreamRead(pages=self._pages(ordered), cursor_after=str(newest), complete=True)

    def read_incremental(self, obj: str, cursor: str) -> StreamRead:
        changed = sorted((r for r in self.records.values() if r["updated"] > int(cursor)), key=lambda r: r["updated"])
        newest = max((r["updated"] for r in changed), default=int(cursor))
        return StreamRead(pages=self._pages(changed, self.deleted_since), cursor_after=str(newest))

    def count(self, obj: str) -> int:
        return len(self.records)

    def source_id(self, obj: str, payload: dict[str, Any]) -> str:
        return payload["id"]

    def source_updated_at(self, obj: str, payload: dict[str, Any]) -> datetime:
        return datetime.fromtimestamp(1_700_000_000 + payload["updated"], UTC)

    def to_canonical(self, obj: str, payload: dict[str, Any]) -> dict[str, Any]:
        return canonical(email=payload.get("email"), shared_keys=f"memory:{payload['id']}")


def things(n: int) -> dict[str, dict[str, Any]]:
    return {f"t{i:03d}": {"id": f"t{i:03d}", "email": f"p{i}@example.com", "updated": i} for i in range(1, n + 1)}


def rows(engine) -> dict[str, dict[str, Any]]:
    return {row["source_id"]: row for row in landed(engine, "memory", "things", include_deleted=True)}


@pytest.fixture
def engine(sqlite_url):
    return engine_for(sqlite_url)


def test_full_sync_lands_every_record_with_payload_and_canonical_fields(engine):
    tool = MemoryTool(things(5))

    result = sync_stream(engine, tool, "things")

    assert (result.mode_used, result.fetched, result.inserted, result.pages) == ("full", 5, 5, 3)
    assert result.landed_count == result.reported_count == 5
    landed_rows = rows(engine)
    assert landed_rows["t003"]["payload"] == {"id": "t003", "email": "p3@example.com", "updated": 3}
    assert landed_rows["t003"]["fields"]["email"] == "p3@example.com"
    assert landed_rows["t003"]["source_updated_at"] == datetime.fromtimestamp(1_700_000_003, UTC)
    assert read_cursor(engine, "memory", "things").cursor == "5"


def test_auto_mode_reads_incrementally_and_tells_changed_from_unchanged(engine):
    tool = MemoryTool(things(5))
    sync_stream(engine, tool, "things")
    first_changed_at = rows(engine)["t002"]["last_changed_at"]
    tool.records["t002"] = {**tool.records["t002"], "email": "new@example.com", "updated": 6}
    tool.records["t006"] = {"id": "t006", "email": "p6@example.com", "updated": 7}

    result = sync_stream(engine, tool, "things")

    assert (result.mode_used, result.fetched, result.inserted, result.updated) == ("incremental", 2, 1, 1)
    assert result.cursor_before == "5" and result.cursor_after == "7"
    assert rows(engine)["t002"]["fields"]["email"] == "new@example.com"
    assert rows(engine)["t002"]["last_changed_at"] > first_changed_at

    again = sync_stream(engine, tool, "things", mode="full")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6)


def test_a_failure_mid_sync_keeps_landed_pages_and_leaves_the_cursor(engine):
    tool = MemoryTool(things(6))
    sync_stream(engine, tool, "things")
    for key in ("t001", "t002", "t003", "t004"):
        tool.records[key] = {**tool.records[key], "email": f"changed-{key}@example.com", "updated": 10}
    tool.fail_on_page = 2

    with pytest.raises(ToolUnavailableError):
        sync_stream(engine, tool, "things")

    assert read_cursor(engine, "memory", "things").cursor == "6"
    landed_rows = rows(engine)
    assert len(landed_rows) == 6 and all(row["deleted_at"] is None for row in landed_rows.values())
    assert landed_rows["t001"]["fields"]["email"] == "changed-t001@example.com"  # page 1 landed before the failure
    assert landed_rows["t003"]["fields"]["email"] == "p3@example.com"

    tool.fail_on_page = None
    retried = sync_stream(engine, tool, "things")
    assert (retried.fetched, retried.updated, retried.unchanged) == (4, 2, 2)  # re-landing page 1 is idempotent
    assert read_cursor(engine, "memory", "things").cursor == "10"


def test_a_failed_full_read_marks_nothing_deleted(engine):
    tool = MemoryTool(things(6))
    sync_stream(engine, tool, "things")
    tool.fail_on_page = 2

    with pytest.raises(ToolUnavailableError):
        sync_stream(engine, tool, "things", mode="full")
    assert all(row["deleted_at"] is None for row in rows(engine).values())


def test_vanished_records_are_marked_not_deleted_and_restored_when_they_return(engine):
    tool = MemoryTool(things(4))
    sync_stream(engine, tool, "things")
    gone = tool.records.pop("t002")

    result = sync_stream(engine, tool, "things", mode="full")

    assert result.marked_deleted == 1 and result.landed_count == 3
    assert rows(engine)["t002"]["deleted_at"] is not None  # the row is kept, only marked
    tool.records["t002"] = gone
    back = sync_stream(engine, tool, "things", mode="full")
    assert back.restored == 1 and back.landed_count == 4 and rows(engine)["t002"]["deleted_at"] is None


def test_an_empty_full_read_the_tools_count_contradicts_marks_nothing_deleted(engine, monkeypatch):
    tool = MemoryTool(things(4))
    sync_stream(engine, tool, "things")
    monkeypatch.setattr(tool, "read_full", lambda obj: StreamRead(pages=iter([Page([])]), complete=True))

    with pytest.raises(ToolResponseError, match="returned no records, but the hub holds 4 live ones") as raised:
        sync_stream(engine, tool, "things", mode="full")

    assert "reports 4 records" in str(raised.value)
    assert all(row["deleted_at"] is None for row in rows(engine).values())
    tool.records.clear()  # the tool's own count now confirms the stream is empty: believe it
    emptied = sync_stream(engine, tool, "things", mode="full")
    assert emptied.marked_deleted == 4 and emptied.landed_count == 0


def test_deletions_reported_by_an_incremental_read_are_marked(engine):
    tool = MemoryTool(things(3))
    sync_stream(engine, tool, "things")
    tool.records.pop("t003")
    tool.deleted_since = ["t003"]

    result = sync_stream(engine, tool, "things")

    assert result.mode_used == "incremental" and result.marked_deleted == 1
    assert rows(engine)["t003"]["deleted_at"] is not None


def test_schema_snapshots_record_drift_only_when_the_field_set_changes(engine):
    tool = MemoryTool(things(3))
    sync_stream(engine, tool, "things")
    sync_stream(engine, tool, "things", mode="full")
    assert len(schema_history(engine, "memory", "things")) == 1

    tool.records["t001"] = {"id": "t001", "email_address": "p1@example.com", "tier": "gold", "updated": 9}
    sync_stream(engine, tool, "things")

    history = schema_history(engine, "memory", "things")
    assert len(history) == 2
    assert set(history[1]["fields"]) - set(history[0]["fields"]) == {"email_address", "tier"}


def test_an_unknown_stream_or_mode_is_refused(engine):
    tool = MemoryTool(things(1))
    with pytest.raises(ValueError, match="no stream 'widgets'"):
        sync_stream(engine, tool, "widgets")
    with pytest.raises(ValueError, match="mode 'sometimes'"):
        sync_stream(engine, tool, "things", mode="sometimes")  # type: ignore[arg-type]
    with engine.connect() as conn:
        assert conn.execute(select(landed_records)).first() is None


# --- against the sandbox ---------------------------------------------------------------------------------------

SANDBOX_STREAMS = [("hubspot", "contacts"), ("hubspot", "deals"), ("stripe", "customers"), ("stripe", "invoices")]


@pytest.fixture
def hub(sandbox, sqlite_url):
    """A fresh hub store and connectors for HubSpot and Stripe pointed at the shared sandbox; faults off after."""
    engine = engine_for(sqlite_url)
    quick = {"timeout_seconds": 0.5, "max_retries": 10}
    yield engine, {tool: connector_for(sandbox, tool, engine, **quick) for tool in ("hubspot", "stripe")}
    sandbox_admin(sandbox, "DELETE", "faults")


def _live_ids(engine, tool: str, obj: str) -> set[str]:
    return {row["source_id"] for row in landed(engine, tool, obj)}


def test_full_then_incremental_lands_exactly_the_sandboxs_records(hub, sandbox):
    engine, connectors = hub
    for tool, obj in SANDBOX_STREAMS:
        sync_stream(engine, connectors[tool], obj, mode="full")
    changed = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.02, "tools": ["hubspot", "stripe"]})

    results = {(tool, obj): sync_stream(engine, connectors[tool], obj) for tool, obj in SANDBOX_STREAMS}

    counts = sandbox_admin(sandbox, "GET", "counts")
    for (tool, obj), result in results.items():
        assert result.mode_used == "incremental"
        assert result.landed_count == counts[tool][obj], (tool, obj)
        assert result.fetched == len(changed[tool][obj]), (tool, obj)  # only what changed was read
        assert result.updated == len(changed[tool][obj]) and result.inserted == 0
    contacts = {row["source_id"]: row for row in landed(engine, "hubspot", "contacts")}
    changed_contact = contacts[changed["hubspot"]["contacts"][0]]
    assert changed_contact["last_changed_at"] > changed_contact["first_seen_at"]
    assert results[("hubspot", "contacts")].reported_count == counts["hubspot"]["contacts"]


def test_with_thirty_percent_errors_every_record_lands_exactly_once(hub, sandbox):
    engine, connectors = hub
    sandbox_admin(sandbox, "POST", "faults", {"hubspot": {"error_rate": 0.3, "timeout_seconds": 1.0},
                                              "stripe": {"error_rate": 0.3, "timeout_seconds": 1.0}})  # fmt: skip

    results = [sync_stream(engine, connectors[tool], obj) for tool, obj in SANDBOX_STREAMS]

    counts = sandbox_admin(sandbox, "GET", "counts")
    assert sum(result.retries for result in results) > 0
    for (tool, obj), result in zip(SANDBOX_STREAMS, results, strict=True):
        with engine.connect() as conn:
            stored = conn.execute(
                select(landed_records.c.source_id).where(landed_records.c.tool == tool, landed_records.c.object == obj)
            ).all()
        assert len(stored) == len({row.source_id for row in stored}) == counts[tool][obj], (tool, obj)
        assert result.fetched == counts[tool][obj]


def test_a_malformed_page_is_reread_and_the_sync_completes(hub, sandbox, caplog):
    engine, connectors = hub
    sandbox_admin(sandbox, "POST", "faults", {"stripe": {"malformed_page": 2}})

    with caplog.at_level(logging.WARNING, logger="customer_hub.spokes"):
        result = sync_stream(engine, connectors["stripe"], "customers")

    assert result.landed_count == sandbox_admin(sandbox, "GET", "counts")["stripe"]["customers"]
    rereads = [record for record in caplog.records if "response is not JSON, re-reading" in record.getMessage()]
    assert len(rereads) == 2
    assert result.retries >= 2  # a busy machine may time out a page too, which is retried as well


def test_an_outage_mid_sync_keeps_landed_pages_and_the_cursor(hub, sandbox):
    engine, connectors = hub
    connector = connectors["hubspot"]
    first = sync_stream(engine, connector, "deals", mode="full")
    pages = iter(range(100))
    original = connector.client.session.request

    def fail_after_two_pages(method, url, **kwargs):
        if "/crm/v3/objects/deals" in url and next(pages) >= 2:
            raise requests.ConnectionError("connection reset by peer")
        return original(method, url, **kwargs)

    connector.client.session.request = fail_after_two_pages
    with pytest.raises(ToolUnavailableError) as raised:
        sync_stream(engine, connector, "deals", mode="full")

    assert "hubspot" in str(raised.value)
    assert read_cursor(engine, "hubspot", "deals").cursor == first.cursor_after
    assert len(_live_ids(engine, "hubspot", "deals")) == first.landed_count  # nothing marked deleted


def test_a_failed_landing_stops_the_page_reader_instead_of_reading_on():
    from itertools import count

    from customer_hub.spokes.sync import prefetched

    pulled = []

    def endless() -> Iterator[Page]:
        for number in count():
            pulled.append(number)
            yield Page([{"id": number}])

    with pytest.raises(RuntimeError, match="database is locked"):
        for _page in prefetched(endless(), depth=2):
            raise RuntimeError("database is locked")
    assert len(pulled) <= 4  # the page in hand, the buffer of two, at most one in flight; then the reader stopped
