"""Within-tool duplicates: a tool holding one customer (or one person) more than once.

Resolution merges such records across tools, so the golden record is right, but the tool itself still needs
cleaning: two Stripe customers for one company end up billed twice, two HubSpot contacts for one person get every
email twice. A duplicate is found per level (several account records of one tool object under one golden
customer, or several person records of one tool under one golden person); the report then lists every record the
tool holds for that customer, which is what someone cleaning the tool has to look at.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from customer_hub.resolution import within_tool_duplicates

ACCOUNT_OBJECTS = frozenset(
    {("hubspot", "companies"), ("stripe", "customers"), ("quickbooks", "customers"), ("sheets", "implementations")}
)
"""Objects a tool should hold once per customer."""
PERSON_OBJECTS = frozenset({("hubspot", "contacts"), ("intercom", "contacts")})
"""Objects a tool should hold once per person."""
ENTITY_OBJECTS = ACCOUNT_OBJECTS | PERSON_OBJECTS
"""The records that say who a customer is in a tool (not its invoices, deals or conversations)."""


def duplicate_records(groups: Iterable[Mapping[str, Any]]) -> int:
    """THE duplicate figure, wherever it is shown (demo, quality metric and check, Slack, digest, customer_360):
    the extra copies a tool holds, i.e. for each group of records one tool holds for one customer (account objects)
    or one person (contacts), every record beyond the first. `groups` are the `duplicates` entries of
    `duplicate_groups` (or anything with their `records`)."""
    return sum(len(group["records"]) - 1 for group in groups)


def duplicate_sets(report: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The duplicate groups of a `duplicate_groups` report, one per tool object and golden customer or person, each
    with tool and golden_customer_id added: what `duplicate_records` counts."""
    return [
        {"tool": entry["tool"], "golden_customer_id": entry["golden_customer_id"], **duplicate}
        for entry in report
        for duplicate in entry["duplicates"]
    ]


def duplicate_groups(xref: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per golden customer and tool with a duplicate: golden_customer_id, tool, count and records (every
    account and person record the tool holds for the customer), and `duplicates` (level, object, golden_person_id
    and records of each duplicate found). Largest first."""
    rows = list(xref)
    if not rows:
        return []
    read = ("record_id", "source_system", "source_object", "golden_customer_id", "golden_person_id")
    frame = pd.DataFrame({column: [row.get(column) for row in rows] for column in read})  # not each row's link evidence
    pairs = list(zip(frame["source_system"], frame["source_object"], strict=True))
    frame = frame[[pair in ENTITY_OBJECTS for pair in pairs]]
    found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    customer_of = dict(zip(frame["record_id"], frame["golden_customer_id"], strict=True))
    for level, key, objects in (
        ("customer", "golden_customer_id", ACCOUNT_OBJECTS),
        ("person", "golden_person_id", PERSON_OBJECTS),
    ):
        subset = frame[[(tool, obj) in objects for tool, obj in zip(frame["source_system"], frame["source_object"],
                                                                        strict=True)]]  # fmt: skip
        if subset.empty:
            continue
        for group in within_tool_duplicates(subset, subset, key=key).to_dict("records"):
            # A person's records normally share one customer; if not, the entry goes to its first record's.
            found[(customer_of[group["record_ids"][0]], group["source_system"])].append(
                {
                    "level": level,
                    "object": group["source_object"],
                    "golden_person_id": group[key] if level == "person" else None,
                    "records": list(group["record_ids"]),
                }
            )
    if not found:
        return []
    held: dict[tuple[str, str], set[str]] = defaultdict(set)
    concerned = frame[frame["golden_customer_id"].isin({golden_id for golden_id, _ in found})]
    for record_id, golden_id, tool in zip(
        concerned["record_id"], concerned["golden_customer_id"], concerned["source_system"], strict=True
    ):
        held[(golden_id, tool)].add(record_id)
    report = []
    for (golden_id, tool), duplicates in found.items():
        records = sorted(held[(golden_id, tool)].union(*(duplicate["records"] for duplicate in duplicates)))
        report.append(
            {"golden_customer_id": golden_id, "tool": tool, "count": len(records), "records": records,
             "duplicates": duplicates}
        )  # fmt: skip
    return sorted(report, key=lambda entry: (-entry["count"], entry["golden_customer_id"], entry["tool"]))
