"""The system inventory: what `hub.yaml` declares, joined with what the hub store has seen of each tool.

Answers "which tools do we pay for, who owns them, what do they really cost, and are they actually syncing?"
without opening Dagster. The real cost is the shadow-IT scan's reading of the QuickBooks books.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from customer_hub.config import HubConfig
from customer_hub.spend.report import scan_books, spend_landed
from customer_hub.store.schema import integration_health_log, landed_records, sync_cursors


def inventory_rows(config: HubConfig, engine: Engine) -> list[dict[str, Any]]:
    """One row per configured tool: owner, cadence, cost (configured, and actual from the books once QuickBooks
    spend has landed, else None), enabled, live rows per object and last sync time."""
    with engine.connect() as conn:
        counts = {
            (tool, obj): count
            for tool, obj, count in conn.execute(
                select(landed_records.c.tool, landed_records.c.object, func.count())
                .where(landed_records.c.deleted_at.is_(None))
                .group_by(landed_records.c.tool, landed_records.c.object)
            )
        }
        health = integration_health_log.c
        latest = select(func.max(health.id)).where(health.tool.is_not(None)).group_by(health.tool)
        last_status = {
            row.tool: row.status
            for row in conn.execute(select(health.tool, health.status).where(health.id.in_(latest.scalar_subquery())))
        }
        last_sync = {
            (row.tool, row.object): row.last_sync_at
            for row in conn.execute(select(sync_cursors.c.tool, sync_cursors.c.object, sync_cursors.c.last_sync_at))
        }
    spend = {tool.tool: tool for tool in scan_books(engine, config).tools} if spend_landed(engine) else {}
    rows = []
    for tool, system in config.systems.items():
        synced = [last_sync[(tool, obj)] for obj in system.objects if last_sync.get((tool, obj))]
        rows.append(
            {
                "tool": tool,
                "owner": system.owner,
                "enabled": system.enabled,
                "cadence": system.cadence,
                "monthly_cost_usd": system.monthly_cost_usd,
                "actual_monthly_usd": spend[tool].actual_usd if tool in spend else None,
                "cost_differs": spend[tool].differs if tool in spend else None,
                "objects": {obj: counts.get((tool, obj), 0) for obj in system.objects},
                "last_sync_at": min(synced) if len(synced) == len(system.objects) else None,
                "last_run_status": last_status.get(tool),
                "credentials": sorted(system.credentials.values()),
            }
        )
    return rows


def _age(moment: datetime, now: datetime) -> str:
    minutes = max(int((now - moment).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min ago"
    return f"{minutes // 60} h ago" if minutes < 48 * 60 else f"{minutes // 1440} days ago"


def format_inventory(rows: list[dict[str, Any]], now: datetime | None = None) -> str:
    """A table for the terminal, each column as wide as its widest value; the last sync with its age and the
    status of the tool's last run ('never' where a stream has not synced yet)."""
    now = now or datetime.now(UTC)
    table = [("tool", "owner", "cadence", "$/month", "books $/month", "rows", "last sync", "age", "last run")]
    for row in rows:
        synced = row["last_sync_at"]
        if synced is not None and synced.tzinfo is None:
            synced = synced.replace(tzinfo=UTC)
        table.append(
            (
                row["tool"] + ("" if row["enabled"] else " (disabled)"),
                row["owner"],
                str(row["cadence"]),
                f"{row['monthly_cost_usd']:,.0f}",
                _actual(row.get("actual_monthly_usd"), row.get("cost_differs")),
                ", ".join(f"{obj} {count}" for obj, count in row["objects"].items()),
                synced.strftime("%Y-%m-%d %H:%M UTC") if synced else "never",
                _age(synced, now) if synced else "-",
                row.get("last_run_status") or "-",
            )
        )
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    right = {3, 4}  # money reads best right-aligned

    def render(line: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    lines = [render(table[0]), "-" * len(render(table[0]))]
    lines += [render(line) for line in table[1:]]
    total = sum(row["monthly_cost_usd"] for row in rows if row["enabled"])
    lines.append(f"total monthly cost of enabled tools: ${total:,.0f}")
    if all(row.get("actual_monthly_usd") is None for row in rows):
        lines.append("books $/month: '-' until QuickBooks purchases and bills have synced (the shadow-IT scan)")
    elif any(row.get("cost_differs") for row in rows):
        lines.append("! the books show another cost than hub.yaml's monthly_cost_usd (see the saas_spend asset)")
    return "\n".join(lines)


def _actual(actual: float | None, differs: bool | None) -> str:
    """The books' monthly cost, marked `!` when it differs from the configured one beyond shadow_it.cost_tolerance."""
    if actual is None:
        return "-"
    return f"{actual:,.0f}" + (" !" if differs else "")
