"""Automation wiring: sync schedules, the closed-won onboarding flow, housekeeping jobs and run-failure alerts.

- one sync job per enabled tool (its stream assets, tagged `customer_hub/tool=<tool>` so the run queue never runs
  two syncs of one tool at once) on the tool's cadence from hub.yaml, and one reconciliation job (the same assets
  in `reconcile` mode) on its `reconcile_cadence` (default daily);
- an automation-condition sensor that refreshes golden records and metrics when their inputs change;
- the nightly duplicate report, the daily parity run and the monthly vendor-neutral export;
- the closed-won sensor and the onboarding job (materialises `onboarding_flows`, checks its latency);
- one Slack alert per failed run of any job.
The logic lives in `customer_hub.automation` and `customer_hub.export`; this module only wires it to Dagster.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetSelection,
    AutomationConditionSensorDefinition,
    Config,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    MetadataValue,
    OpExecutionContext,
    Output,
    RunFailureSensorContext,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    asset_check,
    define_asset_job,
    graph_asset,
    in_process_executor,
    job,
    op,
    run_failure_sensor,
    schedule,
    sensor,
)
from pydantic import Field

from customer_hub.alerts import alert_on_run_failure, observe, queue_duplicate_digest
from customer_hub.alerts.links import links_for
from customer_hub.automation.closed_won import DealCursor, plan_tick
from customer_hub.automation.customer_refresh import refresh_customer_360
from customer_hub.automation.latency import latency_check_result, latency_report
from customer_hub.automation.onboarding import OnboardingBatch, OnboardingDeal, OnboardingFlow, for_each_deal
from customer_hub.automation.settings import AutomationSettings, automation_settings
from customer_hub.config import HubConfig, cached_config
from customer_hub.defs.outbox_jobs import outbox_message_job
from customer_hub.defs.resources import HubResource
from customer_hub.defs.run_context import trigger_of
from customer_hub.defs.tool_resources import AsanaResource, HubSpotResource, QuickBooksResource, ToolResource
from customer_hub.export.monthly import export_month, previous_month
from customer_hub.store import onboarding_store
from customer_hub.store.health import health_logged
from customer_hub.timestamps import parse_iso

TOOL_TAG = "customer_hub/tool"
"""Run tag naming the tool a sync run talks to; dagster.yaml limits it to one run per tool."""
DEAL_TAG = "customer_hub/deal"
"""Run tag naming the deal an onboarding run is for; dagster.yaml limits it to one run per deal."""
ONBOARDING_JOB = "onboarding_job"
ONBOARDING_TOOLS = ("hubspot", "asana", "quickbooks")
LATENCY_WINDOW = timedelta(days=7)
"""Flows detected this recently are judged by the latency check."""

_config: HubConfig = cached_config()
_settings: AutomationSettings = automation_settings(_config.automation)


# --- syncs on each tool's cadence --------------------------------------------------------------------------------


def sync_jobs_and_schedules(config: HubConfig, settings: AutomationSettings) -> tuple[list[Any], list[Any]]:
    """Per enabled tool: a sync job selecting its stream assets on the tool's cadence, and a reconciliation job (the
    same assets in `reconcile` mode: deletions, merges and the tool's count) on its reconcile cadence."""
    jobs, schedules = [], []

    def scheduled(name: str, tool: str, assets: list[str], cron: str, cadence: str, what: str, **job: Any) -> None:
        jobs.append(
            define_asset_job(
                name, selection=AssetSelection.assets(*assets), tags={TOOL_TAG: tool}, description=what, **job
            )
        )
        schedules.append(
            ScheduleDefinition(
                name=f"{name}_schedule",
                job=jobs[-1],
                cron_schedule=cron,
                execution_timezone=settings.schedules.timezone,
                default_status=DefaultScheduleStatus.RUNNING,
                description=f"{tool} {cadence}",
            )
        )

    for tool, system in config.enabled_systems().items():
        assets = [f"{tool}_{obj}" for obj in system.objects]
        scheduled(
            f"reconcile_{tool}",
            tool,
            assets,
            system.reconcile_cron,
            f"reconcile_cadence from hub.yaml: {system.reconcile_cadence}",
            f"List every {tool} id to mark deleted and merged records and count the tool ({system.reconcile_cadence}).",
            config={"ops": {key: {"config": {"mode": "reconcile"}} for key in assets}},
        )
        scheduled(
            f"sync_{tool}",
            tool,
            assets,
            system.cron,
            f"cadence from hub.yaml: {system.cadence}",
            f"Sync every {tool} stream into the hub store ({system.cadence}).",
        )
    return jobs, schedules


_sync_jobs, _sync_schedules = sync_jobs_and_schedules(_config, _settings)

hub_automation_sensor = AutomationConditionSensorDefinition(
    "hub_automation_sensor",
    target=AssetSelection.all(),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Refreshes golden records, the 360 view and quality metrics when the data they read changes "
    "(their `AutomationCondition.eager()`).",
)


# --- housekeeping: duplicate report, parity, monthly export ------------------------------------------------------


duplicate_report_job = outbox_message_job(
    "duplicate_report_job",
    "duplicate_report",
    queue_duplicate_digest,
    "Nightly: the duplicate report (duplicates within tools, open match candidates, double billing) as one Slack "
    "message.",
)


daily_parity_job = define_asset_job(
    "daily_parity_job",
    selection=AssetSelection.groups("quality")
    | AssetSelection.checks_for_assets(
        *(f"{tool}_{obj}" for tool, system in _config.enabled_systems().items() for obj in system.objects)
    )
    | AssetSelection.checks_for_assets("onboarding_flows"),
    description="Daily: recompute the quality metrics, check record-count parity and schema drift of every stream "
    "against its tool, and re-check onboarding latency (which also catches stuck flows).",
)


class ExportRunConfig(Config):
    month: str = Field("", description="YYYY-MM the export is named after; empty means the current month")


@op
def export_hub_month(context: OpExecutionContext, config: ExportRunConfig, hub: HubResource) -> Output[str]:
    """Write the whole hub to `<export folder>/<month>` as open files with a manifest (see customer_hub.export)."""
    from customer_hub.integration_map import code_location_facts, render
    from customer_hub.integration_map.build import FILE_STEM, current_map

    hub_config, engine = hub.config(), hub.engine()
    with health_logged(engine, "monthly_export", trigger_of(context), run_id=context.run_id) as entry:
        chart = current_map(hub_config, engine, code_location_facts())
        documents = {f"{FILE_STEM}.md": render(chart, "md")}
        result = export_month(hub_config, engine, config.month or None, documents=documents)
        entry.records_out = result.total_rows
    context.log.info(f"exported {result.total_rows} rows of {len(result.row_counts)} tables to {result.folder}")
    return Output(
        str(result.folder),
        metadata={
            "folder": MetadataValue.path(str(result.folder)),
            "dagster/row_count": MetadataValue.int(result.total_rows),
            "format": MetadataValue.text(result.file_format),
        },
    )


@job(description="Monthly: the vendor-neutral export (Parquet or CSV + schemas + manifest).")
def monthly_export_job() -> None:
    export_hub_month()


duplicate_report_schedule = ScheduleDefinition(
    name="duplicate_report_schedule",
    job=duplicate_report_job,
    cron_schedule=_settings.schedules.duplicate_report_cron,
    execution_timezone=_settings.schedules.timezone,
    default_status=DefaultScheduleStatus.RUNNING,
)

daily_parity_schedule = ScheduleDefinition(
    name="daily_parity_schedule",
    job=daily_parity_job,
    cron_schedule=_settings.schedules.parity_cron,
    execution_timezone=_settings.schedules.timezone,
    default_status=DefaultScheduleStatus.RUNNING,
)


@schedule(
    job=monthly_export_job,
    cron_schedule=_settings.schedules.export_cron,
    execution_timezone=_settings.schedules.timezone,
    default_status=DefaultScheduleStatus.RUNNING,
)
def monthly_export_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    """The run on the 1st exports the month that just ended, named after it."""
    month = previous_month(context.scheduled_execution_time or datetime.now(UTC))
    return RunRequest(
        run_key=month, run_config={"ops": {"export_hub_month": {"config": {"month": month}}}}, tags={"month": month}
    )


# --- closed-won onboarding ----------------------------------------------------------------------------------------


class OnboardingRunConfig(Config):
    """Which deal to onboard; the closed-won sensor fills it in, a person can too (Launchpad). Without a deal id
    (the UI's "Materialize all") the run onboards every closed-won deal the hub store holds that is not done."""

    deal_id: str = Field("", description="HubSpot deal id; empty means every detected deal not yet onboarded")
    detected_at: str = Field("", description="when the hub saw the deal closed-won (ISO 8601); empty means now")
    closed_at: str = Field("", description="when the deal moved to closed-won (ISO 8601), if known")


def _moment(text: str) -> datetime | None:
    """A time from the run config: the sensor writes ISO 8601 with an offset; a hand-typed one without is UTC."""
    if not text:
        return None
    moment = parse_iso(text)
    if moment is None:
        raise ValueError(f"{text!r} is not an ISO 8601 time (for example 2026-11-22T10:15:00+00:00)")
    return moment


def _flow(context: OpExecutionContext, hub: HubResource, **tools: ToolResource) -> OnboardingFlow:
    """The flow with the connectors this step needs (a step never needs the credentials of another tool)."""
    config, engine = hub.config(), hub.engine()
    connectors = {name: resource.connector(config, engine) for name, resource in tools.items()}
    asana = config.systems.get("asana")
    team_gid = str(asana.settings.get("team_gid") or "") if asana else ""
    return OnboardingFlow(
        engine=engine,
        hubspot=connectors.get("hubspot"),
        asana=connectors.get("asana"),
        quickbooks=connectors.get("quickbooks"),
        settings=automation_settings(config.automation).onboarding,
        refresh_customer=lambda deal: refresh_customer_360(engine, deal),
        team_gid=team_gid or None,
        trigger=trigger_of(context),
        run_id=context.run_id,
    )


def _deal_id(deal: OnboardingDeal) -> str:
    return deal.deal_id


@op
def read_closed_won_deal(
    context: OpExecutionContext, config: OnboardingRunConfig, hub: HubResource, hubspot: HubSpotResource
) -> OnboardingBatch:
    """Read each deal and its company from HubSpot and open an attempt in onboarding_flows."""
    deal_ids = [config.deal_id] if config.deal_id else onboarding_store.pending_deal_ids(hub.engine())
    context.log.info(f"deals to onboard: {', '.join(deal_ids) or 'none'}")
    if not deal_ids:  # nothing pending: no tool is contacted, so missing credentials cannot fail the run
        return OnboardingBatch()
    flow = _flow(context, hub, hubspot=hubspot)
    detected_at, closed_at = _moment(config.detected_at), _moment(config.closed_at)
    deals = for_each_deal(
        deal_ids, lambda deal_id: flow.begin(deal_id, detected_at=detected_at, closed_at=closed_at), str
    )
    return OnboardingBatch(tuple(deals))


@op
def create_asana_project(
    context: OpExecutionContext, batch: OnboardingBatch, hub: HubResource, asana: AsanaResource
) -> OnboardingBatch:
    """The onboarding project from the template: found by its deal marker first, created only when missing."""
    if batch.deals:
        flow = _flow(context, hub, asana=asana)
        gids = for_each_deal(batch.deals, flow.ensure_project, _deal_id)
        for deal, gid in zip(batch.deals, gids, strict=True):
            context.log.info(f"deal {deal.deal_id}: Asana project {gid}")
    return batch


@op
def draft_quickbooks_invoice(
    context: OpExecutionContext, batch: OnboardingBatch, hub: HubResource, quickbooks: QuickBooksResource
) -> OnboardingBatch:
    """The draft invoice for the deal amount: found by DocNumber first, created with a deal-derived requestid."""
    if batch.deals:
        flow = _flow(context, hub, quickbooks=quickbooks)
        invoice_ids = for_each_deal(batch.deals, flow.ensure_invoice, _deal_id)
        for deal, invoice_id in zip(batch.deals, invoice_ids, strict=True):
            context.log.info(f"deal {deal.deal_id}: QuickBooks invoice {invoice_id}")
    return batch


@op
def refresh_customer_mrr(context: OpExecutionContext, batch: OnboardingBatch, hub: HubResource) -> Output[list]:
    """Rebuild each customer's customer_360 row (MRR, deals) and close the flows; reports their latency."""
    rows = for_each_deal(batch.deals, _flow(context, hub).finish, _deal_id) if batch.deals else []
    latencies = [row["latency_seconds"] for row in rows if row.get("latency_seconds") is not None]
    metadata: dict[str, Any] = {
        "deals": MetadataValue.int(len(rows)),
        "deal_ids": MetadataValue.text(", ".join(row["deal_id"] for row in rows)),
        "asana_project_gids": MetadataValue.text(", ".join(row.get("asana_project_gid") or "" for row in rows)),
        "quickbooks_invoice_ids": MetadataValue.text(", ".join(row.get("quickbooks_invoice_id") or "" for row in rows)),
        "customer_360_refreshed": MetadataValue.int(sum(row.get("mrr_refreshed_at") is not None for row in rows)),
    }
    if latencies:
        metadata["latency_seconds"] = MetadataValue.float(max(latencies))
    return Output([{key: str(value) for key, value in row.items()} for row in rows], metadata=metadata)


@graph_asset(
    group_name="automation",
    kinds={"hubspot", "asana", "quickbooks"},
    owners=["team:customer-success"],
    description="Closed-won onboarding flows: one row per deal in the hub store's onboarding_flows table (Asana "
    "project, QuickBooks draft invoice, timestamps and latency). A sensor run onboards its deal; a run without "
    "config onboards every detected deal not yet done.",
)
def onboarding_flows():
    return refresh_customer_mrr(draft_quickbooks_invoice(create_asana_project(read_closed_won_deal())))


@asset_check(
    asset=onboarding_flows,
    description="Deal closed to invoice drafted within automation.onboarding.latency_max_minutes (default 15), "
    "for the flows of the last 7 days; a flow not done (however old) counts as slow once the limit has passed.",
)
def onboarding_latency(context: AssetCheckExecutionContext, hub: HubResource) -> AssetCheckResult:
    config, engine = hub.config(), hub.engine()
    limit = automation_settings(config.automation).onboarding.latency_max_minutes
    now = datetime.now(UTC)
    report = latency_report(
        onboarding_store.read_flows(engine, since=now - LATENCY_WINDOW, unfinished=True),
        limit_minutes=limit,
        now=now,
        window=LATENCY_WINDOW,
    )
    result = latency_check_result(report)
    kind = observe(engine, result, links_for(config), config.alerts.slack_channel, now)
    if kind:
        context.log.info(f"onboarding latency alert queued: {kind}")
    metadata: dict[str, Any] = {
        "flows": MetadataValue.int(report.flows),
        "completed": MetadataValue.int(report.completed),
        "limit_seconds": MetadataValue.float(report.limit_seconds),
        "slow_flows": MetadataValue.int(len(report.slow)),
        "figure": MetadataValue.text(result.figure),
    }
    if report.median_seconds is not None:
        metadata["median_latency_seconds"] = MetadataValue.float(report.median_seconds)
    if report.worst_seconds is not None:
        metadata["worst_latency_seconds"] = MetadataValue.float(report.worst_seconds)
    if report.slow:
        metadata["slowest"] = MetadataValue.json(report.slow[:10])
    return AssetCheckResult(passed=report.passed, severity=AssetCheckSeverity.WARN, metadata=metadata)


onboarding_job = define_asset_job(
    ONBOARDING_JOB,
    selection=AssetSelection.assets(onboarding_flows),
    executor_def=in_process_executor,  # one process: no per-step start-up on the latency path
    description="Onboard closed-won deals (the sensor's runs one each; without config every pending one): Asana "
    "project, QuickBooks draft invoice, customer_360 refresh.",
)


def onboarding_run_request(deal_id: str, *, detected_at: datetime, closed_at: datetime | None) -> RunRequest:
    """The run for one deal; the run key makes a second request for the same deal a no-op."""
    config = {"deal_id": deal_id, "detected_at": detected_at.isoformat()}
    if closed_at:
        config["closed_at"] = closed_at.isoformat()
    return RunRequest(
        run_key=deal_id,
        run_config={"ops": {"onboarding_flows": {"ops": {"read_closed_won_deal": {"config": config}}}}},
        tags={DEAL_TAG: deal_id},
    )


@sensor(
    job=onboarding_job,
    minimum_interval_seconds=_settings.onboarding.sensor_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description="Polls HubSpot for deals that moved to closed-won and requests one onboarding run per deal.",
)
def closed_won_sensor(
    context: SensorEvaluationContext, hub: HubResource, hubspot: HubSpotResource
) -> SensorResult | SkipReason:
    config, engine = hub.config(), hub.engine()
    settings = automation_settings(config.automation).onboarding
    if not settings.enabled:
        return SkipReason("automation.onboarding.enabled is false in hub.yaml")
    if not settings.asana_template_gid:
        return SkipReason("set automation.onboarding.asana_template_gid in hub.yaml to turn onboarding on")
    now = datetime.now(UTC)
    cursor = DealCursor.parse(context.cursor)
    deals = hubspot.connector(config, engine)
    sightings, after = plan_tick(
        deals.closed_won_deals(cursor.since(now, timedelta(hours=settings.lookback_hours))), cursor
    )
    done = onboarding_store.finished_deal_ids(engine, [sighting.deal_id for sighting in sightings])
    requests = []
    for sighting in sightings:
        if sighting.deal_id in done:
            continue
        onboarding_store.record_detected(
            engine,
            sighting.deal_id,
            deal_name=sighting.name,
            amount=sighting.amount,
            deal_closed_at=sighting.modified_at,
            detected_at=now,
        )
        requests.append(onboarding_run_request(sighting.deal_id, detected_at=now, closed_at=sighting.modified_at))
    if requests:
        context.log.info(f"closed-won deals to onboard: {', '.join(r.run_key or '' for r in requests)}")
    return SensorResult(run_requests=requests, cursor=after.serialize())


# --- one alert per failed run ---------------------------------------------------------------------------------------


def _user_error(failure: Any) -> str:
    """The error the step's code raised, without Dagster's "error occurred while executing op" wrapper."""
    error = getattr(failure, "error", None)
    if error is None:
        return ""
    if error.cls_name == "DagsterExecutionStepExecutionError" and error.cause is not None:
        error = error.cause
    return error.message.strip()


@run_failure_sensor(
    name="run_failure_alerts",
    default_status=DefaultSensorStatus.RUNNING,
    description="Posts one Slack alert per failed run of any job, naming the failing step and its error.",
)
def run_failure_alerts(context: RunFailureSensorContext, hub: HubResource) -> None:
    config, engine = hub.config(), hub.engine()
    failures = [(event.step_key, _user_error(event.event_specific_data)) for event in context.get_step_failure_events()]
    steps = ", ".join(step for step, _ in failures if step) or None
    error = "\n".join(message.strip() for _, message in failures if message) or context.failure_event.message or ""
    run = context.dagster_run
    alert_id = alert_on_run_failure(
        engine, config, run_id=run.run_id, job_name=run.job_name, step_key=steps, error=error, now=datetime.now(UTC)
    )
    if alert_id is not None:
        context.log.info(f"run {run.run_id} of {run.job_name} failed at {steps}: alert #{alert_id} queued")


# --- what the Definitions collect ------------------------------------------------------------------------------------

assets = [onboarding_flows] if all(tool in _config.enabled_systems() for tool in ONBOARDING_TOOLS) else []
asset_checks = [onboarding_latency] if assets else []
jobs = [*_sync_jobs, duplicate_report_job, daily_parity_job, monthly_export_job, *([onboarding_job] if assets else [])]
schedules = [*_sync_schedules, duplicate_report_schedule, daily_parity_schedule, monthly_export_schedule]
sensors = [hub_automation_sensor, run_failure_alerts, *([closed_won_sensor] if assets else [])]
