"""QuickBooks write-back against the sandbox over HTTP: the golden id goes into each linked customer's `Notes` by
sparse update, exactly once even when the SyncToken landed is stale and when a write's reply is lost."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from customer_hub.config import HubConfig, SyncConfig, load_config
from customer_hub.sandbox import SANDBOX_IDS, SandboxServer, start_sandbox
from customer_hub.spokes.quickbooks import QuickBooksConnector
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for
from customer_hub.store import writeback_store as store
from customer_hub.writeback.echoes import recognise_own_writes
from customer_hub.writeback.run import apply_tool, plan_tool
from customer_hub.writeback.settings import WritebackSettings, writeback_settings
from customer_hub.writeback.writers import WRITERS, RecordWrite
from customer_hub_tests.writeback.conftest import link_golden_customers

STALE = 3
"""Customers edited in QuickBooks after the sync: the SyncToken the hub landed for them is stale."""


@dataclass
class Books:
    sandbox: SandboxServer
    engine: Engine
    config: HubConfig
    settings: WritebackSettings
    connector: QuickBooksConnector

    def sync(self) -> None:
        sync_stream(self.engine, self.connector, "customers")


@pytest.fixture
def books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Books]:
    config = load_config(Path(__file__).resolve().parents[2] / "hub.yaml")
    settings = writeback_settings(config.writeback).enable_all()
    with start_sandbox(seed=11, scale=0.04) as sandbox:
        engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
        system = config.systems["quickbooks"]
        monkeypatch.delenv(system.base_url_env, raising=False)
        monkeypatch.setenv(system.settings["token_url_env"], sandbox.url + SANDBOX_IDS["quickbooks_token_path"])
        unpaced = {**system.settings, "requests_per_second": 0}  # the sandbox here has no rate limit to keep to
        system = system.model_copy(update={"base_url": sandbox.base_url("quickbooks"), "settings": unpaced})
        sync = SyncConfig(timeout_seconds=0.15, max_retries=6, backoff_seconds=0.001, max_backoff_seconds=0.01)
        credentials = {
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
            "refresh_token": SANDBOX_IDS["quickbooks_refresh_token"],
            "realm_id": SANDBOX_IDS["quickbooks_realm_id"],
        }
        books = Books(sandbox, engine, config, settings, QuickBooksConnector(system, sync, credentials, engine))
        books.sync()
        link_golden_customers(engine)
        yield books


def _edit_in_quickbooks(books: Books, customer_id: str) -> None:
    """Someone changes the customer in QuickBooks after the sync: its SyncToken moves on."""
    with books.sandbox.state.lock:
        customer = books.sandbox.state.stream("quickbooks", "customers").get(customer_id)
        customer["SyncToken"] = str(int(customer["SyncToken"]) + 1)
        customer["ResaleNum"] = "RS-1"


def test_each_planned_change_is_applied_once_despite_stale_sync_tokens_and_lost_replies(books: Books) -> None:
    plan = plan_tool(books.engine, books.config, "quickbooks", books.settings)
    planned = {(c.source_id, c.field, c.new) for c in plan.changes}
    assert planned and {field for _, field, _ in planned} == {"Notes"} and plan.skipped["low_confidence"]
    stale = sorted({c.source_id for c in plan.changes})[:STALE]
    for customer_id in stale:
        _edit_in_quickbooks(books, customer_id)
    books.sandbox.state.set_faults({"quickbooks": {"write_timeout_rate": 0.3, "timeout_seconds": 0.3}})
    client = books.connector.client
    result = apply_tool(
        books.engine, books.config, "quickbooks", client, "qb-1", settings=books.settings, approved=True
    )
    books.sandbox.state.clear_faults()

    assert result.rejected == 0, result.errors
    assert result.sent == plan.records_changed
    assert client.stats.by_status["timeout"] > 0, "no reply was lost: the requestid replay was not exercised"
    assert client.stats.by_status["400"] == STALE  # one Stale Object Error per edited customer, then one retry
    log = Counter((e["id"], e["field"], e["new"]) for e in books.sandbox.state.write_log if e["tool"] == "quickbooks")
    assert set(log) == planned and max(log.values()) == 1, "a change was lost or applied twice"
    customers = books.sandbox.state.stream("quickbooks", "customers")
    for customer_id, _, golden_id in planned:
        assert customers.get(customer_id)["Notes"] == golden_id
    assert all(customers.get(customer_id)["ResaleNum"] == "RS-1" for customer_id in stale)  # sparse: kept
    assert plan_tool(books.engine, books.config, "quickbooks", books.settings).changes == []

    books.sync()  # the writes come back as changes: recognised as the hub's own, nothing planned again
    assert recognise_own_writes(books.engine) == len(planned) - STALE  # the edited ones changed in QuickBooks too
    assert {row["status"] for row in store.ledger_rows(books.engine, "quickbooks")} == {"confirmed"}
    assert plan_tool(books.engine, books.config, "quickbooks", books.settings).changes == []


def test_a_resent_pending_change_is_replayed_by_requestid_not_applied_again(books: Books) -> None:
    writer, _ = WRITERS["quickbooks"]
    customer = books.sandbox.state.stream("quickbooks", "customers").get("1")
    landed = dict(customer)
    _edit_in_quickbooks(books, "1")  # the first attempt meets a stale SyncToken and retries
    write = RecordWrite("1", {"Notes": "GC-1", "WebAddr[URI]": "https://example.com"}, "k" * 48, landed)
    first = writer(books.connector.client, "customers", [write])
    # a run that died before the ledger said "applied" sends the same change again with the same key
    again = writer(books.connector.client, "customers", [write])
    assert [o.ok for o in first + again] == [True, True]
    log = [e for e in books.sandbox.state.write_log if e["tool"] == "quickbooks"]
    assert [(e["field"], e["new"]) for e in log] == [("Notes", "GC-1"), ("URI", "https://example.com")]
    assert customer["WebAddr"] == {"URI": "https://example.com"}
    gone = writer(books.connector.client, "customers", [RecordWrite("999999", {"Notes": "x"}, "m" * 48)])
    assert not gone[0].ok and "Object Not Found" in (gone[0].error or "")
