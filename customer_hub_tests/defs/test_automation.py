"""Automation wiring: schedules from hub.yaml, the run queue, the Dagster instances, the export job, the sensors."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import yaml
from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    Definitions,
    SensorResult,
    SkipReason,
    build_run_status_sensor_context,
    build_schedule_context,
    build_sensor_context,
    materialize,
)
from dagster._core.utils import make_new_run_id
from dagster._utils.tags import TagConcurrencyLimitsCounter
from sqlalchemy import func, select

from customer_hub.alerts import deliver_pending, posted_alerts, slack_target
from customer_hub.automation.demo import run_onboarding_demo
from customer_hub.automation.onboarding import invoice_doc_number
from customer_hub.config import load_config
from customer_hub.defs import automation
from customer_hub.defs.ingestion import build_sync_assets
from customer_hub.defs.resources import HubResource
from customer_hub.defs.tool_resources import tool_resource
from customer_hub.local_env import sandbox_environment
from customer_hub.sandbox import SANDBOX_IDS, start_sandbox
from customer_hub.spokes.base import Page, StreamRead
from customer_hub.spokes.registry import build_connector
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import onboarding_store
from customer_hub.store.health import health_rows
from customer_hub.store.schema import landed_records
from customer_hub_tests.automation.fakes import FakeHubSpot

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_GID = "1200000000000003"


def write_hub_yaml(tmp_path: Path, **sections: Any) -> Path:
    """The repo's hub.yaml with sections replaced (automation, export, ...)."""
    data = yaml.safe_load((REPO / "hub.yaml").read_text())
    data.update(sections)
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def hub_resource(tmp_path: Path, **sections: Any) -> HubResource:
    sections.setdefault("automation", {"onboarding": {"asana_template_gid": TEMPLATE_GID}})
    return HubResource(
        config_path=str(write_hub_yaml(tmp_path, **sections)), database_url=f"sqlite:///{tmp_path}/hub.db"
    )


def instance_from(yaml_file: Path, home: Path) -> DagsterInstance:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(yaml_file, home / "dagster.yaml")
    return DagsterInstance.from_config(str(home))


# --- schedules and the run queue -----------------------------------------------------------------------------------


def test_each_enabled_tool_syncs_on_its_hub_yaml_cadence():
    config = load_config(REPO / "hub.yaml")
    jobs, schedules = automation.sync_jobs_and_schedules(config, automation._settings)

    by_tool = {job.tags[automation.TOOL_TAG]: job for job in jobs if job.name.startswith("sync_")}
    assert set(by_tool) == set(config.enabled_systems())
    crons = {schedule.job_name: schedule.cron_schedule for schedule in schedules}
    assert crons["sync_hubspot"] == "0 * * * *"
    assert crons["sync_quickbooks"] == "0 6 * * *"
    assert crons["reconcile_hubspot"] == "0 5 * * *"  # reconcile_cadence defaults to daily, before the parity job
    selected = by_tool["stripe"].selection.resolve(build_sync_assets(config))
    assert {key.to_user_string() for key in selected} == {"stripe_customers", "stripe_subscriptions", "stripe_invoices"}


def _run(job_name: str, tags: dict[str, str], status: DagsterRunStatus) -> DagsterRun:
    return DagsterRun(job_name=job_name, run_id=make_new_run_id(), tags=tags, status=status)


def test_run_queue_runs_two_syncs_of_one_tool_one_after_the_other(tmp_path):
    instance = instance_from(REPO / "dagster.yaml", tmp_path / "dagster_home")
    concurrency = instance.get_concurrency_config()
    limits = concurrency.run_queue_config.tag_concurrency_limits
    tags = {job.name: dict(job.tags) for job in automation.jobs}
    first = _run("sync_hubspot", tags["sync_hubspot"], DagsterRunStatus.STARTED)
    second = _run("sync_hubspot", tags["sync_hubspot"], DagsterRunStatus.NOT_STARTED)
    stripe = _run("sync_stripe", tags["sync_stripe"], DagsterRunStatus.NOT_STARTED)

    while_first_runs = TagConcurrencyLimitsCounter(limits, [first])
    after_it_finished = TagConcurrencyLimitsCounter(limits, [])

    assert while_first_runs.is_blocked(second)
    assert not while_first_runs.is_blocked(stripe)  # a slow HubSpot sync never holds up Stripe
    assert not after_it_finished.is_blocked(second)
    assert concurrency.pool_config.default_pool_limit == 1  # and one step per tool pool inside runs
    instance.dispose()


class SlowTool:
    """A tool serving the same records page by page, slowly enough for two syncs to overlap."""

    tool = "hubspot"
    objects = ("contacts",)

    def __init__(self, size: int) -> None:
        self.size = size

    def read_full(self, obj: str) -> StreamRead:
        def pages():
            for start in range(0, self.size, 50):
                threading.Event().wait(0.005)
                yield Page([{"id": str(i), "email": f"p{i}@example.test"} for i in range(start, start + 50)])

        return StreamRead(pages=pages(), cursor_after="2026-03-02T00:00:00+00:00", complete=True)

    def read_incremental(self, obj: str, cursor: str) -> StreamRead:
        return self.read_full(obj)

    def count(self, obj: str) -> int:
        return self.size

    def source_id(self, obj: str, payload: dict) -> str:
        return payload["id"]

    def source_updated_at(self, obj: str, payload: dict) -> None:
        return None

    def to_canonical(self, obj: str, payload: dict) -> dict:
        return {"email": payload["email"]}


def _landed(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return conn.execute(select(func.count(), func.count(landed_records.c.source_id.distinct()))).one()


def test_two_syncs_of_one_stream_leave_one_row_per_record(hub_engine):
    """Queued one after the other both succeed; even forced to overlap, the store never doubles a record."""
    sequential = [sync_stream(hub_engine, SlowTool(400), "contacts", mode="full") for _ in range(2)]
    assert [result.inserted for result in sequential] == [400, 0]
    assert sequential[1].unchanged == 400

    outcomes: list[str] = []

    def overlapping_sync() -> None:
        try:
            sync_stream(hub_engine, SlowTool(800), "contacts", mode="full")
            outcomes.append("ok")
        except Exception as error:  # the loser of the race fails loudly instead of duplicating
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=overlapping_sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert "ok" in outcomes
    assert _landed(hub_engine) == (800, 800)


# --- Dagster instances ---------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_production_instance_keeps_runs_in_postgresql(tmp_path, postgres_url, monkeypatch):
    monkeypatch.setenv("DAGSTER_PG_URL", postgres_url)
    instance = instance_from(REPO / "deploy" / "dagster.postgres.yaml", tmp_path / "dagster_home")
    try:
        result = automation.monthly_export_job.execute_in_process(
            instance=instance,
            resources={"hub": hub_resource(tmp_path, export={"folder": str(tmp_path / "exports")})},
            run_config={"ops": {"export_hub_month": {"config": {"month": "2026-02"}}}},
        )

        assert result.success
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert [run.run_id for run in instance.get_runs()] == [result.run_id]
        assert (tmp_path / "exports" / "2026-02" / "manifest.json").exists()
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert {"key": automation.TOOL_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
    finally:
        instance.dispose()


def test_local_instance_keeps_runs_in_dagster_home(tmp_path):
    instance = instance_from(REPO / "dagster.yaml", tmp_path / "dagster_home")
    result = automation.monthly_export_job.execute_in_process(
        instance=instance, resources={"hub": hub_resource(tmp_path)}
    )
    assert result.success
    assert instance.get_run_by_id(result.run_id) is not None
    assert (tmp_path / "dagster_home" / "storage").is_dir()
    instance.dispose()


# --- monthly export ------------------------------------------------------------------------------------------------


def test_monthly_export_job_writes_to_the_configured_folder(tmp_path):
    hub = hub_resource(tmp_path, export={"folder": "exports/{month}-hub", "format": "csv"})
    result = automation.monthly_export_job.execute_in_process(
        resources={"hub": hub}, run_config={"ops": {"export_hub_month": {"config": {"month": "2026-02"}}}}
    )

    folder = tmp_path / "exports" / "2026-02-hub"
    assert result.success
    assert (folder / "manifest.json").exists()
    assert (folder / "tables" / "golden_customers.csv").exists()
    assert (folder / "integration_map.md").read_text().startswith("# Integration map: ")  # the month's map too
    assert [(row["what"], row["status"]) for row in health_rows(hub.engine())] == [("monthly_export", "success")]


def test_the_run_on_the_first_exports_the_month_that_ended():
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
    request = automation.monthly_export_schedule.evaluate_tick(context).run_requests[0]
    assert request.run_key == "2026-02"
    assert request.run_config["ops"]["export_hub_month"]["config"]["month"] == "2026-02"


def test_nightly_duplicate_report_is_one_queued_message(tmp_path):
    hub = hub_resource(tmp_path)
    result = automation.duplicate_report_job.execute_in_process(resources={"hub": hub})

    alerts = posted_alerts(hub.engine())
    assert result.success
    assert [alert["kind"] for alert in alerts] == ["digest"]
    assert [(row["what"], row["status"]) for row in health_rows(hub.engine())] == [("duplicate_report", "success")]


# --- the closed-won sensor -----------------------------------------------------------------------------------------


class FakeHubSpotResource:
    def __init__(self, hubspot: FakeHubSpot) -> None:
        self.hubspot = hubspot

    def connector(self, config=None, engine=None) -> FakeHubSpot:
        return self.hubspot


class PollableHubSpot(FakeHubSpot):
    def closed_won_deals(self, since: datetime | None) -> list[dict]:
        deals = [d for d in self.deals.values() if d["properties"]["dealstage"] == "closedwon"]
        return [
            d for d in deals if since is None or datetime.fromisoformat(d["properties"]["hs_lastmodifieddate"]) >= since
        ]


def _tick(hub: HubResource, hubspot: FakeHubSpot, cursor: str | None) -> SensorResult | SkipReason:
    context = build_sensor_context(cursor=cursor, resources={"hub": hub, "hubspot": FakeHubSpotResource(hubspot)})
    return automation.closed_won_sensor(context)


def test_sensor_requests_each_closed_deal_once_across_restarts(tmp_path):
    hub, hubspot = hub_resource(tmp_path), PollableHubSpot()
    hubspot.add_deal("101")
    hubspot.add_deal("102", stage="appointmentscheduled")

    first = _tick(hub, hubspot, None)
    hubspot.add_deal("102")  # moves to closed-won after the first poll
    second = _tick(hub, hubspot, first.cursor)  # a restarted sensor has only the stored cursor
    third = _tick(hub, hubspot, second.cursor)

    assert [r.run_key for r in first.run_requests] == ["101"]
    assert [r.run_key for r in second.run_requests] == ["102"]
    assert third.run_requests == []
    detected = onboarding_store.read_flow(hub.engine(), "102")  # visible before its run starts
    assert (detected["status"], detected["attempts"]) == ("detected", 0)
    request = first.run_requests[0]
    config = request.run_config["ops"]["onboarding_flows"]["ops"]["read_closed_won_deal"]["config"]
    assert config["deal_id"] == "101" and config["closed_at"]
    assert request.tags[automation.DEAL_TAG] == "101"


def test_sensor_skips_deals_already_onboarded(tmp_path):
    hub, hubspot = hub_resource(tmp_path), PollableHubSpot()
    hubspot.add_deal("201")
    onboarding_store.start_attempt(hub.engine(), "201", detected_at=datetime.now(UTC) - timedelta(minutes=1))
    onboarding_store.record_done(hub.engine(), "201", None)

    assert _tick(hub, hubspot, None).run_requests == []


def test_materializing_onboarding_flows_without_config_succeeds_on_an_empty_hub(tmp_path, monkeypatch):
    hub = hub_resource(tmp_path)
    for tool in automation.ONBOARDING_TOOLS:  # nothing pending, so no tool is contacted: no credentials needed
        for env in hub.config().systems[tool].credentials.values():
            monkeypatch.delenv(env, raising=False)
    tools = {tool: tool_resource(tool, hub.config()) for tool in automation.ONBOARDING_TOOLS}

    result = materialize([automation.onboarding_flows], resources={"hub": hub, **tools}, raise_on_error=False)

    assert result.success
    assert result.asset_materializations_for_node("onboarding_flows")[0].metadata["deals"].value == 0


def test_sensor_waits_for_a_template_before_onboarding(tmp_path):
    hub = hub_resource(tmp_path, automation={})
    result = _tick(hub, PollableHubSpot(), None)
    assert isinstance(result, SkipReason)
    assert "asana_template_gid" in result.skip_message


# --- the code location ---------------------------------------------------------------------------------------------


def test_workspace_loads_the_code_location_with_its_automation():
    workspace = yaml.safe_load((REPO / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["python_module"]["module_name"] == "customer_hub.definitions"
    from customer_hub.definitions import defs

    repository = defs.get_repository_def()
    graph = repository.asset_graph
    sensors = {sensor.name: sensor for sensor in repository.sensor_defs}
    assert {"hub_automation_sensor", "closed_won_sensor", "run_failure_alerts"} <= set(sensors)
    assert "default_automation_condition_sensor" not in sensors  # ours runs by default; Dagster's would be off
    eager = {key for key in graph.materializable_asset_keys if graph.get(key).automation_condition is not None}
    assert eager and eager <= sensors["hub_automation_sensor"].asset_selection.resolve(graph)
    assert {"sync_hubspot", "onboarding_job", "daily_parity_job", "monthly_export_job"} <= {
        job.name for job in repository.get_all_jobs()
    }


# --- the onboarding job against the sandbox ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox(scale=0.2) as server:
        yield server


@pytest.fixture(scope="module")
def sandbox_hub_dir(tmp_path_factory) -> Path:
    """One hub store for every sandbox test: it keeps QuickBooks' rotated refresh token, as a real hub does."""
    return tmp_path_factory.mktemp("sandbox_hub")


@pytest.fixture
def onboarding(sandbox, sandbox_hub_dir, monkeypatch):
    """The onboarding job wired to the sandbox: the hub, its tool resources and a local Dagster instance."""
    hub = hub_resource(
        sandbox_hub_dir,
        automation={
            "onboarding": {
                "asana_template_gid": SANDBOX_IDS["asana_onboarding_template_gid"],
                "asana_team_gid": SANDBOX_IDS["asana_team_gid"],
            }
        },
        sync={"max_retries": 0, "backoff_seconds": 0, "timeout_seconds": 10},
    )
    config = hub.config()
    for name, value in sandbox_environment(config, sandbox.url).items():
        monkeypatch.setenv(name, value)
    resources = {"hub": hub, **{tool: tool_resource(tool, config) for tool in automation.ONBOARDING_TOOLS}}
    defs = Definitions(
        assets=[automation.onboarding_flows],
        asset_checks=[automation.onboarding_latency],
        jobs=[automation.onboarding_job],
        sensors=[automation.closed_won_sensor, automation.run_failure_alerts],
        resources=resources,
    )
    instance = DagsterInstance.ephemeral()
    yield SimpleNamespace(hub=hub, resources=resources, defs=defs, instance=instance, url=sandbox.url)
    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=10)
    instance.dispose()


def _close_an_open_deal(env) -> str:
    hubspot = build_connector("hubspot", env.hub.config())
    deals = next(iter(hubspot.read_full("deals").pages)).records
    used = {row["deal_id"] for row in onboarding_store.read_flows(env.hub.engine())} | _onboarded_deals(env.url)
    deal_id = next(
        str(d["id"]) for d in deals if d["properties"]["dealstage"] != "closedwon" and str(d["id"]) not in used
    )
    requests.post(f"{env.url}/_sandbox/deals/{deal_id}/close_won", timeout=10).raise_for_status()
    return deal_id


def _onboarded_deals(url: str) -> set[str]:
    writes = requests.get(f"{url}/_sandbox/writes", timeout=10).json()
    return {
        name.rsplit("[deal ", 1)[1].rstrip("]")
        for name in (p["name"] for p in writes["asana_projects"])
        if "[deal " in name
    }


def _writes_for(url: str, deal_id: str) -> tuple[list, list]:
    writes = requests.get(f"{url}/_sandbox/writes", timeout=10).json()
    projects = [p for p in writes["asana_projects"] if p["name"].endswith(f"[deal {deal_id}]")]
    invoices = [i for i in writes["quickbooks_invoices"] if i.get("DocNumber") == invoice_doc_number(deal_id)]
    return projects, invoices


def _execute(env, request):
    job = env.defs.resolve_job_def(automation.ONBOARDING_JOB)
    return job.execute_in_process(
        run_config=request.run_config, instance=env.instance, tags=request.tags, raise_on_error=False
    )


def test_sensor_against_hubspot_sees_each_closed_deal_once_across_restarts(onboarding):
    def tick(cursor):
        context = build_sensor_context(cursor=cursor, resources=onboarding.resources)
        return automation.closed_won_sensor(context)

    baseline = tick(None)  # whatever earlier tests closed
    first_deal = _close_an_open_deal(onboarding)
    first = tick(baseline.cursor)
    second_deal = _close_an_open_deal(onboarding)
    second = tick(first.cursor)  # each tick is a fresh context: a restarted daemon has only the cursor
    third = tick(second.cursor)

    assert [r.run_key for r in first.run_requests] == [first_deal]
    assert [r.run_key for r in second.run_requests] == [second_deal]
    assert third.run_requests == []


def test_three_runs_of_the_onboarding_job_leave_one_project_and_one_invoice(onboarding):
    deal_id = _close_an_open_deal(onboarding)
    tick = automation.closed_won_sensor(build_sensor_context(resources=onboarding.resources))
    request = next(r for r in tick.run_requests if r.run_key == deal_id)

    results = [_execute(onboarding, request) for _ in range(3)]

    assert [result.success for result in results] == [True, True, True]
    projects, invoices = _writes_for(onboarding.url, deal_id)
    assert len(projects) == 1 and len(invoices) == 1
    flow = onboarding_store.read_flow(onboarding.hub.engine(), deal_id)
    assert (flow["status"], flow["attempts"]) == ("done", 3)
    assert flow["asana_project_gid"] == projects[0]["gid"]
    assert flow["quickbooks_invoice_id"] == invoices[0]["Id"]
    assert float(invoices[0]["TotalAmt"]) == flow["amount"]
    assert flow["latency_seconds"] == round((flow["invoice_drafted_at"] - flow["deal_closed_at"]).total_seconds(), 3)
    check = results[0].get_asset_check_evaluations()[0]
    assert check.passed and check.metadata["completed"].value == 1


def test_a_failed_run_posts_one_slack_alert_naming_the_step_and_error(onboarding):
    requests.delete(f"{onboarding.url}/_sandbox/slack/messages", timeout=10)
    requests.post(f"{onboarding.url}/_sandbox/faults", json={"quickbooks": {"revoked_token": True}}, timeout=10)
    deal_id = _close_an_open_deal(onboarding)
    request = automation.onboarding_run_request(deal_id, detected_at=datetime.now(UTC), closed_at=None)

    failed = _execute(onboarding, request)
    for _ in range(2):  # a restarted sensor may see the same failure again: still one alert
        context = build_run_status_sensor_context(
            sensor_name="run_failure_alerts",
            dagster_event=failed.get_run_failure_event(),
            dagster_instance=onboarding.instance,
            dagster_run=onboarding.instance.get_run_by_id(failed.run_id),
            resources={"hub": onboarding.hub},
        ).for_run_failure()
        automation.run_failure_alerts(context)
    deliver_pending(onboarding.hub.engine(), slack_target(onboarding.hub.config().alerts))  # slack_alert_delivery

    messages = requests.get(f"{onboarding.url}/_sandbox/slack/messages", timeout=10).json()["messages"]
    assert not failed.success
    assert len(messages) == 1
    text = json.dumps(messages[0])
    assert "onboarding_job" in text and "draft_quickbooks_invoice" in text
    assert "ToolAuthError: quickbooks" in text and "QUICKBOOKS_REFRESH_TOKEN" in text  # the error, not a wrapper
    flow = onboarding_store.read_flow(onboarding.hub.engine(), deal_id)
    assert flow["status"] == "failed" and flow["asana_project_gid"] and not flow["quickbooks_invoice_id"]
    health = [(row["what"], row["status"]) for row in health_rows(onboarding.hub.engine())]
    assert ("onboarding.quickbooks_invoice", "failure") in health

    requests.delete(f"{onboarding.url}/_sandbox/faults", timeout=10)  # QuickBooks reconnected: re-run
    assert _execute(onboarding, request).success
    projects, invoices = _writes_for(onboarding.url, deal_id)
    assert (len(projects), len(invoices)) == (1, 1)


def test_materialize_all_onboards_every_detected_deal(onboarding):
    deals = [_close_an_open_deal(onboarding), _close_an_open_deal(onboarding)]
    automation.closed_won_sensor(build_sensor_context(resources=onboarding.resources))  # records them, no run

    result = materialize(
        [automation.onboarding_flows], resources=onboarding.resources, instance=onboarding.instance
    )  # no run config, as the UI's "Materialize all"

    assert result.success
    assert onboarding_store.pending_deal_ids(onboarding.hub.engine()) == []
    for deal_id in deals:
        assert onboarding_store.read_flow(onboarding.hub.engine(), deal_id)["status"] == "done"
        assert tuple(map(len, _writes_for(onboarding.url, deal_id))) == (1, 1)


def test_demo_onboards_every_closed_won_deal_the_sensor_finds(onboarding):
    other = _close_an_open_deal(onboarding)  # closed by someone else just before the demo closes its own

    result = run_onboarding_demo(
        onboarding.hub.config(), onboarding.url, hub=onboarding.hub, instance=onboarding.instance, echo=lambda _: None
    )

    assert result.success and other in result.other_deals
    assert onboarding_store.read_flow(onboarding.hub.engine(), other)["status"] == "done"
    assert onboarding_store.pending_deal_ids(onboarding.hub.engine()) == []
