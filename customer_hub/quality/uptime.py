"""Integration uptime and error rate from the integration health log.

Uptime is time-based: an integration is down from a failed run until its next successful run, so one failure
fixed within minutes costs little while a tool failing all night costs the night. The error rate counts runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from customer_hub.quality.metric import Metric


def _when(row: Mapping[str, Any]) -> datetime:
    return row.get("finished_at") or row["started_at"]


def integration_health(
    rows: Iterable[Mapping[str, Any]], before: Mapping[str, Mapping[str, Any]], since: datetime, now: datetime
) -> dict[str, dict[str, Any]]:
    """Per tool: uptime (share of the window up), runs, failures, error_rate (None without runs), down minutes
    and the failed runs. Only rows naming a tool count: those are the integrations. `before` holds each tool's
    last row ahead of the window, which says whether the window opened with the tool down."""
    per_tool: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        if row.get("tool") and row["status"] in ("success", "failure"):
            per_tool[row["tool"]].append(row)
    window = max((now - since).total_seconds(), 1.0)
    health = {}
    for tool in sorted(set(per_tool) | set(before)):
        events = sorted(per_tool.get(tool, []), key=_when)
        down_since = since if before.get(tool, {}).get("status") == "failure" else None
        down_seconds = 0.0
        for row in events:
            moment = min(max(_when(row), since), now)
            if row["status"] == "failure" and down_since is None:
                down_since = moment
            elif row["status"] == "success" and down_since is not None:
                down_seconds += (moment - down_since).total_seconds()
                down_since = None
        if down_since is not None:
            down_seconds += (now - down_since).total_seconds()
        failures = [row for row in events if row["status"] == "failure"]
        health[tool] = {
            "uptime": round(1 - down_seconds / window, 6),
            "runs": len(events),
            "failures": len(failures),
            "error_rate": round(len(failures) / len(events), 6) if events else None,
            "down_minutes": round(down_seconds / 60, 1),
            "failed_runs": [
                {
                    "tool": tool,
                    "what": row["what"],
                    "started_at": row["started_at"].isoformat(),
                    "error": row.get("error") or "",
                    "summary": f"{row['what']} at {row['started_at']:%Y-%m-%d %H:%M} UTC: {row.get('error') or ''}",
                }
                for row in failures
            ],
        }
    return health


def health_metrics(
    health: Mapping[str, Mapping[str, Any]], uptime_min: float, error_rate_max: float, limit: int = 20
) -> list[Metric]:
    """`uptime` and `error_rate` per tool and for `all` (mean uptime; failures over runs across tools)."""
    metrics = []
    for tool, item in health.items():
        detail = {key: item[key] for key in ("runs", "failures", "down_minutes")}
        detail["offenders"] = item["failed_runs"][-limit:]
        metrics.append(Metric("uptime", tool, item["uptime"], uptime_min, item["uptime"] >= uptime_min, detail=detail))
        if item["error_rate"] is not None:
            passed = item["error_rate"] <= error_rate_max
            metrics.append(Metric("error_rate", tool, item["error_rate"], error_rate_max, passed, detail=detail))
    if health:
        mean = sum(item["uptime"] for item in health.values()) / len(health)
        every_tool_up = all(item["uptime"] >= uptime_min for item in health.values())
        metrics.append(Metric("uptime", "all", round(mean, 6), uptime_min, every_tool_up, {"tools": len(health)}))
        runs = sum(item["runs"] for item in health.values())
        failures = sum(item["failures"] for item in health.values())
        if runs:
            rate = round(failures / runs, 6)
            metrics.append(Metric("error_rate", "all", rate, error_rate_max, rate <= error_rate_max, {"runs": runs}))
    return metrics
