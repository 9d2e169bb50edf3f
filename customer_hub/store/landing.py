"""Landing tool records in the hub store: upsert by source id, mark vanished records, keep cursors and schemas.

Everything a sync writes goes through these functions, so the rules hold for every tool: a record is never
deleted (only marked), a re-read with the same content changes nothing but `last_seen_at`, and the cursor moves
in the same transaction that marks deletions. Writes are batched per page (one read of the page's existing
hashes, one executemany per kind of change) so a 100k-record stream lands in seconds on SQLite and PostgreSQL.

Two syncs of one stream may overlap (a manual run beside a scheduled one). Inserts therefore use the dialect's
ON CONFLICT DO NOTHING: a record the other sync inserted after this one looked is re-read and treated as
existing, instead of failing the page on the unique key. Rows are written in source-id order so two overlapping
transactions take their row locks in the same order and cannot deadlock each other on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Insert,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from customer_hub.config import SPEND_STREAMS
from customer_hub.store.json_columns import as_stored
from customer_hub.store.schema import landed_records, schema_snapshots, source_merges, sync_cursors

_MAX_DEPTH = 8
"""Field paths deeper than this are cut: deep nesting is vendor detail, not the schema a steward cares about."""
FREE_FORM_KEYS = frozenset({"metadata"})
"""Objects whose keys are user data (Stripe `metadata`), not schema: the key itself is a field, its keys are not."""


@dataclass(frozen=True)
class LandedRecord:
    """One record ready to land: the payload as served plus what the connector derived from it."""

    source_id: str
    payload: dict[str, Any]
    fields: dict[str, Any]
    source_updated_at: datetime | None = None


@dataclass
class UpsertCounts:
    """What a batch did. `restored` rows (previously marked deleted) are also counted as updated or unchanged."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    restored: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.restored += other.restored


@dataclass(frozen=True)
class CursorState:
    cursor: str | None
    last_full_sync_at: datetime | None
    last_sync_at: datetime | None


def about_customers(table: Table = landed_records) -> ColumnElement[bool]:
    """Rows of streams about customers: every stream but the spend ones (`SPEND_STREAMS`), which resolution and
    the golden record never read."""
    by_tool: dict[str, list[str]] = {}
    for tool, obj in sorted(SPEND_STREAMS):
        by_tool.setdefault(tool, []).append(obj)
    return and_(*(or_(table.c.tool != tool, table.c.object.not_in(objs)) for tool, objs in by_tool.items()))


def content_hash(payload: Mapping[str, Any]) -> str:
    """A stable hash of a payload: key order and whitespace do not count as a change."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def upsert_records(
    conn: Connection, tool: str, obj: str, records: Iterable[LandedRecord], now: datetime
) -> UpsertCounts:
    """Insert new records, update changed ones, touch unchanged ones; restore any that were marked deleted.

    Records repeated in the batch count once, the last occurrence winning (a page re-read in an overlap window).
    A payload read again unchanged whose canonical fields now differ (a mapping fixed or a rename accepted) gets
    the new fields without counting as a change in the tool (`last_changed_at` stays).
    Safe beside another sync of the same stream: a record it inserted meanwhile counts as updated or unchanged.
    """
    batch = {record.source_id: record for record in records}
    counts = UpsertCounts()
    if not batch:
        return counts
    digests = {source_id: content_hash(record.payload) for source_id, record in batch.items()}
    existing = _existing_rows(conn, tool, obj, list(batch))
    new_ids = sorted(source_id for source_id in batch if source_id not in existing)
    if new_ids:
        inserted = _insert_new(
            conn,
            [
                {
                    "tool": tool,
                    "object": obj,
                    "source_id": source_id,
                    "payload": batch[source_id].payload,
                    "fields": batch[source_id].fields,
                    "content_hash": digests[source_id],
                    "source_updated_at": batch[source_id].source_updated_at,
                    "first_seen_at": now,
                    "last_seen_at": now,
                    "last_changed_at": now,
                    "fields_changed_at": now,
                    "deleted_at": None,
                }
                for source_id in new_ids
            ],
        )
        counts.inserted = len(inserted)
        raced = [source_id for source_id in new_ids if source_id not in inserted]
        if raced:  # another sync inserted these after this one looked: they are existing rows now
            existing.update(_existing_rows(conn, tool, obj, raced))
    changes, touched, remapped = [], [], []
    for source_id, row in sorted(existing.items()):
        record = batch[source_id]
        counts.restored += row.deleted_at is not None
        if row.content_hash == digests[source_id] and _plain(row.fields) == _plain(record.fields):
            touched.append(row.id)
        elif row.content_hash == digests[source_id]:  # same payload read through a changed mapping
            remapped.append({"row_id": row.id, "fields": record.fields, "last_seen_at": now, "deleted_at": None,
                             "fields_changed_at": now})  # fmt: skip
        else:
            changes.append(
                {
                    "row_id": row.id,
                    "payload": record.payload,
                    "fields": record.fields,
                    "content_hash": digests[source_id],
                    "source_updated_at": record.source_updated_at,
                    "last_seen_at": now,
                    "last_changed_at": now,
                    "fields_changed_at": now,
                    "deleted_at": None,
                }
            )
    table = landed_records
    if changes:
        conn.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                payload=bindparam("payload"),
                fields=bindparam("fields"),
                content_hash=bindparam("content_hash"),
                source_updated_at=bindparam("source_updated_at"),
                last_seen_at=bindparam("last_seen_at"),
                last_changed_at=bindparam("last_changed_at"),
                fields_changed_at=bindparam("fields_changed_at"),
                deleted_at=bindparam("deleted_at"),
            ),
            changes,
        )
    if remapped:
        conn.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                fields=bindparam("fields"),
                last_seen_at=bindparam("last_seen_at"),
                deleted_at=bindparam("deleted_at"),
                fields_changed_at=bindparam("fields_changed_at"),
            ),
            remapped,
        )
    if touched:
        conn.execute(update(table).where(table.c.id.in_(touched)).values(last_seen_at=now, deleted_at=None))
    counts.updated, counts.unchanged = len(changes) + len(remapped), len(touched)
    return counts


def _plain(fields: Any) -> Any:
    """Fields as the JSON column gives them back, so a stored and a freshly derived mapping compare equal."""
    return as_stored(fields)


def landed_fields(conn: Connection, tool: str, obj: str, source_ids: list[str]) -> dict[str, dict[str, Any]]:
    """source id -> the canonical fields landed last, for the records of a page the hub already holds."""
    if not source_ids:
        return {}
    table = landed_records
    query = select(table.c.source_id, table.c.fields).where(
        table.c.tool == tool, table.c.object == obj, table.c.source_id.in_(source_ids)
    )
    return {row.source_id: row.fields or {} for row in conn.execute(query)}


def _existing_rows(conn: Connection, tool: str, obj: str, source_ids: list[str]) -> dict[str, Any]:
    table = landed_records
    query = select(table.c.id, table.c.source_id, table.c.content_hash, table.c.deleted_at, table.c.fields).where(
        table.c.tool == tool, table.c.object == obj, table.c.source_id.in_(source_ids)
    )
    return {row.source_id: row for row in conn.execute(query)}


def dialect_insert(conn: Connection, table: Table) -> Insert | None:
    """The dialect's INSERT that can say ON CONFLICT, or None where SQLAlchemy offers none for the dialect. Shared by
    the store modules that must be safe when two processes insert the same key at once."""
    dialects = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    make = dialects.get(conn.dialect.name)
    return make(table) if make else None


def _insert_new(conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert rows not yet landed, skipping any another transaction landed first; the source ids inserted.

    One executemany: SQLAlchemy batches INSERT .. RETURNING into multi-row statements on both dialects.
    """
    table = landed_records
    statement = dialect_insert(conn, table)
    if statement is None:  # other databases: a plain insert, which a concurrent sync can still collide with
        conn.execute(insert(table), rows)
        return {row["source_id"] for row in rows}
    statement = statement.on_conflict_do_nothing(
        index_elements=[table.c.tool, table.c.object, table.c.source_id]
    ).returning(table.c.source_id)
    return set(conn.scalars(statement, rows))


def mark_deleted(conn: Connection, tool: str, obj: str, source_ids: Iterable[str], now: datetime) -> int:
    """Mark records the tool reported deleted (e.g. a Stripe `customer.deleted` event). Returns how many."""
    ids = list(dict.fromkeys(source_ids))
    if not ids:
        return 0
    table = landed_records
    result = conn.execute(
        update(table)
        .where(table.c.tool == tool, table.c.object == obj, table.c.source_id.in_(ids), table.c.deleted_at.is_(None))
        .values(deleted_at=now)
    )
    return result.rowcount


def mark_unseen_deleted(conn: Connection, tool: str, obj: str, seen_since: datetime, now: datetime) -> int:
    """After a complete read: mark live records not seen since the read started as deleted. Returns how many."""
    table = landed_records
    result = conn.execute(
        update(table)
        .where(
            table.c.tool == tool,
            table.c.object == obj,
            table.c.deleted_at.is_(None),
            table.c.last_seen_at < seen_since,
        )
        .values(deleted_at=now)
    )
    return result.rowcount


def live_source_ids(conn: Connection, tool: str, obj: str, first_seen_before: datetime) -> set[str]:
    """Source ids of the stream's records not marked deleted and landed before a time: what a reconciliation
    compares the tool's ids with (a record landed while the tool was being listed may be missing from the list)."""
    table = landed_records
    query = select(table.c.source_id).where(
        table.c.tool == tool,
        table.c.object == obj,
        table.c.deleted_at.is_(None),
        table.c.first_seen_at < first_seen_before,
    )
    return set(conn.execute(query).scalars())


def record_merges(conn: Connection, tool: str, obj: str, merges: Mapping[str, str], now: datetime) -> int:
    """Remember which record was merged into which (first sighting kept); returns how many merges were new."""
    if not merges:
        return 0
    table = source_merges
    known = set(
        conn.execute(
            select(table.c.source_id).where(
                table.c.tool == tool, table.c.object == obj, table.c.source_id.in_(list(merges))
            )
        ).scalars()
    )
    rows = [
        {"tool": tool, "object": obj, "source_id": loser, "merged_into": winner, "seen_at": now}
        for loser, winner in merges.items()
        if loser not in known
    ]
    if rows:
        conn.execute(insert(table), rows)
    return len(rows)


def merges_of(engine: Engine, tool: str, obj: str) -> dict[str, str]:
    """Merged-away source id -> the source id it was merged into, for one stream."""
    table = source_merges
    with engine.connect() as conn:
        rows = conn.execute(
            select(table.c.source_id, table.c.merged_into).where(table.c.tool == tool, table.c.object == obj)
        )
        return {row.source_id: row.merged_into for row in rows}


def read_cursor(conn_or_engine: Connection | Engine, tool: str, obj: str) -> CursorState | None:
    """The stream's stored position, or None before its first successful sync."""
    query = select(sync_cursors).where(sync_cursors.c.tool == tool, sync_cursors.c.object == obj)
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            row = conn.execute(query).first()
    else:
        row = conn_or_engine.execute(query).first()
    if row is None:
        return None
    return CursorState(row.cursor, row.last_full_sync_at, row.last_sync_at)


def write_cursor(conn: Connection, tool: str, obj: str, cursor: str | None, *, full: bool, now: datetime) -> None:
    """Store the position after a successful read; `full` also records when the stream was last read whole."""
    table = sync_cursors
    values: dict[str, Any] = {"cursor": cursor, "last_sync_at": now, "updated_at": now}
    if full:
        values["last_full_sync_at"] = now
    statement = dialect_insert(conn, table)
    if statement is not None:  # one statement, so two first syncs of a stream cannot both insert
        row = {"tool": tool, "object": obj, "last_full_sync_at": None, **values}
        conn.execute(
            statement.values(**row).on_conflict_do_update(index_elements=[table.c.tool, table.c.object], set_=values)
        )
        return
    done = conn.execute(update(table).where(table.c.tool == tool, table.c.object == obj).values(**values))
    if done.rowcount == 0:
        conn.execute(insert(table).values(tool=tool, object=obj, **{"last_full_sync_at": None, **values}))


def field_paths(payload: Any, prefix: str = "", depth: int = 0) -> set[str]:
    """Dotted paths of every key in a payload, lists as `[]`: `properties.email`, `lines[].amount`."""
    paths: set[str] = set()
    if depth >= _MAX_DEPTH:
        return paths
    if isinstance(payload, dict):
        for key, value in payload.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            paths.add(path)
            if key not in FREE_FORM_KEYS:
                paths |= field_paths(value, path, depth + 1)
    elif isinstance(payload, list):
        for item in payload:
            if isinstance(item, dict | list):
                paths |= field_paths(item, f"{prefix}[]", depth + 1)
    return paths


def latest_schema(conn: Connection, tool: str, obj: str) -> list[str] | None:
    """The field paths of the stream's newest snapshot, or None when none was taken yet."""
    table = schema_snapshots
    row = conn.execute(
        select(table.c.fields)
        .where(table.c.tool == tool, table.c.object == obj)
        .order_by(table.c.captured_at.desc(), table.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else list(row.fields)


def record_schema(
    conn: Connection, tool: str, obj: str, fields: Iterable[str], now: datetime, *, complete: bool
) -> bool:
    """Store a snapshot when the stream's field set changed; True when one was written.

    A complete read sees every record, so its field set replaces the last one (removals show). An incremental
    read sees only changed records, so it can only add fields: its paths are merged into the last snapshot.
    """
    seen = set(fields)
    previous = latest_schema(conn, tool, obj)
    new = seen if complete or previous is None else set(previous) | seen
    if previous is not None and new == set(previous):
        return False
    if not new:
        return False
    conn.execute(insert(schema_snapshots).values(tool=tool, object=obj, fields=sorted(new), captured_at=now))
    return True


def schema_history(engine: Engine, tool: str, obj: str) -> list[dict[str, Any]]:
    """Every snapshot of a stream, oldest first: what drift metrics compare."""
    table = schema_snapshots
    with engine.connect() as conn:
        rows = conn.execute(
            select(table).where(table.c.tool == tool, table.c.object == obj).order_by(table.c.captured_at, table.c.id)
        )
        return [dict(row._mapping) for row in rows]


def live_count(conn_or_engine: Connection | Engine, tool: str, obj: str) -> int:
    """Records of the stream not marked deleted."""
    table = landed_records
    query = select(func.count()).where(table.c.tool == tool, table.c.object == obj, table.c.deleted_at.is_(None))
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return conn.execute(query).scalar_one()
    return conn_or_engine.execute(query).scalar_one()


def landed(
    engine: Engine, tool: str | None = None, obj: str | None = None, *, include_deleted: bool = False
) -> list[dict[str, Any]]:
    """Landed rows (all columns) for a tool and/or object, ordered by stream and source id."""
    table = landed_records
    conditions = []
    if tool is not None:
        conditions.append(table.c.tool == tool)
    if obj is not None:
        conditions.append(table.c.object == obj)
    if not include_deleted:
        conditions.append(table.c.deleted_at.is_(None))
    query = select(table).order_by(table.c.tool, table.c.object, table.c.source_id)
    if conditions:
        query = query.where(and_(*conditions))
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
