"""The system inventory: what `hub.yaml` declares, joined with what the hub store has seen of each tool.

Answers "which tools do we pay for, who owns them, and are they actually syncing?" without opening Dagster.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from customer_hub.config import HubConfig
from customer_hub.store.schema import landed_records, sync_cursors


def inventory_rows(config: HubConfig, engine: Engine) -> list[dict[str, Any]]:
    """One row per configured tool: owner, cadence, cost, enabled, live rows per object and last sync time."""
    with engine.connect() as conn:
        counts = {
            (tool, obj): count
            for tool, obj, count in conn.execute(
                select(landed_records.c.tool, landed_records.c.object, func.count())
                .where(landed_records.c.deleted_at.is_(None))
                .group_by(landed_records.c.tool, landed_records.c.object)
            )
        }
        last_sync = {
            (row.tool, row.object): row.last_sync_at
            for row in conn.execute(select(sync_cursors.c.tool, sync_cursors.c.object, sync_cursors.c.last_sync_at))
        }
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
                "objects": {obj: counts.get((tool, obj), 0) for obj in system.objects},
                "last_sync_at": min(synced) if len(synced) == len(system.objects) else None,
                "credentials": sorted(system.credentials.values()),
            }
        )
    return rows


def format_inventory(rows: list[dict[str, Any]]) -> str:
    """A fixed-width table for the terminal; 'never' where a stream has not synced yet."""
    header = f"{'tool':<11}{'owner':<28}{'cadence':<9}{'$/month':>9}  {'rows':<48}last sync"
    lines = [header, "-" * len(header)]
    for row in rows:
        objects = ", ".join(f"{obj} {count}" for obj, count in row["objects"].items())
        synced = row["last_sync_at"].strftime("%Y-%m-%d %H:%M UTC") if row["last_sync_at"] else "never"
        state = "" if row["enabled"] else " (disabled)"
        lines.append(
            f"{row['tool'] + state:<11}{row['owner']:<28}{row['cadence']:<9}{row['monthly_cost_usd']:>9.0f}  "
            f"{objects:<48}{synced}"
        )
    total = sum(row["monthly_cost_usd"] for row in rows if row["enabled"])
    lines.append(f"total monthly cost of enabled tools: ${total:,.0f}")
    return "\n".join(lines)
