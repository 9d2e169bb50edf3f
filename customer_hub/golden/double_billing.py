"""Double billing: a customer paying more than once for one product, and how every report says so.

Kept apart from the 360 view (and free of pandas) so the one-second `customer-hub lookup` can describe a double
billing in the same words as the alerts and the demo.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

ACTIVE_SUBSCRIPTION = frozenset({"active", "trialing", "past_due"})
"""Stripe statuses that bill (or are about to bill) the customer: the ones the Stripe connector gives an MRR, and
the ones that make two subscriptions to one product a double billing."""


def double_billed(subscriptions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Products the customer pays for more than once: more than one billing subscription to the same product.
    A subscription known to cost nothing (a free plan, a 100% coupon) charges nobody, so it never counts.

    Each entry says what a person needs to act: the product's name, every subscription with its monthly amount,
    currency and start (oldest first), and `since`, the start of the newest one: the day the double billing began."""
    by_product: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for sub in subscriptions:
        if sub["status"] in ACTIVE_SUBSCRIPTION and sub.get("product") and sub.get("mrr") != 0:
            by_product[str(sub["product"])].append(sub)
    found = []
    for product, subs in sorted(by_product.items()):
        if len(subs) < 2:
            continue
        subs = sorted(subs, key=lambda sub: (str(sub.get("started_at") or ""), str(sub["source_id"])))
        starts = [str(sub["started_at"]) for sub in subs if sub.get("started_at")]
        found.append(
            {
                "product": product,
                "product_name": next((sub.get("product_name") for sub in subs if sub.get("product_name")), None),
                "subscriptions": [sub["source_id"] for sub in subs],
                "records": [sub["record_id"] for sub in subs],
                "items": [
                    {key: sub.get(key) for key in ("source_id", "record_id", "mrr", "currency", "started_at", "status")}
                    for sub in subs
                ],
                "mrr": round(sum(sub["mrr"] or 0.0 for sub in subs), 2),
                "since": max(starts) if len(starts) == len(subs) else None,
            }
        )
    return found


def describe_double_billing(problem: Mapping[str, Any]) -> str:
    """One double billing as a sentence: the product by name, since when, and each subscription with its amount,
    e.g. "Pro billed 2 times since 2024-03-02: sub_1 99.00 USD/month (from 2023-01-05), sub_2 99.00 USD/month
    (from 2024-03-02)". Every report (lookup, alerts, the demo) says it the same way."""

    def part(item: Mapping[str, Any]) -> str:
        text = str(item["source_id"])
        if isinstance(item.get("mrr"), int | float):
            text += f" {item['mrr']:,.2f}" + (f" {item['currency']}" if item.get("currency") else "") + "/month"
        return text + (f" (from {str(item['started_at'])[:10]})" if item.get("started_at") else "")

    items = problem.get("items") or [{"source_id": sub} for sub in problem["subscriptions"]]
    since = f" since {str(problem['since'])[:10]}" if problem.get("since") else ""
    name = problem.get("product_name") or problem["product"]
    text = f"{name} billed {len(items)} times{since}: " + ", ".join(part(item) for item in items)
    priced = all(isinstance(item.get("mrr"), int | float) for item in items)
    return text if priced or problem.get("mrr") is None else text + f" ({problem['mrr']:,.2f} a month together)"
