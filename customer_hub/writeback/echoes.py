"""Recognising the hub's own writes when a sync reads them back, so they never propagate as new changes.

A write changes the record in the tool (and its modification stamp); the next sync lands that as a change. When
the landed payload differs from the one the write was planned on only in the written fields and the tool's stamps
(same `echo_hash`), the change is the hub's echo: the ledger rows are confirmed and the record's freshness is put
back, so "most recent value wins" survivorship does not start preferring the record's other, older values and
write them on to the other tools. A write the tool has since overwritten is marked `overwritten` and planned
again from the landed value.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Engine

from customer_hub.store import writeback_store as store
from customer_hub.writeback.fields import UNKNOWN, echo_hash, landed_value


def recognise_own_writes(engine: Engine) -> int:
    """Confirm applied writes that a sync has read back since; returns how many records were echoes only."""
    groups: dict[tuple[str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    written: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in store.unconfirmed(engine):
        groups[(row["tool"], row["object"], row["source_id"], row["idempotency_key"])].append(row)
        written[(row["tool"], row["object"])].add(row["source_id"])
    landed_rows = {stream: store.landed(engine, *stream, sorted(ids)) for stream, ids in written.items()}
    updates, echoes = [], 0
    for (tool, obj, source_id, _), rows in groups.items():
        landed = landed_rows[(tool, obj)].get(source_id)
        applied_at = min(row["applied_at"] for row in rows)
        if landed is None or landed["last_seen_at"] < applied_at:
            continue  # not read back yet
        for row in rows:
            value = landed_value(tool, landed["payload"], row["field"])
            status = "confirmed" if value is UNKNOWN or value == row["new_value"] else "overwritten"
            updates.append({"row_id": row["id"], "status": status})
        first = rows[0]
        only_ours = echo_hash(tool, landed["payload"], [row["field"] for row in rows]) == first["echo_hash"]
        if only_ours and landed["last_changed_at"] >= applied_at:
            store.restore_freshness(
                engine, tool, obj, source_id, first["landed_updated_at"], first["landed_changed_at"]
            )
            echoes += 1
    store.set_statuses(engine, updates)
    return echoes
