"""Unmatched invoices: Stripe or QuickBooks invoices the hub cannot tie to a known customer.

An invoice resolves to a golden customer; when no customer record (a Stripe or QuickBooks customer) shares that
golden customer, the hub is billing someone it does not know, usually a customer typed by hand in the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from customer_hub.quality.metric import Metric

INVOICE_TOOLS = ("stripe", "quickbooks")


def unmatched_invoices(
    xref: Iterable[Mapping[str, Any]], attributes: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Invoices whose golden customer has no record from a `customers` object, oldest record id first."""
    rows = list(xref)
    with_customer = {row["golden_customer_id"] for row in rows if row["source_object"] == "customers"}
    found = []
    for row in rows:
        if row["source_system"] not in INVOICE_TOOLS or row["source_object"] != "invoices":
            continue
        if row["golden_customer_id"] in with_customer or row["record_id"] not in attributes:
            continue
        values = attributes[row["record_id"]]
        who = values.get("email") or values.get("company_name") or values.get("full_name") or ""
        found.append(
            {
                "record_id": row["record_id"],
                "tool": row["source_system"],
                "golden_customer_id": row["golden_customer_id"],
                "email": values.get("email"),
                "company_name": values.get("company_name"),
                "summary": f"{row['record_id']} {who}".strip(),
            }
        )
    return sorted(found, key=lambda item: item["record_id"])


def unmatched_invoice_metrics(found: list[dict[str, Any]], goal: int, limit: int) -> list[Metric]:
    """`unmatched_invoices` per invoicing tool and for `all` (the goal is held on `all`)."""
    metrics = []
    for tool in INVOICE_TOOLS:
        mine = [item for item in found if item["tool"] == tool]
        metrics.append(Metric("unmatched_invoices", tool, len(mine), detail={"offenders": mine[:limit]}))
    metrics.append(
        Metric(
            "unmatched_invoices",
            "all",
            len(found),
            threshold=goal,
            passed=len(found) <= goal,
            detail={"offenders": found[:limit], "offender_count": len(found)},
        )
    )
    return metrics
