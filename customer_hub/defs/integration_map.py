"""Dagster wiring of the integration map: the `integration_map` asset, whose metadata shows the map.

It is drawn from hub.yaml and this code location's own definitions (`customer_hub.definitions`), refreshed after
every sync (record counts, last sync status) and whenever hub.yaml changes: the asset's code version is a hash of
the file, so a changed hub.yaml shows it as changed and the automation sensor draws the map again.
"""

import hashlib

from dagster import AssetExecutionContext, AssetKey, AutomationCondition, MaterializeResult, MetadataValue, asset

from customer_hub.config import cached_config
from customer_hub.defs.golden import REFRESH_ON_ANY_SYNC
from customer_hub.defs.resources import HubResource
from customer_hub.defs.run_context import trigger_of
from customer_hub.store.health import health_logged

_config = cached_config()
STREAM_KEYS = [f"{tool}_{obj}" for tool, system in _config.enabled_systems().items() for obj in system.objects]


def _config_version() -> str:
    """A hash of hub.yaml's text: the asset's code version changes with the file."""
    text = _config.path.read_bytes() if _config.path and _config.path.exists() else b""
    return hashlib.sha256(text).hexdigest()[:16]


@asset(
    deps=[AssetKey(key) for key in STREAM_KEYS],
    group_name="documentation",
    owners=[_config.hub.owner],
    kinds={"markdown"},
    code_version=_config_version(),
    automation_condition=REFRESH_ON_ANY_SYNC | AutomationCondition.code_version_changed(),
    description="The integration map: the hub, each tool with owner, cadence, objects, record counts and last sync "
    "status, every flow in the direction data moves (reads, webhooks, onboarding writes, write-backs, alerts) and "
    "the field ownership table, drawn from hub.yaml and these Dagster definitions. Files in <data folder>/"
    "integration_map/ (Markdown with Mermaid; SVG and HTML where Graphviz is installed).",
)
def integration_map(context: AssetExecutionContext, hub: HubResource) -> MaterializeResult:
    from customer_hub.integration_map import code_location_facts, render
    from customer_hub.integration_map.build import current_map, map_folder, write_map

    config, engine = hub.config(), hub.engine()
    with health_logged(engine, "integration_map", trigger_of(context), run_id=context.run.run_id) as entry:
        chart = current_map(config, engine, code_location_facts())
        files = write_map(chart, map_folder(config))
        entry.records_out = len(chart.flows)
    if files.drawing_skipped:
        context.log.warning(f"integration map: no SVG/HTML: {files.drawing_skipped}")
    metadata = {
        "map": MetadataValue.md(render(chart, "md")),
        "path": MetadataValue.path(str(files.markdown)),
        "tools": MetadataValue.int(len(chart.tools)),
        "flows": MetadataValue.int(len(chart.flows)),
        "flows_on": MetadataValue.int(sum(flow.active for flow in chart.flows)),
        "drawing": MetadataValue.path(str(files.html)) if files.html else MetadataValue.text(files.drawing_skipped),
    }
    return MaterializeResult(metadata=metadata)


assets = [integration_map]
