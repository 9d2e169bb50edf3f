"""Dagster wiring of data quality and alerting.

- `quality_metrics`: every metric, appended to the history each run, with its hub-wide checks (completeness,
  latency, unmatched invoices, uptime, error rate);
- duplicates on `golden_customers` and double billing on `customer_360`, evaluated whenever those are rebuilt;
- checks on every ingestion stream (row-count parity, schema drift), evaluated right after the stream's sync;
- `slack_alert_delivery`: a sensor that delivers the alert outbox every 30 seconds.

Why checks raise alerts themselves instead of a sensor reading check results from Dagster's event log: the check
has the full result in hand (figure, goal, offending records) and records the incident decision and the queued
alert in one transaction of the hub store. Nothing depends on event-log cursors, the same code runs in tests and in
the CLI, and a failing check that keeps failing unchanged queues nothing, however often it runs. The sensor only
delivers, so a Slack outage delays alerts without losing them.
"""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AutomationCondition,
    DefaultSensorStatus,
    MaterializeResult,
    MetadataValue,
    SensorEvaluationContext,
    SkipReason,
    asset,
    asset_check,
    multi_asset_check,
    sensor,
)
from sqlalchemy import Engine

from customer_hub.alerts import deliver_pending, observe_all, slack_target
from customer_hub.alerts.links import links_for
from customer_hub.config import HubConfig, cached_config
from customer_hub.defs.golden import REFRESH_UNLESS_BLOCKED
from customer_hub.defs.resources import HubResource
from customer_hub.defs.run_context import trigger_of
from customer_hub.golden.review import auto_merge_threshold
from customer_hub.quality import (
    CheckResult,
    compute_metrics,
    double_billing_check,
    duplicates_check,
    evaluate_quality_checks,
    quality_settings,
    stream_check_results,
)
from customer_hub.quality.checks import CUSTOMER_360_ASSET, GOLDEN_ASSET, QUALITY_ASSET, TITLES
from customer_hub.spokes.registry import streams
from customer_hub.store import alert_store
from customer_hub.store.health import health_logged
from customer_hub.store.quality_store import append_metrics

GROUP = "quality"
REPORTED_COUNT = "reported_count"
"""Materialization metadata of an ingestion asset: the tool's own record count, read right after the sync."""


def check_result(result: CheckResult) -> AssetCheckResult:
    """The Dagster form of a check result: passed, severity, the figure, and the offending records as JSON."""
    plain = result.metadata()
    metadata: dict[str, Any] = {
        "value": MetadataValue.float(plain["value"]),
        "figure": MetadataValue.text(plain["figure"]),
        "goal": MetadataValue.text(plain["goal"]),
        "offender_count": MetadataValue.int(int(plain["offender_count"])),
        "offenders": MetadataValue.json(plain["offenders"]),
    }
    if plain["threshold"] is not None:
        metadata["threshold"] = MetadataValue.float(plain["threshold"])
    return AssetCheckResult(
        asset_key=AssetKey(result.asset),
        check_name=result.check,
        passed=result.passed,
        severity=AssetCheckSeverity.WARN if result.severity == "WARN" else AssetCheckSeverity.ERROR,
        description=result.figure,
        metadata=metadata,
    )


def _raise_alerts(config: HubConfig, engine, results: Iterable[CheckResult], now: datetime, log) -> None:
    queued = observe_all(engine, results, links_for(config), config.alerts.slack_channel, now)
    for key, kind in queued.items():
        log.info(f"alert queued for delivery: {kind} {key}")


def _spec(check: str, asset_key: str, goal: str, *, blocking: bool = False) -> AssetCheckSpec:
    return AssetCheckSpec(check, asset=asset_key, description=f"{TITLES[check]}? Goal: {goal}.", blocking=blocking)


_settings = quality_settings(cached_config())
_OWNERS = [cached_config().hub.owner]
"""hub.yaml's `hub.owner`: the quality figures span every tool."""


@asset(
    name=QUALITY_ASSET,
    group_name=GROUP,
    owners=_OWNERS,
    kinds={"python", "slack"},
    deps=["customer_360"],
    automation_condition=REFRESH_UNLESS_BLOCKED,
    check_specs=[
        _spec("completeness", QUALITY_ASSET, f"at least {_settings.completeness_min:.0%} of golden customers complete"),
        _spec("latency", QUALITY_ASSET, f"at most {_settings.latency_max_minutes:g} min from tool to golden record"),
        _spec("unmatched_invoices", QUALITY_ASSET, f"at most {_settings.unmatched_invoices_max}"),
        _spec("uptime", QUALITY_ASSET, f"every integration up at least {_settings.uptime_min:.0%}"),
        _spec("error_rate", QUALITY_ASSET, f"at most {_settings.error_rate_max:.0%} failed runs per integration"),
    ],
    description="Data-quality metrics per tool and overall (duplicates, completeness, unmatched invoices, uptime, "
    "error rate, latency, schema drift, double billing), appended to the history every run. Failing checks "
    "alert in Slack once, update in the thread when the figure changes and reply when resolved.",
)
def quality_metrics(context: AssetExecutionContext, hub: HubResource) -> MaterializeResult:
    config, engine = hub.config(), hub.engine()
    settings = quality_settings(config)
    now = datetime.now(UTC)
    with health_logged(engine, QUALITY_ASSET, trigger_of(context), run_id=context.run.run_id) as entry:
        metrics = compute_metrics(engine, config, now, settings)
        entry.records_out = append_metrics(engine, metrics, now)
        results = evaluate_quality_checks(metrics, settings)
        _raise_alerts(config, engine, results, now, context.log)
    metadata: dict[str, Any] = {"dagster/row_count": MetadataValue.int(len(metrics))}
    metadata.update({metric.series: MetadataValue.float(float(metric.value)) for metric in metrics})
    failing = sorted(metric.series for metric in metrics if metric.passed is False)
    metadata["failing"] = MetadataValue.text(", ".join(failing) or "none")
    return MaterializeResult(metadata=metadata, check_results=[check_result(result) for result in results])


@asset_check(
    asset=GOLDEN_ASSET,
    name="duplicates",
    blocking=True,
    automation_condition=AutomationCondition.eager(),  # runs with every automated golden run, so it can block
    description=f"Duplicate customer records? Goal: at most {_settings.duplicates_max} extra records of one tool "
    "resolved to one golden record (open match candidates across tools are listed beside them). Blocking: above "
    f"{_settings.duplicates_error_share:.0%} of the records it fails at ERROR and customer_360 and write-back wait; "
    "below, at WARN, nothing waits.",
)
def golden_duplicates(context: AssetCheckExecutionContext, hub: HubResource) -> AssetCheckResult:
    return _evaluate_one(
        context,
        hub,
        "golden_customers_duplicates",
        lambda engine, config: duplicates_check(engine, quality_settings(config), auto_merge_threshold(config)),
    )


@asset_check(
    asset=CUSTOMER_360_ASSET,
    name="double_billing",
    blocking=True,
    automation_condition=AutomationCondition.eager(),
    description=f"Customers billed twice? Goal: at most {_settings.double_billing_max} customers paying twice for "
    "one product (two billing subscriptions to it). Blocking: above "
    f"{_settings.double_billing_error_share:.0%} of paying customers it fails at ERROR and quality_metrics waits; "
    "below, at WARN, nothing waits.",
)
def customer_double_billing(context: AssetCheckExecutionContext, hub: HubResource) -> AssetCheckResult:
    return _evaluate_one(
        context,
        hub,
        "customer_360_double_billing",
        lambda engine, config: double_billing_check(engine, quality_settings(config)),
    )


def _evaluate_one(
    context: AssetCheckExecutionContext,
    hub: HubResource,
    what: str,
    evaluate: Callable[[Engine, HubConfig], CheckResult],
) -> AssetCheckResult:
    """Run one store-level check, raise or settle its alert, and return it to Dagster."""
    config, engine = hub.config(), hub.engine()
    with health_logged(engine, what, trigger_of(context), run_id=context.run.run_id):
        result = evaluate(engine, config)
        _raise_alerts(config, engine, [result], datetime.now(UTC), context.log)
    return check_result(result)


def reported_count(context: AssetCheckExecutionContext, stream: str) -> int | None:
    """The tool's count recorded by the stream's latest sync, or None (never synced, or the tool cannot count).

    Read from the sync's own materialization so the tool's figure and the landed rows describe the same moment,
    without a second request to the tool.
    """
    event = context.instance.get_latest_materialization_event(AssetKey(stream))
    materialization = event.asset_materialization if event else None
    value = materialization.metadata.get(REPORTED_COUNT) if materialization else None
    count = getattr(value, "value", value)
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def build_stream_checks(stream: str, tool: str, obj: str) -> AssetChecksDefinition:
    """Row-count parity, schema drift and field quarantine of one ingestion stream, run after each of its syncs."""

    @multi_asset_check(
        name=f"{stream}_quality_checks",
        specs=[
            _spec("row_count_parity", stream, "the hub holds exactly the records the tool reports"),
            _spec("schema_drift", stream, "no field added, removed or renamed since the baseline schema"),
            # blocking: while a field is quarantined, customer_records (and so the golden layer) waits
            _spec("field_quarantine", stream, "no sync empties a field filled on most records", blocking=True),
        ],
        can_subset=True,
        description=f"{tool} {obj}: record count against the tool's own count, and the payload schema against "
        "its baseline.",
    )
    def _checks(context: AssetCheckExecutionContext, hub: HubResource):
        config, engine = hub.config(), hub.engine()
        selected = {key.name for key in context.selected_asset_check_keys}
        now = datetime.now(UTC)
        with health_logged(engine, f"{stream}_quality_checks", trigger_of(context), run_id=context.run.run_id):
            counts = {stream: reported_count(context, stream)}
            parity, results = stream_check_results(engine, quality_settings(config), {stream: (tool, obj)}, counts)
            if "row_count_parity" in selected:
                append_metrics(engine, parity, now)
            results = [result for result in results if result.check in selected]
            _raise_alerts(config, engine, results, now, context.log)
        for result in results:
            yield check_result(result)
        if "schema_drift" in selected and not any(result.check == "schema_drift" for result in results):
            yield AssetCheckResult(
                asset_key=AssetKey(stream),
                check_name="schema_drift",
                passed=True,
                description="no schema snapshot yet: the first sync records the baseline",
            )

    return _checks


@sensor(
    name="slack_alert_delivery",
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Delivers queued alerts to Slack (or keeps them in the outbox, logged, when Slack is not "
    "configured). Alerts that could not be delivered are retried here, in order.",
)
def slack_alert_delivery(context: SensorEvaluationContext, hub: HubResource) -> SkipReason:
    config, engine = hub.config(), hub.engine()
    if not alert_store.to_deliver(engine):
        return SkipReason("no alerts to deliver")
    report = deliver_pending(engine, slack_target(config.alerts))
    if report.errors:
        context.log.warning(report.summary())
    return SkipReason(report.summary())


assets: list[AssetsDefinition] = [quality_metrics]
asset_checks: list[AssetChecksDefinition] = [
    golden_duplicates,
    customer_double_billing,
    *(build_stream_checks(f"{tool}_{obj}", tool, obj) for tool, obj in streams(cached_config())),
]
sensors = [slack_alert_delivery]
