"""Completeness: the share of golden customers that carry every key field (email, company, phone by default).

The goal is held against golden records, because that is what people look customers up in; per tool, the share of
the tool's own records is kept as a trend so a gap can be traced to the tool that leaves the field empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from customer_hub.quality.metric import Metric


def _present(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def golden_completeness(golden: Sequence[Mapping[str, Any]], fields: Sequence[str], goal: float, limit: int) -> Metric:
    """`completeness/all`: complete golden customers over all active golden customers (1.0 when there are none)."""
    incomplete = []
    missing_per_field = dict.fromkeys(fields, 0)
    for row in golden:
        values = row["fields"] or {}
        missing = [field for field in fields if not _present(values.get(field))]
        for field in missing:
            missing_per_field[field] += 1
        if missing:
            label = values.get("company_name") or values.get("email") or row["golden_id"]
            incomplete.append(
                {
                    "golden_id": row["golden_id"],
                    "missing": missing,
                    "email": values.get("email"),
                    "company_name": values.get("company_name"),
                    "summary": f"{row['golden_id']} {label}: no {', '.join(missing)}",
                }
            )
    total = len(golden)
    share = 1.0 if total == 0 else (total - len(incomplete)) / total
    return Metric(
        "completeness",
        "all",
        round(share, 6),
        threshold=goal,
        passed=share >= goal,
        detail={
            "customers": total,
            "complete": total - len(incomplete),
            "fields": list(fields),
            "missing_per_field": missing_per_field,
            "offenders": incomplete[:limit],
            "offender_count": len(incomplete),
        },
    )


def record_completeness(
    attributes: Mapping[str, Mapping[str, Any]], streams: Iterable[tuple[str, str]], fields: Sequence[str]
) -> list[Metric]:
    """`completeness/<tool>`: share of the tool's customer and contact records complete on the fields (trend only)."""
    wanted = set(streams)
    per_tool: dict[str, list[int]] = {}
    missing: dict[str, dict[str, int]] = {}
    for record_id, values in attributes.items():
        tool, obj, _ = record_id.split(":", 2)
        if (tool, obj) not in wanted:
            continue
        counts = per_tool.setdefault(tool, [0, 0])
        gaps = [field for field in fields if not _present(values.get(field))]
        counts[0] += 1
        counts[1] += not gaps
        tool_missing = missing.setdefault(tool, dict.fromkeys(fields, 0))
        for field in gaps:
            tool_missing[field] += 1
    return [
        Metric(
            "completeness",
            tool,
            round(complete / total, 6),
            detail={"records": total, "complete": complete, "missing_per_field": missing[tool]},
        )
        for tool, (total, complete) in sorted(per_tool.items())
    ]
