"""Row-count parity: the number of records a tool says it holds against the live records landed in the hub.

The tool's count comes from the connector (`count(obj)`), read right after the stream's sync so that both sides
describe the same moment. A gap means records were missed (hub below the tool) or deletions were not seen (hub
above the tool, fixed by a full sync, which marks records that vanished).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine

from customer_hub.quality.metric import Metric
from customer_hub.store import quality_store


def parity_metrics(
    reported: Mapping[str, int | None],
    landed: Mapping[str, int],
    tools_of: Mapping[str, str],
    tolerance: int,
) -> list[Metric]:
    """`row_count_parity` per stream: landed minus reported (0 is parity). A stream without a count this time (an
    incremental Stripe sync: Stripe has no totals, only its full reads and reconciliations count) is reported with
    `passed=None` and no figure, so it neither fails nor passes on a guess."""
    metrics = []
    for stream, count in sorted(reported.items()):
        hub = landed.get(stream, 0)
        tool = tools_of[stream]
        if count is None:
            detail = {
                "landed": hub,
                "reported": None,
                "note": "not compared: the tool reported no count with this sync; its next full read or "
                "reconciliation counts it",
            }
            metrics.append(Metric("row_count_parity", tool, 0.0, float(tolerance), None, detail, stream))
            continue
        gap = hub - count
        detail = {"landed": hub, "reported": count, "difference": gap}
        metrics.append(
            Metric("row_count_parity", tool, float(gap), float(tolerance), abs(gap) <= tolerance, detail, stream)
        )
    return metrics


def parity(
    engine: Engine, reported: Mapping[str, int | None], streams: Mapping[str, tuple[str, str]], tolerance: int = 0
) -> list[Metric]:
    """Parity of the given streams (`{stream: reported_count}`) against the hub store; `streams` maps each stream
    name to its (tool, object)."""
    counts = quality_store.live_counts(engine)
    landed = {stream: counts.get(streams[stream], 0) for stream in reported}
    return parity_metrics(reported, landed, {stream: streams[stream][0] for stream in reported}, tolerance)
