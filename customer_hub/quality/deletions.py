"""Deletions and merges the hub saw in the tools: records marked deleted (by a full read, a deletion event or the
reconciliation pass) and records merged into another, per stream and overall.

A figure for its trend, not a goal: a few deletions a day are normal, a sudden jump (a bulk delete, a bad import
being undone, a mistaken merge run) is what a person looks at the history for.
"""

from __future__ import annotations

from collections.abc import Mapping

from customer_hub.quality.metric import Metric, stream_name


def deletion_metrics(counts: Mapping[tuple[str, str], tuple[int, int]], streams: list[tuple[str, str]]) -> list[Metric]:
    """`deleted_records` per configured stream and `all`: (marked deleted, of which merges) in the window."""
    metrics = []
    total_deleted = total_merged = 0
    for tool, obj in streams:
        deleted, merged = counts.get((tool, obj), (0, 0))
        total_deleted, total_merged = total_deleted + deleted, total_merged + merged
        detail = {"deleted": deleted, "merged": merged}
        metrics.append(Metric("deleted_records", tool, float(deleted), None, None, detail, stream_name(tool, obj)))
    metrics.append(
        Metric(
            "deleted_records",
            "all",
            float(total_deleted),
            None,
            None,
            {"deleted": total_deleted, "merged": total_merged},
        )
    )
    return metrics
