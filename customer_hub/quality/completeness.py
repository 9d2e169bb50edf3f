"""Completeness: the share of golden customers that carry every key field (email, company, phone by default).

The goal is held against golden records, because that is what people look customers up in; per tool, the share of
the tool's own records is kept as a trend so a gap can be traced to the tool that leaves the field empty.

A field counts as filled when it holds anything but nothing or blanks (`_present`); the store counts by the same
rule in SQL, so only the first incomplete golden customers are read as rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from customer_hub.quality.metric import Metric


class FieldCounts(NamedTuple):
    """Records counted against the key fields: how many, how many carry every field, how many miss each one."""

    total: int
    complete: int
    missing: dict[str, int]


def _present(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def incomplete_customer(golden_id: str, values: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """One incomplete golden customer as an offender: the fields it misses and a line naming it."""
    missing = [field for field in fields if not _present(values.get(field))]
    label = values.get("company_name") or values.get("email") or golden_id
    return {
        "golden_id": golden_id,
        "missing": missing,
        "email": values.get("email"),
        "company_name": values.get("company_name"),
        "summary": f"{golden_id} {label}: no {', '.join(missing)}",
    }


def golden_completeness(
    counts: FieldCounts, first: Sequence[Mapping[str, Any]], fields: Sequence[str], goal: float, limit: int
) -> Metric:
    """`completeness/all`: complete golden customers over all active golden customers (1.0 when there are none).
    `first` holds the first incomplete ones (golden_id, fields), listed as offenders."""
    share = 1.0 if counts.total == 0 else counts.complete / counts.total
    return Metric(
        "completeness",
        "all",
        round(share, 6),
        threshold=goal,
        passed=share >= goal,
        detail={
            "customers": counts.total,
            "complete": counts.complete,
            "fields": list(fields),
            "missing_per_field": {field: counts.missing[field] for field in fields},
            "offenders": [incomplete_customer(row["golden_id"], row["fields"] or {}, fields) for row in first][:limit],
            "offender_count": counts.total - counts.complete,
        },
    )


def record_completeness(per_tool: Mapping[str, FieldCounts]) -> list[Metric]:
    """`completeness/<tool>`: share of the tool's customer and contact records complete on the fields (trend only)."""
    return [
        Metric(
            "completeness",
            tool,
            round(counts.complete / counts.total, 6),
            detail={"records": counts.total, "complete": counts.complete, "missing_per_field": counts.missing},
        )
        for tool, counts in sorted(per_tool.items())
    ]
