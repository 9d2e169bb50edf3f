"""Data latency: how long a change in a tool takes to reach the hub, and then the golden record.

For every record a tool changed in the window: source update -> landed in the hub (`last_changed_at`) -> reflected
in golden (the end of the first successful golden run that started after landing, else the golden record's own
update time). A change not yet reflected counts as waiting until now, so a stalled pipeline shows as growing
latency rather than no data.
Changes older than the stream's first landing are the initial load, not latency, and are left out (by the store,
which reads only the window's changes).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from customer_hub.quality.metric import Metric, percentile


def _minutes(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds() / 60, 0.0)


class Change(NamedTuple):
    """A record a tool changed in the window, after the stream's first landing."""

    tool: str
    object: str
    source_id: str
    source_updated_at: datetime
    last_changed_at: datetime
    """When the hub landed the change."""
    golden_updated_at: datetime | None
    """Last update of the active golden record the record feeds (its person, else its customer), if any."""


def change_latencies(
    changes: Iterable[Change], golden_runs: Sequence[tuple[datetime, datetime]], now: datetime
) -> list[dict[str, Any]]:
    """One row per recent change: tool, record_id, minutes to land, minutes landed->golden, total, pending.

    `golden_runs` are (started, finished) times of successful golden runs, sorted by start.
    """
    starts = [started for started, _ in golden_runs]
    rows = []
    for change in changes:
        landed_at = change.last_changed_at
        reflected = None
        index = bisect.bisect_left(starts, landed_at)
        if index < len(golden_runs):
            reflected = golden_runs[index][1]
        elif change.golden_updated_at is not None and change.golden_updated_at >= landed_at:
            reflected = change.golden_updated_at
        rows.append(
            {
                "tool": change.tool,
                "record_id": f"{change.tool}:{change.object}:{change.source_id}",
                "to_hub_minutes": round(_minutes(change.source_updated_at, landed_at), 2),
                "to_golden_minutes": round(_minutes(landed_at, reflected or now), 2),
                "total_minutes": round(_minutes(change.source_updated_at, reflected or now), 2),
                "pending": reflected is None,
            }
        )
    return rows


def latency_metrics(rows: Sequence[Mapping[str, Any]], goal_minutes: float, limit: int) -> list[Metric]:
    """`latency_minutes` (95th percentile of source -> golden) per tool with changes, and for `all`."""
    by_tool: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        by_tool[row["tool"]].append(row)
    if rows:
        by_tool["all"] = list(rows)
    metrics = []
    for tool, mine in by_tool.items():
        totals = [row["total_minutes"] for row in mine]
        p95 = percentile(totals, 0.95)
        worst = sorted(mine, key=lambda row: -row["total_minutes"])[:limit]
        metrics.append(
            Metric(
                "latency_minutes",
                tool,
                p95,
                threshold=goal_minutes,
                passed=p95 <= goal_minutes,
                detail={
                    "changes": len(mine),
                    "pending": sum(row["pending"] for row in mine),
                    "p50": percentile(totals, 0.5),
                    "max": max(totals),
                    "to_hub_p50": percentile([row["to_hub_minutes"] for row in mine], 0.5),
                    "to_golden_p50": percentile([row["to_golden_minutes"] for row in mine], 0.5),
                    "offenders": [
                        {
                            **row,
                            "summary": f"{row['record_id']}: {row['total_minutes']:.0f} min"
                            + (" (not in golden yet)" if row["pending"] else ""),
                        }
                        for row in worst
                        if row["total_minutes"] > goal_minutes
                    ],
                },
            )
        )
    return sorted(metrics, key=lambda metric: metric.tool)
