"""The Dagster wiring of customer health, MRR and the integration map: lineage, schedules, metadata, the check."""

from __future__ import annotations

from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    Definitions,
    asset,
    evaluate_automation_conditions,
    materialize,
)

from customer_hub.defs import customer_success, integration_map
from customer_hub.defs.resources import HubResource

from .conftest import HUB_YAML


def test_health_and_mrr_follow_customer_360_and_onboarding_daily_and_on_change():
    from customer_hub.definitions import defs

    graph = defs.resolve_asset_graph()
    for key in ("customer_health", "mrr"):
        node = graph.get(AssetKey(key))
        # an onboarding run rewrites the won customer's 360 row: health and MRR are refreshed after it
        assert {parent.to_user_string() for parent in node.parent_keys} == {"customer_360", "onboarding_flows"}
        assert node.group_name == "customer_success" and node.automation_condition is not None
    crons = {schedule.name: schedule.cron_schedule for schedule in customer_success.schedules}
    assert crons == {"customer_health_schedule": "15 6 * * *", "mrr_schedule": "45 23 * * *"}
    assert graph.get(AssetKey("integration_map")).code_version  # hub.yaml's hash: a change re-draws the map


def test_a_customer_360_change_refreshes_health_and_mrr_before_any_deal_has_closed():
    """onboarding_flows is only materialized once a deal closes; until then it must not hold the two back."""

    @asset(name="customer_360")
    def view() -> None: ...

    @asset(name="onboarding_flows")
    def flows() -> None: ...

    defs = Definitions(assets=[view, flows, *customer_success.assets], resources={"hub": HubResource()})
    with DagsterInstance.ephemeral() as instance:
        tick = evaluate_automation_conditions(defs=defs, instance=instance)
        for key in ("customer_360", "customer_health", "mrr"):  # the first runs; no deal has closed yet
            instance.report_runless_asset_event(AssetMaterialization(key))
        tick = evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        instance.report_runless_asset_event(AssetMaterialization("customer_360"))  # the next sync's golden run
        tick = evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    requested = {result.key.to_user_string(): result.true_subset.size for result in tick.results}
    assert requested == {"customer_health": 1, "mrr": 1}


def test_materialized_assets_show_bands_mrr_and_the_map(hub, monkeypatch, tmp_path):
    monkeypatch.setenv("CUSTOMER_HUB_HOME", str(tmp_path))  # the map's files go to the test's data folder
    resource = HubResource(config_path=str(HUB_YAML), database_url=str(hub.url))
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [*customer_success.assets, *integration_map.assets], resources={"hub": resource}, instance=instance
        )
    assert result.success

    def metadata(key: str) -> dict:
        [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == AssetKey(key)]
        return {name: getattr(value, "value", value) for name, value in event.materialization.metadata.items()}

    health = metadata("customer_health")
    bands = [health[f"{band}_customers"] for band in ("healthy", "watch", "at_risk")]
    assert sum(bands) == health["dagster/row_count"] > 100 and bands[2] == health["newly_at_risk"] > 0
    assert "| customer | golden_customer_id | score | new | reasons |" in health["at_risk"]
    [check] = result.get_asset_check_evaluations()
    assert (check.check_name, check.passed) == ("customers_at_risk", False)

    mrr = metadata("mrr")
    assert mrr["total_mrr"] == mrr["mrr_USD"] > 0 and mrr["currency"] == "USD"
    assert mrr["compared_with"] == "nothing: the first snapshot is the baseline"

    chart = metadata("integration_map")
    assert chart["map"].startswith("# Integration map: Example Co customer hub")
    assert "```mermaid\nflowchart LR" in chart["map"] and "| HubSpot | sales-ops@example.com |" in chart["map"]
    assert chart["path"] == str(tmp_path / "integration_map" / "integration_map.md")
    assert (tmp_path / "integration_map" / "integration_map.md").read_text() == chart["map"]
