"""Unmatched invoices: Stripe or QuickBooks invoices the hub cannot tie to a known customer.

An invoice resolves to a golden customer; when no customer record (a Stripe or QuickBooks customer) shares that
golden customer, the hub is billing someone it does not know, usually a customer typed by hand in the ledger.
The store finds and counts them (`quality_store.unmatched_invoices_tally`); this module names them and holds the
count against the goal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from customer_hub.quality.metric import Metric

INVOICE_TOOLS = ("stripe", "quickbooks")


def unmatched_invoice(row: Mapping[str, Any]) -> dict[str, Any]:
    """One unmatched invoice (record_id, source_system, golden_customer_id, attributes) as an offender."""
    values = row["attributes"] or {}
    who = values.get("email") or values.get("company_name") or values.get("full_name") or ""
    return {
        "record_id": row["record_id"],
        "tool": row["source_system"],
        "golden_customer_id": row["golden_customer_id"],
        "email": values.get("email"),
        "company_name": values.get("company_name"),
        "summary": f"{row['record_id']} {who}".strip(),
    }


def unmatched_invoice_metrics(
    counts: Mapping[str, int], first: Sequence[Mapping[str, Any]], goal: int, limit: int
) -> list[Metric]:
    """`unmatched_invoices` per invoicing tool and for `all` (the goal is held on `all`). `counts` are the unmatched
    invoices per tool, `first` each tool's first ones by record id, in record id order."""
    found = [unmatched_invoice(row) for row in first]
    metrics = []
    for tool in INVOICE_TOOLS:
        mine = [item for item in found if item["tool"] == tool]
        metrics.append(Metric("unmatched_invoices", tool, counts.get(tool, 0), detail={"offenders": mine[:limit]}))
    total = sum(counts.get(tool, 0) for tool in INVOICE_TOOLS)
    metrics.append(
        Metric(
            "unmatched_invoices",
            "all",
            total,
            threshold=goal,
            passed=total <= goal,
            detail={"offenders": found[:limit], "offender_count": total},
        )
    )
    return metrics
