"""QuickBooks spend lands like the other QuickBooks objects (query pages, then CDC), stays out of customer
resolution, and feeds the scan, `customer-hub inventory` and the `saas_spend` asset."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, materialize

from customer_hub.config import SyncConfig, load_config
from customer_hub.golden.records import build_customer_records
from customer_hub.inventory import format_inventory, inventory_rows
from customer_hub.sandbox import SANDBOX_IDS
from customer_hub.spend.report import scan_books
from customer_hub.spokes.quickbooks import QuickBooksConnector
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import alert_store, engine_for
from customer_hub.store.golden_store import read_customer_records
from customer_hub.store.landing import landed

SPEND = ("vendors", "purchases", "bills")
HUB_YAML = Path(__file__).resolve().parents[2] / "hub.yaml"


@pytest.fixture(scope="module")
def sandbox(small_sandbox):
    return small_sandbox


@pytest.fixture
def quickbooks(sandbox, monkeypatch):
    """A QuickBooks connector on the sandbox for a hub store; each store is authorised afresh (tokens rotate)."""
    system = load_config(HUB_YAML).systems["quickbooks"]
    monkeypatch.delenv(system.base_url_env, raising=False)
    monkeypatch.setenv(system.settings["token_url_env"], sandbox.url + SANDBOX_IDS["quickbooks_token_path"])
    system = system.model_copy(update={"base_url": sandbox.base_url("quickbooks")})
    sync = SyncConfig(timeout_seconds=10, max_retries=2, backoff_seconds=0.001, overlap_minutes=0)
    credentials = {
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "refresh_token": sandbox.state.quickbooks_tokens.authorize(),
        "realm_id": SANDBOX_IDS["quickbooks_realm_id"],
    }
    return lambda engine: QuickBooksConnector(system, sync, credentials, engine)


def _land_spend(engine, quickbooks) -> dict:
    connector = quickbooks(engine)
    return {obj: sync_stream(engine, connector, obj) for obj in (*SPEND, "customers")}


def test_spend_lands_in_full_then_by_cdc_and_never_becomes_a_customer(hub_engine, sandbox, quickbooks):
    first = _land_spend(hub_engine, quickbooks)
    counts = sandbox.state.counts()["quickbooks"]
    assert {obj: first[obj].landed_count for obj in SPEND} == {obj: counts[obj] for obj in SPEND}
    assert all(first[obj].mode_used == "full" for obj in SPEND)

    changed = sandbox.state.mutate(0.05, tools=["quickbooks"])["quickbooks"]
    connector = quickbooks(hub_engine)
    again = {obj: sync_stream(hub_engine, connector, obj) for obj in SPEND}

    assert {obj: again[obj].mode_used for obj in SPEND} == dict.fromkeys(SPEND, "incremental")
    assert {obj: again[obj].updated for obj in SPEND} == {obj: len(changed[obj]) for obj in SPEND}
    reconciled = next(row for row in landed(hub_engine, "quickbooks", "purchases") if row["source_id"] in
                      changed["purchases"])  # fmt: skip
    assert "Reconciled" in reconciled["fields"]["memo"] and reconciled["fields"]["vendor_name"]

    build_customer_records(hub_engine)
    objects = {row["source_object"] for row in read_customer_records(hub_engine)}
    assert objects == {"customers"}  # vendors, purchases and bills are not customers


def test_inventory_shows_the_books_cost_beside_the_configured_one(sqlite_url, quickbooks):
    engine = engine_for(sqlite_url)
    config = load_config(HUB_YAML)
    assert "'-' until QuickBooks purchases and bills have synced" in format_inventory(inventory_rows(config, engine))

    _land_spend(engine, quickbooks)
    rows = {row["tool"]: row for row in inventory_rows(config, engine)}
    table = format_inventory(list(rows.values())).splitlines()

    assert (rows["intercom"]["monthly_cost_usd"], rows["intercom"]["actual_monthly_usd"]) == (400, 520.0)
    assert rows["intercom"]["cost_differs"] and not rows["hubspot"]["cost_differs"]
    end = table[0].index("books $/month") + len("books $/month")  # money is right-aligned under its header
    intercom = next(line for line in table if line.startswith("intercom"))
    assert intercom[:end].endswith("  400          520 !")
    assert scan_books(engine, config).cost_mismatches[0].tool == "intercom"


def test_the_saas_spend_asset_reports_the_findings_and_queues_the_slack_summary(sqlite_url, quickbooks):
    from customer_hub.defs.resources import HubResource
    from customer_hub.defs.spend import saas_spend

    engine = engine_for(sqlite_url)
    _land_spend(engine, quickbooks)
    hub = HubResource(config_path=str(HUB_YAML), database_url=sqlite_url)

    with DagsterInstance.ephemeral() as instance:
        result = materialize([saas_spend], resources={"hub": hub}, instance=instance)
        event = instance.get_latest_materialization_event(AssetKey("saas_spend"))

    assert result.success
    metadata = {key: getattr(value, "value", value) for key, value in event.asset_materialization.metadata.items()}
    assert (metadata["unknown_saas"], metadata["cost_mismatches"]) == (5, 1)
    assert metadata["unknown_saas_monthly_usd"] == 586.9
    assert "Calendly (Calendy LLC)" in metadata["unknown_saas_vendors"]
    [summary] = [
        row for row in alert_store.recent_alerts(engine) if (row["incident_key"] or "").startswith("shadow_it")
    ]
    assert summary["kind"] == "digest" and summary["message"]["text"].startswith("Quarterly shadow-IT scan: 5 SaaS")
