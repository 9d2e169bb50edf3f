"""Stripe's 401 quotes a masked copy of the key (`sekret-s*********Z123`): the key's head and tail. That fragment
must not reach the health log, Dagster's event log or the monthly export, whatever shape the key has."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from dagster import AssetKey, materialize
from sqlalchemy import insert

from customer_hub.alerts.redact import redact
from customer_hub.defs.ingestion import assets
from customer_hub.defs.resources import HubResource
from customer_hub.defs.tool_resources import StripeResource
from customer_hub.export.monthly import export_hub
from customer_hub.store import engine_for
from customer_hub.store.health import health_rows
from customer_hub.store.schema import integration_health_log

HUB_YAML = Path(__file__).resolve().parents[2] / "hub.yaml"
KEY = "sekret-sandbox-0123456789-Z123"


@pytest.fixture(scope="module")
def sandbox():
    sandbox_module = pytest.importorskip("customer_hub.sandbox", reason="the vendor sandbox package is not available")
    server = sandbox_module.start_sandbox(scale=0.2)
    try:
        yield server
    finally:
        server.stop()


def _leaks(text: str) -> bool:
    return "sekret-s" in text or "Z123" in text or "*****" in text


def test_a_masked_key_in_a_401_is_kept_nowhere(sandbox, tmp_path):
    url = f"sqlite:///{tmp_path}/hub.db"
    stripe_customers = next(asset for asset in assets if asset.key == AssetKey("stripe_customers"))
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"stripe": {"revoked_token": True}}, timeout=10)
    try:
        result = materialize(
            [stripe_customers],
            resources={
                "hub": HubResource(config_path=str(HUB_YAML), database_url=url),
                "stripe": StripeResource(api_key=KEY, base_url=sandbox.base_url("stripe")),
            },
            raise_on_error=False,
        )
    finally:
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=10)

    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    error = str(failure.step_failure_data.error)
    assert "Expired API Key provided: [redacted]" in error and "STRIPE_API_KEY" in error
    assert not any(_leaks(str(event.message or "")) for event in result.all_events)
    assert not _leaks(error)
    [row] = health_rows(engine_for(url))
    assert row["status"] == "failure" and not _leaks(row["error"]) and "[redacted]" in row["error"]

    # a row logged before this was redacted at the source is masked on its way into the export
    with engine_for(url).begin() as conn:
        conn.execute(
            insert(integration_health_log).values(
                started_at=datetime.now(UTC),
                what="stripe_customers",
                trigger="manual",
                tool="stripe",
                status="failure",
                error="Expired API Key provided: sk_live_********1234",
            )  # fmt: skip
        )
    export_hub(engine_for(url), tmp_path / "export", file_format="csv")
    exported = (tmp_path / "export" / "tables" / "integration_health_log.csv").read_text()
    assert "1234" not in exported and "sk_live" not in exported and not _leaks(exported)


@pytest.mark.parametrize(
    "text",
    ["key sk_live_********1234 expired", "Expired API Key provided: sekret-s*********Z123.", "rk_test_abc123XYZ"],
)
def test_key_shaped_fragments_are_redacted_without_knowing_the_key(text):
    assert "[redacted]" in redact(text, []) and "1234" not in redact(text, []) and "Z123" not in redact(text, [])
