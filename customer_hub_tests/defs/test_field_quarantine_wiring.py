"""In Dagster, a quarantined field fails the stream's blocking check, so customer_records (and the golden layer)
does not run; the sync's `accept_new_mapping` run config accepts the change and unblocks it."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from dagster import AssetKey, materialize

from customer_hub.defs.golden import customer_records
from customer_hub.defs.ingestion import assets
from customer_hub.defs.quality import build_stream_checks
from customer_hub.defs.resources import HubResource
from customer_hub.defs.tool_resources import HubSpotResource

HUB_YAML = Path(__file__).resolve().parents[2] / "hub.yaml"


@pytest.fixture(scope="module")
def sandbox():
    sandbox_module = pytest.importorskip("customer_hub.sandbox", reason="the vendor sandbox package is not available")
    server = sandbox_module.start_sandbox()
    try:
        yield server
    finally:
        server.stop()


def _run(sandbox, database_url: str, run_config: dict | None = None, *, raise_on_error: bool = True):
    contacts = next(asset for asset in assets if asset.key == AssetKey("hubspot_contacts"))
    checks = build_stream_checks("hubspot_contacts", "hubspot", "contacts")
    resources = {
        "hub": HubResource(config_path=str(HUB_YAML), database_url=database_url),
        "hubspot": HubSpotResource(access_token="sandbox-token", base_url=sandbox.base_url("hubspot")),
    }
    return materialize(
        [contacts, checks, customer_records], resources=resources, run_config=run_config, raise_on_error=raise_on_error
    )


def _check(result, name: str):
    return next(e for e in result.get_asset_check_evaluations() if e.check_name == name)


def test_a_quarantined_field_blocks_customer_records_until_accepted(sandbox, sqlite_url):
    assert _run(sandbox, sqlite_url).asset_materializations_for_node("customer_records")

    rename = {"hubspot": {"schema_drift": {"rename": {"email": "e_mail"}}}}
    requests.post(f"{sandbox.url}/_sandbox/faults", json=rename, timeout=10)
    try:
        full = {"ops": {"hubspot_contacts": {"config": {"mode": "full"}}}}
        blocked = _run(sandbox, sqlite_url, full, raise_on_error=False)
        assert not blocked.success
        check = _check(blocked, "field_quarantine")
        assert not check.passed and "email" in check.description
        [sync] = blocked.asset_materializations_for_node("hubspot_contacts")
        assert sync.metadata["quarantined_fields"].value == "email" and sync.metadata["held_values"].value > 0
        assert not blocked.asset_materializations_for_node("customer_records")

        accepted = _run(sandbox, sqlite_url, {"ops": {"hubspot_contacts": {"config": {"accept_new_mapping": True}}}})
        assert _check(accepted, "field_quarantine").passed
        assert accepted.asset_materializations_for_node("customer_records")
    finally:
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=10)
