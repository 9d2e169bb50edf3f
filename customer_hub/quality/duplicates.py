"""Duplicate records: within one tool, across tools (the review queue), and customers billed twice.

Within a tool, two records of an object that stands for one customer or person (a HubSpot contact, a Stripe
customer) resolving to the same golden record are duplicates the tool itself should merge. Invoices, deals and
subscriptions are many per customer by nature and are left out by configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from customer_hub.golden.double_billing import describe_double_billing
from customer_hub.golden.duplicates import duplicate_groups, duplicate_sets
from customer_hub.quality.metric import Metric, split_record_id


def _label(attributes: Mapping[str, Any]) -> str:
    name = attributes.get("full_name") or " ".join(
        str(part) for part in (attributes.get("first_name"), attributes.get("last_name")) if part
    )
    return str(name or attributes.get("company_name") or "").strip()


def within_tool_duplicates(
    xref: Iterable[Mapping[str, Any]],
    attributes: Mapping[str, Mapping[str, Any]],
    duplicate_objects: Mapping[str, list[str]],
) -> list[dict[str, Any]]:
    """The within-tool duplicate groups as `customer_hub.golden.duplicates` defines them (so every figure counts
    the same records), limited to `duplicate_objects`, each with emails and a summary line; largest first."""
    live = [row for row in xref if row["record_id"] in attributes]  # deleted since the golden layer ran: gone
    found = []
    for group in duplicate_sets(duplicate_groups(live)):
        tool, obj = group["tool"], group["object"]
        record_ids = sorted(group["records"])
        if obj not in duplicate_objects.get(tool, ()) or len(record_ids) < 2:
            continue
        golden_id = group["golden_person_id"] or group["golden_customer_id"]
        emails = sorted({str(attributes[rid].get("email")) for rid in record_ids if attributes[rid].get("email")})
        label = next((_label(attributes[rid]) for rid in record_ids if _label(attributes[rid])), "")
        found.append(
            {
                "tool": tool,
                "object": obj,
                "golden_id": golden_id,
                "records": record_ids,
                "emails": emails,
                "summary": f"{tool} {obj} {', '.join(rid.split(':', 2)[2] for rid in record_ids[:4])}: "
                f"{label or golden_id} {', '.join(emails[:2])}".strip(),
            }
        )
    found.sort(key=lambda group: (-len(group["records"]), group["tool"], group["golden_id"]))
    return found


def candidate_offenders(pairs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Open review-queue pairs (as `customer_hub.golden.review.open_pairs` explains them) as offending records: both
    record ids, their emails and companies, the score, the strongest evidence and why the pair was not merged, so
    an alert says what the steward is asked to decide and why the hub did not decide it alone."""
    offenders = []
    for pair in pairs:
        a, b = (side["fields"] for side in pair["sides"])
        evidence = ", ".join(f"{e['comparison']} {e['level']}" for e in pair["evidence"][:3])
        who_a, who_b = (side.get("email") or side.get("company_name") or "" for side in (a, b))
        offenders.append(
            {
                "record_a": pair["record_a"],
                "record_b": pair["record_b"],
                "score": round(float(pair["score"]), 3),
                "email_a": a.get("email"),
                "email_b": b.get("email"),
                "company_a": a.get("company_name"),
                "company_b": b.get("company_name"),
                "evidence": evidence,
                "why_not_merged": pair["why_not_merged"],
                "summary": f"{pair['record_a']} ~ {pair['record_b']} ({float(pair['score']):.2f}) {who_a} / {who_b}"
                + (f"; evidence: {evidence}" if evidence else "")
                + f"; not merged: {pair['why_not_merged']}",
            }
        )
    return offenders


def double_billed(views: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Golden customers paying more than once for one product, as their customer 360 view reports it
    (`double_billing`: two or more billing subscriptions to the same product), largest overcharge first. `views`
    hold golden_customer_id, name, email and the view's `double_billing` list."""
    found = []
    for row in views:
        billed = row.get("double_billing") or []
        if not billed:
            continue
        label = row.get("name") or row.get("email") or row["golden_customer_id"]
        starts = [str(item["since"]) for item in billed if item.get("since")]
        found.append(
            {
                "golden_customer_id": row["golden_customer_id"],
                "name": row.get("name"),
                "email": row.get("email"),
                "products": [item.get("product_name") or item["product"] for item in billed],
                "subscriptions": [sub for item in billed for sub in item["subscriptions"]],
                "records": [record for item in billed for record in item.get("records") or ()],
                "mrr": round(sum(float(item.get("mrr") or 0) for item in billed), 2),
                "since": min(starts) if starts else None,
                "summary": f"{label} ({row['golden_customer_id']}): "
                + "; ".join(describe_double_billing(item) for item in billed),
            }
        )
    return sorted(found, key=lambda item: (-item["mrr"], item["golden_customer_id"]))


def duplicate_metrics(
    group_counts: Mapping[str, tuple[int, int]],
    groups: Sequence[Mapping[str, Any]],
    pair_counts: Mapping[str, int],
    pairs: Sequence[Mapping[str, Any]],
    tools: Iterable[str],
    limit: int,
    goal: int | None = None,
) -> list[Metric]:
    """`duplicate_records` (extra copies within a tool) and `open_match_candidates` per tool and for `all`.

    `group_counts` maps each tool to (duplicate groups, records beyond the first of each: what
    `customer_hub.golden.duplicates.duplicate_records` counts); `pair_counts` the open pairs touching each tool and
    in `all`. `groups` and `pairs` hold at least each tool's first `limit` offenders, in order.
    `duplicate_records/all` carries the duplicates check's goal, so summaries count it among the failing figures
    exactly when the check (and its incident) fails."""
    metrics = []
    for tool in [*tools, "all"]:
        mine = [group for group in groups if tool in ("all", group["tool"])]
        if tool == "all":
            counted, extra = sum(n for n, _ in group_counts.values()), sum(e for _, e in group_counts.values())
        else:
            counted, extra = group_counts.get(tool, (0, 0))
        checked = tool == "all" and goal is not None
        metrics.append(
            Metric(
                "duplicate_records",
                tool,
                extra,
                threshold=goal if checked else None,
                passed=extra <= goal if checked and goal is not None else None,
                detail={"groups": counted, "offenders": mine[:limit]},
            )
        )
        pairs_of_tool = [
            pair
            for pair in pairs
            if tool == "all" or tool in (split_record_id(pair["record_a"])[0], split_record_id(pair["record_b"])[0])
        ]
        metrics.append(
            Metric("open_match_candidates", tool, pair_counts.get(tool, 0), detail={"offenders": pairs_of_tool[:limit]})
        )
    return metrics
