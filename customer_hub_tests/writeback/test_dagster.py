"""The Dagster wiring: the guard check blocks the apply asset until the plan is approved, then it writes."""

from __future__ import annotations

from pathlib import Path

import yaml
from dagster import AssetKey, DagsterInstance, materialize

from customer_hub.config import load_config
from customer_hub.defs.resources import HubResource
from customer_hub.defs.tool_resources import HubSpotResource
from customer_hub.defs.writeback import build_writeback
from customer_hub_tests.writeback.conftest import World

HUB_YAML = Path(__file__).resolve().parents[2] / "hub.yaml"


def test_guard_blocks_the_writeback_asset_until_the_run_config_approves(world: World, tmp_path: Path) -> None:
    data = yaml.safe_load(HUB_YAML.read_text())
    data["writeback"]["targets"]["hubspot"]["contacts"]["enabled"] = True
    data["writeback"]["approval"]["max_share"] = 0.1
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(data))
    config = load_config(path)
    assets, checks = build_writeback("hubspot", config)
    resources = {
        "hub": HubResource(config_path=str(path), database_url=world.engine.url.render_as_string(hide_password=False)),
        "hubspot": HubSpotResource(base_url=world.sandbox.base_url("hubspot"), access_token="sandbox-token"),
    }
    instance = DagsterInstance.ephemeral()
    blocked = materialize([*assets, *checks], resources=resources, instance=instance, raise_on_error=False)
    assert not blocked.success
    assert instance.get_latest_materialization_event(AssetKey("hubspot_writeback")) is None
    assert world.sandbox.state.write_log == []

    run_config = {"ops": {"hubspot_writeback_plan": {"config": {"approve": True, "approved_by": "sales-ops"}}}}
    approved = materialize([*assets, *checks], resources=resources, instance=instance, run_config=run_config)
    assert approved.success
    metadata = instance.get_latest_materialization_event(AssetKey("hubspot_writeback")).asset_materialization.metadata
    assert metadata["sent"].value > 0 and metadata["rejected"].value == 0
    assert len(world.sandbox.state.write_log) == metadata["planned"].value
