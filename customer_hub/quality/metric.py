"""One measurement of the hub's data, as stored in the `quality_metrics` history table."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Metric:
    """A figure for one tool (or `all`), optionally one stream of it, with the goal it is held to.

    `passed` is None for figures kept for their trend only (no goal); `detail` holds what a person needs to act:
    the offending records (capped) and the parts the figure is made of.
    """

    metric: str
    tool: str
    value: float
    threshold: float | None = None
    passed: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    stream: str | None = None

    @property
    def series(self) -> str:
        """The name of the trend line: `completeness/all`, `row_count_parity/hubspot_contacts`."""
        return f"{self.metric}/{self.stream or self.tool}"


def stream_name(tool: str, obj: str) -> str:
    """The ingestion asset key of a stream: `hubspot_contacts`."""
    return f"{tool}_{obj}"


def split_record_id(record_id: str) -> tuple[str, str, str]:
    """`hubspot:contacts:101` -> (hubspot, contacts, 101); source ids may contain colons themselves."""
    tool, obj, source_id = record_id.split(":", 2)
    return tool, obj, source_id


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of a non-empty list; no interpolation, so it is a real value."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]
