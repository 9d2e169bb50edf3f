"""Records the write-back created: evidence of nothing but their golden customer, until someone changes them.

A created record holds what the hub sent and, beside it, the tool's defaults: a new Stripe customer's balance of
0, a new QuickBooks customer's Balance of 0.00. Those defaults are no news about the customer, yet read as evidence
they would change its golden record ("most recent value wins", or the owning tool's word) and the change would be
written on to every other tool: a loop the hub itself started. So until its first change in the tool (landing keeps
`last_changed_at` at the first landing, and the hub's own later writes are put back by echo recognition), a created
record only confirms: each account field whose value differs from its golden customer's is read as empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, and_, select

from customer_hub.golden.build import ACCOUNT_FIELDS
from customer_hub.store.schema import golden_customers, landed_records, writeback_creates
from customer_hub.writeback.fields import as_text

MERGE_HOPS = 10
"""Golden ids merged into others are followed this far to the customer that now holds the record."""


def untouched_created(engine: Engine) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(tool, object, source id) -> the golden fields of the customer each untouched created record was made for."""
    created, landed = writeback_creates, landed_records
    query = (
        select(created.c.tool, created.c.object, created.c.source_id, created.c.golden_id)
        .join(
            landed,
            and_(
                landed.c.tool == created.c.tool,
                landed.c.object == created.c.object,
                landed.c.source_id == created.c.source_id,
            ),
        )
        .where(created.c.status == "applied", landed.c.last_changed_at <= landed.c.first_seen_at)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        if not rows:
            return {}
        golden = {
            row.golden_id: (row.status, row.merged_into, row.fields or {})
            for row in conn.execute(select(golden_customers.c.golden_id, golden_customers.c.status,
                                           golden_customers.c.merged_into, golden_customers.c.fields))
        }  # fmt: skip
    return {(tool, obj, source_id): _current(golden, golden_id) for tool, obj, source_id, golden_id in rows}


def _current(golden: Mapping[str, tuple[str, str | None, dict[str, Any]]], golden_id: str) -> dict[str, Any]:
    for _ in range(MERGE_HOPS):
        status, merged_into, fields = golden.get(golden_id, ("gone", None, {}))
        if status != "merged" or not merged_into:
            return fields
        golden_id = merged_into
    return {}


def confirming_only(fields: Mapping[str, Any], golden: Mapping[str, Any]) -> dict[str, Any]:
    """A created record's canonical fields with every account field that differs from the golden value emptied."""
    names = set(ACCOUNT_FIELDS) | set(golden)
    return {
        name: None if name in names and as_text(value) != as_text(golden.get(name)) else value
        for name, value in fields.items()
    }


def without_tool_defaults(engine: Engine, landed: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Landed rows (tool, object, source_id, fields, ...) with the untouched created ones confirming only."""
    created = untouched_created(engine)
    if not created:
        return list(landed)
    return [
        {**row, "fields": confirming_only(row["fields"] or {}, created[key])}
        if (key := (row["tool"], row["object"], str(row["source_id"]))) in created
        else row
        for row in landed
    ]
