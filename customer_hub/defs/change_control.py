"""Dagster wiring of change control: the `schema_change_tickets` asset (one Asana task per schema change, refreshed
whenever the quality metrics are) and the weekly integration-patch digest job and schedule. The logic is
`customer_hub.change_control`; this module only connects it."""

from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetExecutionContext,
    AutomationCondition,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
)

from customer_hub.automation.settings import automation_settings
from customer_hub.change_control.digest import queue_patch_digest
from customer_hub.change_control.settings import change_control_settings
from customer_hub.change_control.tickets import sync_tickets, track_changes
from customer_hub.config import cached_config
from customer_hub.defs.outbox_jobs import outbox_message_job
from customer_hub.defs.resources import HubResource
from customer_hub.defs.run_context import trigger_of
from customer_hub.defs.tool_resources import AsanaResource
from customer_hub.quality.checks import QUALITY_ASSET
from customer_hub.store import change_store
from customer_hub.store.health import health_logged

TICKETS_ASSET = "schema_change_tickets"
_config = cached_config()
_settings = change_control_settings(_config.change_control)


@asset(
    name=TICKETS_ASSET,
    deps=[QUALITY_ASSET],
    group_name="change_control",
    owners=[_config.hub.owner],
    kinds={"asana"},
    pool="asana",  # one ticket sync at a time, and never beside an Asana sync (its rate limit)
    automation_condition=AutomationCondition.eager(),
    description="Change control: every field a tool added, removed or renamed (schema drift) is tracked as one "
    "change with one Asana task in change_control.asana_project_gid, found by its marker before any is created, "
    "completed when the change is resolved or accepted and reopened if it comes back. The ticket is named in the "
    "Slack thread of the stream's schema-drift alert.",
)
def schema_change_tickets(context: AssetExecutionContext, hub: HubResource, asana: AsanaResource) -> MaterializeResult:
    config, engine = hub.config(), hub.engine()
    project = change_control_settings(config.change_control).asana_project_gid or ""
    now = datetime.now(UTC)
    with health_logged(engine, TICKETS_ASSET, trigger_of(context), tool="asana", run_id=context.run.run_id) as entry:
        found = track_changes(engine, config, now)
        report = sync_tickets(engine, asana.connector(config, engine), project, config, now)
        entry.records_out = len(report.created) + len(report.completed) + len(report.reopened)
        context.log.info(report.summary())
        if report.errors:  # every change was tried; the run fails so the run-failure alert says which did not sync
            raise RuntimeError(
                f"change control: {len(report.errors)} ticket(s) not synced: " + "; ".join(report.errors)
            )
    open_rows = change_store.read_changes(engine, change_store.OPEN)
    metadata: dict[str, Any] = {
        "dagster/row_count": MetadataValue.int(len(open_rows)),
        "open_changes": MetadataValue.int(len(open_rows)),
        "new_changes": MetadataValue.int(len(found.opened) + len(found.reopened)),
        "resolved_changes": MetadataValue.int(len(found.resolved)),
        "tickets_created": MetadataValue.int(len(report.created)),
        "tickets_completed": MetadataValue.int(len(report.completed)),
        "open": MetadataValue.md(
            "\n".join(
                f"- {row['tool']} {row['object']}: {row['summary']} ({row['ticket_url'] or 'no ticket'})"
                for row in open_rows
            )
            or "None."
        ),
    }
    return MaterializeResult(metadata=metadata)


integration_patch_digest_job = outbox_message_job(
    "integration_patch_digest_job",
    "integration_patch_digest",
    queue_patch_digest,
    "Weekly: the integration-patch digest (open schema changes with their age, owner and ticket) as one Slack message.",
)

integration_patch_digest_schedule = ScheduleDefinition(
    name="integration_patch_digest_schedule",
    job=integration_patch_digest_job,
    cron_schedule=_settings.digest_cron,
    execution_timezone=automation_settings(_config.automation).schedules.timezone,
    default_status=DefaultScheduleStatus.RUNNING,
    description="change_control.digest_cron from hub.yaml (weekly)",
)

_TICKETS_ON = _settings.tickets_on and "asana" in _config.enabled_systems()
"""Tickets need the project and an enabled Asana; without them the digest still lists the changes."""
assets = [schema_change_tickets] if _TICKETS_ON else []
jobs = [integration_patch_digest_job]
schedules = [integration_patch_digest_schedule]
