"""Dagster wiring of the shadow-IT scan: the `saas_spend` asset over the landed QuickBooks spend, its quarterly
schedule, and the Slack summary each scan queues. The scan itself is `customer_hub.spend` (no Dagster there)."""

from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from customer_hub.alerts.links import links_for
from customer_hub.alerts.shadow_it import ASSET, queue_shadow_it_summary
from customer_hub.automation.settings import automation_settings
from customer_hub.config import SPEND_STREAMS, cached_config
from customer_hub.defs.resources import HubResource
from customer_hub.defs.run_context import trigger_of
from customer_hub.spend.report import scan_books
from customer_hub.spend.settings import shadow_it_settings
from customer_hub.store.health import health_logged

_config = cached_config()
_SPEND_KEYS = sorted(
    f"{tool}_{obj}"
    for tool, system in _config.enabled_systems().items()
    for obj in system.objects
    if (tool, obj) in SPEND_STREAMS
)
_OWNER = _config.systems["quickbooks"].owner if "quickbooks" in _config.systems else _config.hub.owner
"""The books' owner (QuickBooks' in hub.yaml) answers for what the company pays."""


def _table(lines: list[str]) -> MetadataValue:
    return MetadataValue.md("\n".join(f"- {line}" for line in lines) if lines else "None.")


@asset(
    name=ASSET,
    deps=[AssetKey(key) for key in _SPEND_KEYS],
    group_name="shadow_it",
    owners=[_OWNER],
    kinds={"quickbooks", "slack"},
    description="Shadow-IT scan: recurring vendor charges in QuickBooks (monthly, quarterly or annual at a stable "
    "price), matched to the hub.yaml inventory and a catalogue of SaaS vendors. Lists SaaS paid for outside the "
    "inventory and tools whose real monthly cost differs from monthly_cost_usd; each scan posts a Slack summary.",
)
def saas_spend(context: AssetExecutionContext, hub: HubResource) -> MaterializeResult:
    config, engine = hub.config(), hub.engine()
    now = datetime.now(UTC)
    with health_logged(engine, ASSET, trigger_of(context), run_id=context.run.run_id) as entry:
        report = scan_books(engine, config)
        entry.records_in = sum(vendor.charges for vendor in report.vendors)
        entry.records_out = len(report.unknown_saas) + len(report.cost_mismatches)
        alert_id = queue_shadow_it_summary(engine, report, links_for(config), now)
    context.log.info(f"shadow-IT summary queued as alert #{alert_id}; slack_alert_delivery posts it")
    for problem in report.problems:
        context.log.warning(problem)
    metadata: dict[str, Any] = {
        "dagster/row_count": MetadataValue.int(len(report.vendors)),
        "unknown_saas": MetadataValue.int(len(report.unknown_saas)),
        "unknown_saas_monthly_usd": MetadataValue.float(report.unknown_monthly_usd),
        "cost_mismatches": MetadataValue.int(len(report.cost_mismatches)),
        "recurring_vendors": MetadataValue.int(sum(vendor.recurring for vendor in report.vendors)),
        "charges_without_vendor": MetadataValue.int(report.without_vendor),
        "unreadable_charges": MetadataValue.int(len(report.problems)),
        "books_as_of": MetadataValue.text(f"{report.as_of}" if report.as_of else "no purchases or bills landed"),
        "unknown_saas_vendors": _table([vendor.summary() for vendor in report.unknown_saas]),
        "cost_differences": _table([tool.summary() for tool in report.cost_mismatches]),
        "actual_vs_configured": _table([tool.summary() for tool in report.tools]),
    }
    return MaterializeResult(metadata=metadata)


shadow_it_job = define_asset_job(
    "shadow_it_scan_job",
    selection=AssetSelection.assets(saas_spend),
    description="Quarterly: the shadow-IT scan over the QuickBooks spend the daily sync landed, and its Slack summary.",
)

shadow_it_schedule = ScheduleDefinition(
    name="shadow_it_scan_schedule",
    job=shadow_it_job,
    cron_schedule=shadow_it_settings(_config.shadow_it).scan_cron,
    execution_timezone=automation_settings(_config.automation).schedules.timezone,
    default_status=DefaultScheduleStatus.RUNNING,
    description="shadow_it.scan_cron from hub.yaml (quarterly by default)",
)

_ON = bool(_SPEND_KEYS)
"""The scan needs QuickBooks' spend streams; without them (QuickBooks disabled, or its objects trimmed) it is off."""
assets = [saas_spend] if _ON else []
jobs = [shadow_it_job] if _ON else []
schedules = [shadow_it_schedule] if _ON else []
