"""Reading and writing the write-back tables: the per-record ledger, stored plans and approvals.

A ledger row is written (pending) before its request is sent and moved forward after the answer, so a crash
between the two leaves a pending row the next run re-sends with the same idempotency key instead of a write the
hub forgot it made.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Engine, bindparam, func, insert, select, update

from customer_hub.store.schema import (
    customer_xref,
    landed_records,
    writeback_approvals,
    writeback_creates,
    writeback_ledger,
    writeback_plans,
)
from customer_hub.writeback.fields import path_of, read_value
from customer_hub.writeback.planner import Create, CreateSent, LastWrite

SENT = ("applied", "confirmed", "overwritten")
"""Statuses of a write the tool accepted: each one makes the record's next idempotency key new."""


IDS_PER_QUERY = 500
"""Records read per `IN (...)` query: well inside every backend's limit on bound parameters."""


def landed(engine: Engine, tool: str, obj: str, source_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """source id -> the live landed row (payload and freshness) of these records of one tool object."""
    table = landed_records
    query = select(
        table.c.source_id,
        table.c.payload,
        table.c.source_updated_at,
        table.c.last_changed_at,
        table.c.last_seen_at,
    ).where(table.c.tool == tool, table.c.object == obj, table.c.deleted_at.is_(None))
    ids = sorted(set(source_ids))
    found: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ids[start : start + IDS_PER_QUERY]
            found.update(
                {row.source_id: dict(row._mapping) for row in conn.execute(query.where(table.c.source_id.in_(chunk)))}
            )
    return found


def json_reads(engine: Engine, column: Column, path: tuple[str, ...]) -> tuple[Any, Any]:
    """(value, kind) of the JSON at `path` in `column`, read by the database; turn them into the value with
    `json_value`. The kind is the JSON type ("object", "null", ...), None when the path is missing."""
    if engine.dialect.name == "sqlite":
        json_path = "$" + "".join(f'."{part}"' for part in path)
        return column[path].as_string(), func.json_type(column, json_path)
    return column[path].as_string(), func.json_typeof(column[path])


def json_value(value: Any, kind: str | None) -> Any:
    """The value `json_reads` read, as JSON decoding would give it: SQLite hands scalars back as SQL values (a
    true as 1), PostgreSQL as text, and both give containers as JSON text."""
    if kind in ("true", "false"):
        return kind == "true"
    if value is None or not isinstance(value, str) or kind in ("text", "string"):
        return value
    if kind == "boolean":
        return value == "true"
    return json.loads(value)  # a number as PostgreSQL's text, an object or an array


def landed_values(engine: Engine, tool: str, obj: str, fields: Sequence[str]) -> dict[str, dict[str, Any]]:
    """source id -> field -> the value each live landed record holds (`fields.landed_value`), for many records at
    once: the database reads the fields out of the payloads, which never come into Python."""
    table = landed_records
    columns, reads = [], []
    for field in fields:
        path = path_of(tool, field)
        if len(path) > 2:
            raise ValueError(f"{tool} field {field!r}: the write-back reads at most two levels deep")
        value, kind = json_reads(engine, table.c.payload, path)
        parent = json_reads(engine, table.c.payload, path[:1])[1] if len(path) == 2 else None
        columns += [value, kind] + ([parent] if parent is not None else [])
        reads.append((field, len(path) == 2))
    query = select(table.c.source_id, *columns).where(
        table.c.tool == tool, table.c.object == obj, table.c.deleted_at.is_(None)
    )
    values: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            at, record = 1, {}
            for field, nested in reads:
                value, kind = row[at], row[at + 1]
                parent = row[at + 2] if nested else None
                at += 3 if nested else 2
                record[field] = read_value(tool, field, kind is not None, json_value(value, kind), parent)
            values[row[0]] = record
    return values


def last_writes(engine: Engine, tool: str, obj: str) -> dict[tuple[str, str], LastWrite]:
    """(record, field) -> its newest ledger row, with how many writes the record has had."""
    table = writeback_ledger
    newest = (
        select(func.max(table.c.id))
        .where(table.c.tool == tool, table.c.object == obj)
        .group_by(table.c.source_id, table.c.field)
    )
    query = select(table.c.source_id, table.c.field, table.c.status, table.c.new_value).where(table.c.id.in_(newest))
    writes_query = (
        select(table.c.source_id, func.count(func.distinct(table.c.idempotency_key)))
        .where(table.c.tool == tool, table.c.object == obj, table.c.status.in_(SENT))
        .group_by(table.c.source_id)
    )
    with engine.connect() as conn:
        writes = Counter(dict(conn.execute(writes_query).all()))
        return {
            (row.source_id, row.field): LastWrite(row.status, row.new_value, writes[row.source_id])
            for row in conn.execute(query)
        }


def add_pending(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ledger rows as pending, in one statement, before their requests are sent."""
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(writeback_ledger), [{**row, "status": "pending"} for row in rows])


def add_applied(engine: Engine, rows: Sequence[dict[str, Any]], at: datetime) -> None:
    """Insert ledger rows of writes already made: the values a created record was created with."""
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(writeback_ledger), [{**row, "status": "applied", "applied_at": at} for row in rows])


# --- creates (upsert targets) ------------------------------------------------------------------------------------


def creates_sent(engine: Engine, tool: str, obj: str) -> dict[str, CreateSent]:
    """golden id -> the create sent for it to this target, if any."""
    table = writeback_creates
    query = select(table.c.golden_id, table.c.status, table.c.attempt, table.c.idempotency_key).where(
        table.c.tool == tool, table.c.object == obj
    )
    with engine.connect() as conn:
        return {row.golden_id: CreateSent(row.status, row.attempt, row.idempotency_key) for row in conn.execute(query)}


def save_creates(engine: Engine, run_id: str, tool: str, obj: str, creates: Sequence[Create], now: datetime) -> None:
    """Mark these creates pending under `run_id` before their requests are sent: a new row per golden customer, or
    the row of an earlier attempt re-armed (one row per golden customer and target, ever)."""
    table = writeback_creates
    values = {
        c.golden_id: {"run_id": run_id, "status": "pending", "attempt": c.attempt, "idempotency_key":
                      c.idempotency_key, "new_values": dict(c.values), "error": None}
        for c in creates
    }  # fmt: skip
    with engine.begin() as conn:
        known = set(
            conn.execute(
                select(table.c.golden_id).where(
                    table.c.tool == tool, table.c.object == obj, table.c.golden_id.in_(list(values))
                )
            ).scalars()
        )
        new = [
            {"tool": tool, "object": obj, "golden_id": golden_id, "created_at": now, **row}
            for golden_id, row in values.items()
            if golden_id not in known
        ]
        if new:
            conn.execute(insert(table), new)
        if known:
            conn.execute(
                update(table)
                .where(table.c.tool == tool, table.c.object == obj, table.c.golden_id == bindparam("gid"))
                .values({name: bindparam(f"v_{name}") for name in values[next(iter(known))]}),
                [{"gid": g, **{f"v_{name}": value for name, value in values[g].items()}} for g in known],
            )


def finish_creates(engine: Engine, tool: str, obj: str, outcomes: Sequence[dict[str, Any]], now: datetime) -> None:
    """Record each create's outcome: applied (with the record's id), rejected, or still pending (answer lost)."""
    table = writeback_creates
    if not outcomes:
        return
    with engine.begin() as conn:
        conn.execute(
            update(table)
            .where(table.c.tool == tool, table.c.object == obj, table.c.golden_id == bindparam("gid"))
            .values(
                status=bindparam("v_status"),
                source_id=bindparam("v_source_id"),
                error=bindparam("v_error"),
                applied_at=bindparam("v_applied_at"),
            ),
            [
                {
                    "gid": row["golden_id"],
                    "v_status": row["status"],
                    "v_source_id": row.get("source_id"),
                    "v_error": row.get("error"),
                    "v_applied_at": now if row["status"] == "applied" else None,
                }
                for row in outcomes
            ],
        )


def create_rows(engine: Engine, tool: str | None = None) -> list[dict[str, Any]]:
    query = select(writeback_creates).order_by(writeback_creates.c.id)
    if tool:
        query = query.where(writeback_creates.c.tool == tool)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def anchor_records(engine: Engine, golden_ids: Sequence[str]) -> dict[str, str]:
    """golden id -> one record linked to it (the most confident link, then the first id): the record a created
    record is tied to, so the next golden run puts the created record with its golden customer."""
    xref = customer_xref
    query = (
        select(xref.c.golden_customer_id, xref.c.record_id)
        .where(xref.c.golden_customer_id.in_(list(golden_ids)))
        .order_by(xref.c.golden_customer_id, xref.c.confidence.desc(), xref.c.record_id)
    )
    anchors: dict[str, str] = {}
    with engine.connect() as conn:
        for golden_id, record_id in conn.execute(query):
            anchors.setdefault(golden_id, record_id)
    return anchors


def mark(
    engine: Engine,
    run_id: str,
    keys: Sequence[str],
    status: str,
    *,
    error: str | None = None,
    at: datetime | None = None,
) -> None:
    """Move the pending rows of these requests (idempotency keys) of a run to `status` (applied or rejected)."""
    if not keys:
        return
    table = writeback_ledger
    with engine.begin() as conn:
        conn.execute(
            update(table)
            .where(table.c.run_id == run_id, table.c.idempotency_key.in_(list(keys)), table.c.status == "pending")
            .values(status=status, error=error, applied_at=at)
        )


def unconfirmed(engine: Engine) -> list[dict[str, Any]]:
    """Applied ledger rows no sync has read back yet."""
    query = select(writeback_ledger).where(writeback_ledger.c.status == "applied").order_by(writeback_ledger.c.id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def set_statuses(engine: Engine, updates: Sequence[dict[str, Any]]) -> None:
    """Bulk status change: rows of {"row_id", "status"}."""
    if updates:
        with engine.begin() as conn:
            conn.execute(
                update(writeback_ledger)
                .where(writeback_ledger.c.id == bindparam("row_id"))
                .values(status=bindparam("new_status")),
                [{"row_id": u["row_id"], "new_status": u["status"]} for u in updates],
            )


def restore_freshness(engine: Engine, tool: str, obj: str, source_id: str, updated_at, changed_at) -> None:
    """Put a landed record's freshness back to before the hub's own write, so the echo does not make the record
    look newer than its siblings to survivorship ("most recent value wins")."""
    table = landed_records
    with engine.begin() as conn:
        conn.execute(
            update(table)
            .where(table.c.tool == tool, table.c.object == obj, table.c.source_id == source_id)
            .values(source_updated_at=updated_at, last_changed_at=changed_at)
        )


def ledger_rows(engine: Engine, tool: str | None = None, run_id: str | None = None) -> list[dict[str, Any]]:
    query = select(writeback_ledger).order_by(writeback_ledger.c.id)
    if tool:
        query = query.where(writeback_ledger.c.tool == tool)
    if run_id:
        query = query.where(writeback_ledger.c.run_id == run_id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def save_plan(engine: Engine, run_id: str, tool: str, fingerprint: str, summary: dict[str, Any], now: datetime):
    table = writeback_plans
    with engine.begin() as conn:
        conn.execute(table.delete().where(table.c.run_id == run_id, table.c.tool == tool))
        conn.execute(
            insert(table).values(
                run_id=run_id,
                tool=tool,
                fingerprint=fingerprint,
                summary=summary,
                records_changed=summary["records_changed"],
                records_linked=summary["records_linked"],
                created_at=now,
            )
        )


def plans_of_run(engine: Engine, run_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(writeback_plans).where(writeback_plans.c.run_id == run_id))
        return [dict(row._mapping) for row in rows]


def approve(engine: Engine, fingerprint: str, run_id: str, by: str, now: datetime) -> None:
    with engine.begin() as conn:
        if conn.execute(select(writeback_approvals).where(writeback_approvals.c.fingerprint == fingerprint)).first():
            return
        conn.execute(
            insert(writeback_approvals).values(fingerprint=fingerprint, run_id=run_id, approved_by=by, approved_at=now)
        )


def is_approved(engine: Engine, fingerprint: str) -> bool:
    with engine.connect() as conn:
        query = select(writeback_approvals.c.fingerprint).where(writeback_approvals.c.fingerprint == fingerprint)
        return conn.execute(query).first() is not None
