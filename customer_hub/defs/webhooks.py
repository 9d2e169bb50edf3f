"""Dagster wiring of vendor webhooks: the sensor that turns stored events into runs, and the silence check.

- `webhook_events_sensor` (every `webhooks.sensor_interval_seconds`, default 5 s): a closed-won deal starts the
  onboarding job for that deal (run key = the deal id, as the polling closed-won sensor does, plus the flow's own
  exactly-once guards); changed contacts, customers, subscriptions ... start one incremental sync run per stream
  per tick, however many events arrived. The polling sensor and sync schedules stay on as the reconciliation net.
- `webhook_silence` on `quality_metrics`: evaluated with the metrics; alerts per tool that went quiet.
The logic is in `customer_hub.webhooks`; the receiver runs as its own process (`customer-hub webhooks`).
"""

from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    DefaultSensorStatus,
    MetadataValue,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    asset_check,
    sensor,
)

from customer_hub.alerts import observe_all
from customer_hub.alerts.links import links_for
from customer_hub.automation.settings import automation_settings
from customer_hub.config import HubConfig, cached_config
from customer_hub.defs import automation
from customer_hub.defs.resources import HubResource
from customer_hub.quality.checks import QUALITY_ASSET
from customer_hub.spokes.registry import streams as configured_streams
from customer_hub.store import webhook_store
from customer_hub.webhooks.dispatch import Dispatch, dispatch
from customer_hub.webhooks.settings import webhook_settings
from customer_hub.webhooks.silence import CHECK, silence_results

_config: HubConfig = cached_config()
_settings = webhook_settings(_config.webhooks)
_jobs = {job.name: job for job in automation.jobs}
_onboarding = automation.ONBOARDING_JOB in _jobs


def onboarding_on(config: HubConfig) -> bool:
    """Whether closed-won events may start onboarding runs: the same switches the polling sensor obeys."""
    settings = automation_settings(config.automation).onboarding
    return _onboarding and settings.enabled and bool(settings.asana_template_gid)


def run_requests(planned: Dispatch, now: datetime) -> list[RunRequest]:
    """The Dagster runs for one tick's plan."""
    requests = []
    for item in planned.onboard:
        base = automation.onboarding_run_request(item.deal_id, detected_at=now, closed_at=item.closed_at)
        requests.append(
            RunRequest(
                run_key=base.run_key, run_config=base.run_config, tags=base.tags, job_name=automation.ONBOARDING_JOB
            )
        )
    for sync in planned.syncs:
        key = f"{sync.tool}_{sync.obj}"
        requests.append(
            RunRequest(
                run_key=sync.run_key,
                job_name=f"sync_{sync.tool}",
                asset_selection=[AssetKey(key)],
                run_config={"ops": {key: {"config": {"mode": "incremental"}}}},
                tags={automation.TOOL_TAG: sync.tool, "customer_hub/webhook_events": str(sync.events)},
            )
        )
    return requests


@sensor(
    name="webhook_events_sensor",
    jobs=list(_jobs.values()),
    minimum_interval_seconds=_settings.sensor_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description="Turns stored vendor webhook events into work: onboarding runs for closed-won deals, one "
    "incremental sync per changed stream per tick.",
)
def webhook_events_sensor(context: SensorEvaluationContext, hub: HubResource) -> SensorResult | SkipReason:
    config, engine = hub.config(), hub.engine()
    now = datetime.now(UTC)
    committed = int(context.cursor) if (context.cursor or "").isdigit() else 0
    planned = dispatch(
        engine,
        committed,
        set(configured_streams(config)),
        onboarding_on(config),
        now,
        limit=webhook_settings(config.webhooks).batch_limit,
        trigger="sensor:webhook_events_sensor",
    )
    if not planned.requested:
        return SkipReason(f"{planned.events} new webhook events, no work" if planned.events else "no new events")
    requests = run_requests(planned, now)
    context.log.info(f"{planned.events} webhook events -> runs {', '.join(r.run_key or '' for r in requests)}")
    return SensorResult(run_requests=requests, cursor=str(planned.tick))


@asset_check(
    asset=QUALITY_ASSET,
    name=CHECK,
    description="Every tool that sends webhooks has sent one within webhooks.silence_hours (default 24 h); a "
    "silent tool alerts once, and again when it recovers.",
)
def webhook_silence(context: AssetCheckExecutionContext, hub: HubResource) -> AssetCheckResult:
    config, engine = hub.config(), hub.engine()
    now = datetime.now(UTC)
    results = silence_results(
        webhook_store.last_received(engine), webhook_settings(config.webhooks), now, QUALITY_ASSET
    )
    queued = observe_all(engine, results, links_for(config), config.alerts.slack_channel, now)
    if queued:
        context.log.info(f"webhook silence alerts queued: {queued}")
    metadata: dict[str, Any] = {
        "tools": MetadataValue.int(len(results)),
        "silent": MetadataValue.text(", ".join(r.subject for r in results if not r.passed) or "none"),
    }
    metadata.update({f"hours_since_{r.subject}": MetadataValue.float(r.value) for r in results})
    return AssetCheckResult(passed=all(r.passed for r in results), severity=AssetCheckSeverity.WARN, metadata=metadata)


asset_checks = [webhook_silence]
sensors = [webhook_events_sensor]
