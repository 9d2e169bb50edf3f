"""The integration map as data: the hub, each tool with its owner, cadence, objects and how its syncs are doing,
every flow in the direction data moves, and the field ownership table.

Pure: hub.yaml (`HubConfig`), the Dagster definitions (`DefinitionFacts`) and the inventory's figures in, an
`IntegrationMap` out. Rendering (Markdown with Mermaid, Graphviz SVG, HTML) is in `render`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from customer_hub.automation.settings import automation_settings
from customer_hub.config import HubConfig
from customer_hub.integration_map.facts import DefinitionFacts
from customer_hub.webhooks.settings import webhook_settings
from customer_hub.writeback.settings import writeback_settings

HUB = "hub"
SLACK = "slack"
TOOL_NAMES = {
    "hubspot": "HubSpot",
    "stripe": "Stripe",
    "intercom": "Intercom",
    "quickbooks": "QuickBooks Online",
    "sheets": "Google Sheets",
    "asana": "Asana",
}
FLOW_KINDS = ("read", "webhook", "onboarding", "writeback", "alert")
"""In the order the map lists them: what comes into the hub first, then what the hub sends out."""


@dataclass(frozen=True)
class ToolNode:
    """One tool as hub.yaml declares it and as the hub sees it."""

    tool: str
    name: str
    owner: str
    description: str
    enabled: bool
    wired: bool
    """Its stream assets are in the Dagster definitions (false for a tool switched off in hub.yaml)."""
    cadence: str
    schedule: str | None
    """The cron of the tool's sync schedule in the definitions."""
    objects: dict[str, int]
    """Object -> live records landed in the hub."""
    last_sync_at: datetime | None
    last_run_status: str | None


@dataclass(frozen=True)
class Flow:
    """Data moving from `source` to `target` (`hub`, `slack` or a tool); `active` false when configured but off."""

    source: str
    target: str
    kind: str
    label: str
    detail: str
    active: bool


@dataclass(frozen=True)
class FieldRow:
    """Who owns a field, and which tool fields the hub writes it into (`(off)` when that write-back is off)."""

    field: str
    owners: tuple[str, ...]
    written_to: tuple[str, ...]


@dataclass(frozen=True)
class IntegrationMap:
    hub_name: str
    hub_owner: str
    config_file: str
    tools: tuple[ToolNode, ...]
    flows: tuple[Flow, ...]
    fields: tuple[FieldRow, ...]
    inside_hub: dict[str, tuple[str, ...]]
    """Asset group -> asset keys of what the hub derives (golden records, quality, customer success, ...)."""
    alert_channel: str | None
    definitions: dict[str, int]
    """How many assets, schedules and sensors the definitions hold: what the map was drawn from."""
    generated_at: datetime

    def name_of(self, node: str) -> str:
        if node == HUB:
            return self.hub_name
        if node == SLACK:
            return f"Slack {self.alert_channel}"
        return TOOL_NAMES.get(node, node)


def _tool_node(tool: str, config: HubConfig, facts: DefinitionFacts, stats: Mapping[str, Any]) -> ToolNode:
    system = config.systems[tool]
    return ToolNode(
        tool=tool,
        name=TOOL_NAMES.get(tool, tool),
        owner=system.owner,
        description=system.description,
        enabled=system.enabled,
        wired=any(facts.has_asset(f"{tool}_{obj}") for obj in system.objects),
        cadence=system.cadence,
        schedule=facts.schedules.get(f"sync_{tool}_schedule"),
        objects={obj: int((stats.get("objects") or {}).get(obj, 0)) for obj in system.objects},
        last_sync_at=stats.get("last_sync_at"),
        last_run_status=stats.get("last_run_status"),
    )


def _reads(tools: Sequence[ToolNode]) -> list[Flow]:
    return [
        Flow(
            tool.tool,
            HUB,
            "read",
            f"sync {tool.cadence}" if tool.wired else "not synced (disabled)",
            ", ".join(tool.objects) + (f" on cron {tool.schedule}" if tool.schedule else ""),
            tool.wired,
        )
        for tool in tools
    ]


def _webhooks(config: HubConfig, facts: DefinitionFacts, wired: set[str]) -> list[Flow]:
    if "webhook_events_sensor" not in facts.sensors:
        return []
    return [
        Flow(tool, HUB, "webhook", "webhooks", "signed events: targeted syncs within seconds", True)
        for tool in webhook_settings(config.webhooks).secrets_env
        if tool in wired
    ]


def _onboarding(config: HubConfig, facts: DefinitionFacts) -> list[Flow]:
    if not facts.has_asset("onboarding_flows"):
        return []
    settings = automation_settings(config.automation).onboarding
    active = settings.enabled and bool(settings.asana_template_gid)
    return [
        Flow("hubspot", HUB, "onboarding", "closed-won deals", "closed_won_sensor and deal webhooks", active),
        Flow(HUB, "asana", "onboarding", "onboarding project", f"from template {settings.asana_template_gid}", active),
        Flow(HUB, "quickbooks", "onboarding", "draft invoice", "the deal amount, requestid from the deal", active),
    ]


def _writebacks(config: HubConfig, facts: DefinitionFacts) -> tuple[list[Flow], list[tuple[str, str, str, bool]]]:
    """The write-back flows, and (golden field, owner text, tool field written, active) for the field table."""
    settings = writeback_settings(config.writeback)
    flows, writes = [], []
    for tool, objects in sorted(settings.targets.items()):
        for obj, target in sorted(objects.items()):
            active = target.enabled and facts.has_asset(f"{tool}_writeback")
            mapped = ([("golden_customer_id", target.golden_id_field)] if target.golden_id_field else []) + sorted(
                target.fields.items()
            )
            detail = ", ".join(f"{field} → {tool_field}" for field, tool_field in mapped) or "nothing mapped"
            flows.append(Flow(HUB, tool, "writeback", f"write-back {obj}", detail, active))
            writes += [(field, "", f"{tool} {obj} {tool_field}", active) for field, tool_field in mapped]
    for name, flow in sorted(settings.flows.items()):
        active = flow.enabled and facts.has_asset(f"{flow.find.tool}_writeback")
        where = ", ".join(f"{key}={value}" for key, value in flow.when.where.items())
        sets = ", ".join(f"{source.replace('|', ' as ')} → {target}" for target, source in flow.set.items())
        source = f"{flow.when.tool} {flow.when.object}" + (f" ({where})" if where else "")
        detail = f"{source} → {flow.find.object} by {flow.find.by}: {sets}"
        flows.append(Flow(HUB, flow.find.tool, "writeback", f"flow {name}", detail, active))
        writes += [
            (target, f"{flow.when.tool} {flow.when.object} {source.partition('|')[0]}", f"{flow.find.tool} "
             f"{flow.find.object} {target}", active)
            for target, source in flow.set.items()
        ]  # fmt: skip
    return flows, writes


def _fields(config: HubConfig, writes: Sequence[tuple[str, str, str, bool]]) -> list[FieldRow]:
    written: dict[str, list[str]] = defaultdict(list)
    owner_of: dict[str, str] = {}
    for field, owner, target, active in writes:
        written[field].append(target + ("" if active else " (off)"))
        if owner:
            owner_of[field] = owner
    rows = [
        FieldRow(field, tuple([owners] if isinstance(owners, str) else owners), tuple(written.pop(field, [])))
        for field, owners in config.field_ownership.items()
    ]
    rows += [
        FieldRow(field, (owner_of.get(field) or ("hub" if field == "golden_customer_id" else "-"),), tuple(targets))
        for field, targets in sorted(written.items())
    ]
    return rows


def build_map(
    config: HubConfig,
    facts: DefinitionFacts,
    inventory: Sequence[Mapping[str, Any]],
    now: datetime,
) -> IntegrationMap:
    """The map of `config` as the definitions in `facts` wire it; `inventory` is `inventory.inventory_rows`."""
    stats = {row["tool"]: row for row in inventory}
    tools = tuple(_tool_node(tool, config, facts, stats.get(tool, {})) for tool in config.systems)
    wired = {tool.tool for tool in tools if tool.wired}
    writeback_flows, writes = _writebacks(config, facts)
    alerts = "slack_alert_delivery" in facts.sensors
    flows = [
        *_reads(tools),
        *_webhooks(config, facts, wired),
        *_onboarding(config, facts),
        *writeback_flows,
        *([Flow(HUB, SLACK, "alert", "alerts", "failing checks, failed runs, digests", True)] if alerts else []),
    ]
    inside: dict[str, list[str]] = defaultdict(list)
    for key, group in sorted(facts.assets.items()):
        if group not in config.systems:
            inside[group or "default"].append(key)
    return IntegrationMap(
        hub_name=config.hub.name,
        hub_owner=config.hub.owner,
        config_file=config.path.name if config.path else "hub.yaml",
        tools=tools,
        flows=tuple(sorted(flows, key=lambda flow: FLOW_KINDS.index(flow.kind))),
        fields=tuple(_fields(config, writes)),
        inside_hub={group: tuple(keys) for group, keys in sorted(inside.items())},
        alert_channel=config.alerts.slack_channel if alerts else None,
        definitions={"assets": len(facts.assets), "schedules": len(facts.schedules), "sensors": len(facts.sensors)},
        generated_at=now,
    )
