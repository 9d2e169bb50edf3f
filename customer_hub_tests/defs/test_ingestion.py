"""The ingestion assets: one per stream, wired to the tools' resources, reporting what each sync did."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import requests
from dagster import AssetKey, materialize

from customer_hub.config import load_config
from customer_hub.defs.ingestion import assets, build_sync_assets
from customer_hub.defs.resources import HubResource
from customer_hub.defs.tool_resources import HubSpotResource, StripeResource, tool_resource, tool_resources
from customer_hub.spokes.registry import MissingCredentialsError
from customer_hub.store import engine_for
from customer_hub.store.health import health_rows

HUB_YAML = Path(__file__).resolve().parents[2] / "hub.yaml"
STREAMS = [
    "hubspot_contacts", "hubspot_companies", "hubspot_deals", "stripe_customers", "stripe_subscriptions",
    "stripe_invoices", "intercom_contacts", "intercom_conversations", "quickbooks_customers", "quickbooks_invoices",
    "quickbooks_purchases", "quickbooks_bills", "quickbooks_vendors", "sheets_implementations", "asana_projects",
]  # fmt: skip


@pytest.fixture(scope="module")
def sandbox():
    sandbox_module = pytest.importorskip("customer_hub.sandbox", reason="the vendor sandbox package is not available")
    server = sandbox_module.start_sandbox()
    try:
        yield server
    finally:
        server.stop()


def by_key(key: str):
    return next(asset for asset in assets if asset.key == AssetKey(key))


def run(selected: list[str], resources: dict, run_config: dict | None = None, raise_on_error: bool = True):
    return materialize(
        [by_key(key) for key in selected], resources=resources, run_config=run_config, raise_on_error=raise_on_error
    )


def sandbox_resources(sandbox, database_url: str) -> dict:
    return {
        "hub": HubResource(config_path=str(HUB_YAML), database_url=database_url),
        "hubspot": HubSpotResource(access_token="sandbox-token", base_url=sandbox.base_url("hubspot")),
        "stripe": StripeResource(api_key="sk_test_sandbox", base_url=sandbox.base_url("stripe")),
    }


def test_one_asset_per_stream_with_owner_group_kind_and_pool():
    config = load_config(HUB_YAML)
    keys = [asset.key.to_user_string() for asset in assets]
    assert keys == STREAMS

    for asset in assets:
        spec = next(iter(asset.specs))
        tool = spec.group_name
        assert spec.kinds == {tool} and spec.owners == [config.systems[tool].owner]
        assert asset.op.pool == tool and spec.description


def test_disabled_systems_get_no_assets():
    config = load_config(HUB_YAML)
    systems = {**config.systems, "asana": config.systems["asana"].model_copy(update={"enabled": False})}
    keys = [a.key.to_user_string() for a in build_sync_assets(config.model_copy(update={"systems": systems}))]
    assert "asana_projects" not in keys and len(keys) == 14


def _metadata(result, key: str, name: str):
    [event] = result.asset_materializations_for_node(key)
    return event.metadata[name].value.columns


def test_materializing_lands_the_tools_records_and_reports_metadata(sandbox, sqlite_url):
    selected = ["hubspot_companies", "hubspot_deals", "stripe_customers"]

    result = run(
        selected, sandbox_resources(sandbox, sqlite_url), {"ops": {"hubspot_deals": {"config": {"mode": "full"}}}}
    )

    counts = requests.get(f"{sandbox.url}/_sandbox/counts", timeout=10).json()
    for key in selected:
        tool, obj = key.split("_", 1)
        [event] = result.asset_materializations_for_node(key)
        metadata = {name: value.value for name, value in event.metadata.items()}
        assert metadata["dagster/row_count"] == counts[tool][obj] == metadata["inserted"]
        assert metadata["mode"] == "full" and metadata["requests"] >= 1 and metadata["marked_deleted"] == 0
        assert {"fetched", "updated", "unchanged", "reported_count", "retries", "duration"} <= set(metadata)
    # the UI's Columns tab: the payload fields the stream's schema snapshot holds
    columns = {column.name: column.type for column in _metadata(result, "hubspot_companies", "dagster/column_schema")}
    assert columns["properties"] == "object" and columns["properties.name"] == "value" and columns["id"] == "value"
    stripe = {column.name for column in _metadata(result, "stripe_customers", "dagster/column_schema")}
    assert {"email", "invoice_settings.default_payment_method"} <= stripe
    health = health_rows(engine_for(sqlite_url))
    assert {(row["what"], row["tool"], row["status"], row["trigger"]) for row in health} == {
        (key, key.split("_")[0], "success", "manual") for key in selected
    }
    assert all(row["records_in"] == row["records_out"] > 0 for row in health)

    again = run(["hubspot_deals"], sandbox_resources(sandbox, sqlite_url))
    [event] = again.asset_materializations_for_node("hubspot_deals")
    assert event.metadata["mode"].value == "incremental"


def test_a_rejected_token_fails_the_run_naming_the_variable_and_logs_it(sandbox, sqlite_url):
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"hubspot": {"revoked_token": True}}, timeout=10)
    try:
        result = run(["hubspot_companies"], sandbox_resources(sandbox, sqlite_url), raise_on_error=False)
    finally:
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=10)

    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    message = str(failure.step_failure_data.error)
    assert "hubspot" in message and "HUBSPOT_ACCESS_TOKEN" in message and "sandbox-token" not in message
    [row] = health_rows(engine_for(sqlite_url))
    assert row["status"] == "failure" and "HUBSPOT_ACCESS_TOKEN" in row["error"]


def test_an_unset_variable_fails_only_that_tools_steps_naming_the_variable(sandbox, monkeypatch, sqlite_url):
    config = load_config(HUB_YAML)
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_sandbox")
    resources = tool_resources(config)
    assert set(resources) == set(config.enabled_systems())
    assert "HUBSPOT_ACCESS_TOKEN" in str(resources["hubspot"])  # the run config shows the name, never a value

    hub = HubResource(config_path=str(HUB_YAML), database_url=sqlite_url)
    tools = {tool: tool_resource(tool, config, base_url=sandbox.base_url(tool)) for tool in ("hubspot", "stripe")}
    result = run(["hubspot_deals", "stripe_customers"], {"hub": hub, **tools}, raise_on_error=False)

    assert result.asset_materializations_for_node("stripe_customers")  # the other tool synced
    [failure] = [event for event in result.all_events if event.is_step_failure]
    assert failure.step_key == "hubspot_deals"
    cause = failure.step_failure_data.error.cause
    assert cause.cls_name == "MissingCredentialsError"
    assert cause.message.strip().endswith(
        "hubspot: environment variable(s) not set: HUBSPOT_ACCESS_TOKEN (its access_token). What to do: export "
        "them, or change systems.hubspot.credentials in hub.yaml to the variables that hold them"
    )
    rows = {row["what"]: row for row in health_rows(engine_for(sqlite_url))}
    assert rows["hubspot_deals"]["status"] == "failure" and "HUBSPOT_ACCESS_TOKEN" in rows["hubspot_deals"]["error"]
    assert rows["stripe_customers"]["status"] == "success"


def test_an_empty_credential_names_the_tool_and_the_variable():
    config = load_config(HUB_YAML)
    with pytest.raises(MissingCredentialsError) as raised:
        HubSpotResource(access_token="").connector(config)
    assert str(raised.value).startswith("hubspot:") and "HUBSPOT_ACCESS_TOKEN" in str(raised.value)


def test_an_hourly_tools_streams_are_stale_once_syncs_are_missed():
    config = load_config(Path(__file__).resolve().parents[2] / "hub.yaml")
    tool = next(tool for tool, system in config.enabled_systems().items() if system.cadence == "hourly")
    stream = next(a for a in build_sync_assets(config) if a.key.path[0].startswith(f"{tool}_"))

    policy = stream.specs_by_key[stream.key].freshness_policy

    assert (policy.warn_window.to_timedelta(), policy.fail_window.to_timedelta()) == (
        timedelta(minutes=90),
        timedelta(minutes=150),
    )


def test_golden_and_quality_assets_are_owned_by_the_hub_owner():
    from customer_hub.defs import golden, quality

    owners = {spec.key.path[-1]: spec.owners for a in (*golden.assets, *quality.assets) for spec in a.specs}
    assert owners and all(value == ["team:customer-hub"] for value in owners.values())
