"""The ingestion assets: one per enabled stream in hub.yaml (`hubspot_contacts`, `stripe_invoices`, ...).

Each asset syncs its stream into the hub store and reports what it did as metadata; the data itself lives in the
store, not in an IO manager. Assets of one tool share the Dagster pool named after the tool, so with the pool
limited to 1 two syncs of one tool never compete for its rate limit.
"""

from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Config,
    FreshnessPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster._utils.schedules import cron_string_iterator
from pydantic import Field

from customer_hub.config import HubConfig, SystemConfig, cached_config
from customer_hub.defs.columns import COLUMN_SCHEMA, payload_schema
from customer_hub.defs.run_context import trigger_of
from customer_hub.defs.tool_resources import resources as tool_resources
from customer_hub.quality import quality_settings
from customer_hub.quality.quarantine import accept_new_mapping
from customer_hub.spokes.sync import SyncResult, sync_stream
from customer_hub.store.health import health_logged
from customer_hub.store.landing import latest_schema


class SyncRunConfig(Config):
    """Run configuration of an ingestion asset."""

    mode: str = Field(
        default="auto",
        description="auto (incremental when a cursor exists, else full), full (also marks vanished records), "
        "incremental, or reconcile (lists the tool's ids to mark deletions and merges and count the tool)",
    )
    accept_new_mapping: bool = Field(
        default=False,
        description="accept the quarantined fields' new mapping (renames schema drift recognised) and read the "
        "stream in full, so every record is re-derived and the golden layer is unblocked",
    )
    accepted_by: str = Field(default="dagster run config", description="who accepted, kept with the quarantine")


def sync_metadata(result: SyncResult) -> dict[str, Any]:
    """Numeric metadata (so the UI plots it over time) plus the mode and cursor as text."""
    return {
        "dagster/row_count": MetadataValue.int(result.landed_count),
        "fetched": MetadataValue.int(result.fetched),
        "inserted": MetadataValue.int(result.inserted),
        "updated": MetadataValue.int(result.updated),
        "unchanged": MetadataValue.int(result.unchanged),
        "marked_deleted": MetadataValue.int(result.marked_deleted),
        "merged": MetadataValue.int(result.merged),
        "restored": MetadataValue.int(result.restored),
        "reported_count": MetadataValue.int(result.reported_count)
        if result.reported_count is not None
        else MetadataValue.text("not reported by the tool"),
        "pages": MetadataValue.int(result.pages),
        "requests": MetadataValue.int(result.requests),
        "retries": MetadataValue.int(result.retries),
        "throttled_seconds": MetadataValue.float(result.throttled_seconds),
        "duration": MetadataValue.float(result.duration_seconds),
        "mode": MetadataValue.text(result.mode_used),
        "cursor": MetadataValue.text(result.cursor_after or ""),
        "schema_changed": MetadataValue.bool(result.schema_changed),
        "quarantined_fields": MetadataValue.text(", ".join(result.quarantined_fields) or "none"),
        "held_values": MetadataValue.int(result.held_values),
        "quarantined_records": MetadataValue.int(result.quarantined_records),
    }


_CADENCE_SAMPLE = datetime(2026, 1, 5, tzinfo=UTC)
"""A Monday: the gaps between a cron's ticks over the fortnight after it give the cadence's longest period."""


def cadence_period(cron: str) -> timedelta:
    """The longest time between two runs of a sync on this cron (a weekday-only cron waits over the weekend)."""
    ticks = list(islice(cron_string_iterator(_CADENCE_SAMPLE.timestamp(), cron, "UTC"), 2000))
    ticks = [tick for tick in ticks if tick <= _CADENCE_SAMPLE + timedelta(weeks=2)] or ticks[:2]
    return max((later - earlier for earlier, later in zip(ticks, ticks[1:], strict=False)), default=timedelta(weeks=1))


def sync_freshness(system: SystemConfig) -> FreshnessPolicy:
    """Dagster's freshness for a stream from its tool's cadence: warn once a sync is overdue by half a period
    (one missed or slow run), fail once two have been missed."""
    period = cadence_period(system.cron)
    return FreshnessPolicy.time_window(fail_window=period * 2.5, warn_window=period * 1.5)


def build_sync_asset(tool: str, obj: str, system: SystemConfig) -> AssetsDefinition:
    """The asset that syncs `<tool>_<obj>`, owned by the system's owner and run in the tool's pool."""
    key = f"{tool}_{obj}"

    @asset(
        name=key,
        group_name=tool,
        kinds={tool},
        owners=[system.owner],
        freshness_policy=sync_freshness(system),
        description=f"{tool} {obj}, landed in the hub store (raw payload and canonical fields, upserted by "
        f"source id, vanished records marked deleted). Source: {system.description or tool}.",
        pool=tool,
        required_resource_keys={"hub", tool},
        metadata={"tool": tool, "object": obj, "cadence": system.cadence},
    )
    def _sync(context: AssetExecutionContext, config: SyncRunConfig) -> MaterializeResult:
        hub = context.resources.hub
        engine = hub.engine()
        with health_logged(
            engine, what=key, trigger=trigger_of(context), tool=tool, run_id=context.run.run_id
        ) as entry:
            # inside the log: a missing credential fails this tool's step, logged against the tool (uptime)
            connector = getattr(context.resources, tool).connector(hub.config(), engine)
            mode = config.mode
            if config.accept_new_mapping:
                ignore = quality_settings(hub.config()).drift_ignore
                accepted = accept_new_mapping(engine, tool, obj, config.accepted_by, datetime.now(UTC), ignore)
                context.log.info(accepted.describe())
                mode = "full"
            result = sync_stream(engine, connector, obj, mode=mode, log=context.log)
            entry.records_in = result.fetched
            entry.records_out = result.inserted + result.updated
        metadata = sync_metadata(result)
        with engine.connect() as conn:
            paths = latest_schema(conn, tool, obj)
        if paths:
            metadata[COLUMN_SCHEMA] = payload_schema(paths, quality_settings(hub.config()).drift_ignore)
        return MaterializeResult(metadata=metadata)

    return _sync


def build_sync_assets(config: HubConfig) -> list[AssetsDefinition]:
    """One asset per object of every enabled system, in hub.yaml order."""
    return [
        build_sync_asset(tool, obj, system)
        for tool, system in config.enabled_systems().items()
        for obj in system.objects
    ]


assets: list[AssetsDefinition] = build_sync_assets(cached_config())
resources = dict(tool_resources)
