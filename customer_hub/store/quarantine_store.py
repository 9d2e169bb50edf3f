"""Quarantines: canonical fields a sync would have emptied, and single records with values the hub cannot store.

Records (`quarantined_records`): one row per record whose values landing had to clean or leave out, or whose
source id it had to refuse, with the reasons; the row goes when the record lands clean again.


Lifecycle of a row: `open` (last good values held, the stream's `field_quarantine` check fails and blocks the golden
layer) -> `accepted` (a person accepted the new mapping; the field is exempt from detection until the next complete
read re-derives every record) -> `closed` (detection applies again). Accepted renames stay in force in both. An
open quarantine also closes when a complete read needs to hold nothing for it (the vendor reverted the change).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from customer_hub.store.schema import field_quarantines, quarantined_records

OPEN, ACCEPTED, CLOSED = "open", "accepted", "closed"


@dataclass
class GuardState:
    """What the sync of one stream needs: fields held, fields exempt from detection, accepted renames."""

    open: set[str] = field(default_factory=set)
    held: set[str] = field(default_factory=set)
    """Fields this sync had to hold a value for (filled by the sync engine as it lands)."""
    exempt: set[str] = field(default_factory=set)
    renames: dict[str, str] = field(default_factory=dict)


def guard_state(conn_or_engine: Connection | Engine, tool: str, obj: str) -> GuardState:
    """The stream's quarantine state at the start of a sync."""
    state = GuardState()
    for row in _rows(conn_or_engine, tool, obj):
        if row["status"] == OPEN:
            state.open.add(row["field"])
        elif row["status"] == ACCEPTED:
            state.exempt.add(row["field"])
        state.renames.update(row["renames"] or {})
    return state


def open_quarantine(conn: Connection, tool: str, obj: str, field_name: str, detail: dict, now: datetime) -> None:
    """Open (or re-open) the quarantine of one field, keeping any renames accepted before. `detail` says how many
    filled values the sync would have emptied (filled_before, emptied, sample_ids)."""
    t = field_quarantines.c
    key = (t.tool == tool, t.object == obj, t.field == field_name)
    done = conn.execute(
        update(field_quarantines)
        .where(*key)
        .values(status=OPEN, opened_at=now, detail=detail, accepted_by=None, accepted_at=None)
    )
    if done.rowcount == 0:
        conn.execute(
            insert(field_quarantines).values(
                tool=tool, object=obj, field=field_name, status=OPEN, opened_at=now, detail=detail
            )
        )


def accept(
    engine: Engine, tool: str, obj: str, renames: Mapping[str, str], accepted_by: str, now: datetime
) -> list[str]:
    """Accept the new mapping of every open field of the stream; the fields accepted (none when nothing was open)."""
    t = field_quarantines.c
    with engine.begin() as conn:
        fields = list(
            conn.scalars(select(t.field).where(t.tool == tool, t.object == obj, t.status == OPEN).order_by(t.field))
        )
        if fields:
            conn.execute(
                update(field_quarantines)
                .where(t.tool == tool, t.object == obj, t.status == OPEN)
                .values(status=ACCEPTED, renames=dict(renames), accepted_by=accepted_by, accepted_at=now)
            )
    return fields


def close_accepted(conn: Connection, tool: str, obj: str) -> None:
    """After a complete read re-derived every record: accepted fields are watched again."""
    t = field_quarantines.c
    conn.execute(
        update(field_quarantines).where(t.tool == tool, t.object == obj, t.status == ACCEPTED).values(status=CLOSED)
    )


def close_reverted(conn: Connection, tool: str, obj: str, fields: Iterable[str]) -> None:
    """Close open quarantines a complete read no longer needed: the tool serves the field filled again."""
    names = list(fields)
    if names:
        t = field_quarantines.c
        conn.execute(
            update(field_quarantines)
            .where(t.tool == tool, t.object == obj, t.field.in_(names), t.status == OPEN)
            .values(status=CLOSED)
        )


def quarantines(engine: Engine, tool: str | None = None, obj: str | None = None) -> list[dict[str, Any]]:
    """Every quarantine row (of a stream, when given), by stream and field."""
    t = field_quarantines.c
    query = select(field_quarantines).order_by(t.tool, t.object, t.field)
    if tool:
        query = query.where(t.tool == tool)
    if obj:
        query = query.where(t.object == obj)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def _rows(conn_or_engine: Connection | Engine, tool: str, obj: str) -> list[dict[str, Any]]:
    t = field_quarantines.c
    query = select(field_quarantines).where(t.tool == tool, t.object == obj)
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
    return [dict(row._mapping) for row in conn_or_engine.execute(query)]


def _record_key(source_id: str) -> str:
    return hashlib.sha256(source_id.encode("utf-8", "surrogatepass")).hexdigest()


def quarantine_records(
    conn: Connection, tool: str, obj: str, items: Iterable[tuple[str, list[str], bool]], now: datetime
) -> None:
    """Record (source id, reasons, landed) of each bad record; a record seen again keeps its first_seen_at."""
    t = quarantined_records.c
    for source_id, reasons, landed in items:
        key = (t.tool == tool, t.object == obj, t.record_key == _record_key(source_id))
        values = {"reasons": reasons, "landed": landed, "last_seen_at": now}
        if conn.execute(update(quarantined_records).where(*key).values(**values)).rowcount == 0:
            conn.execute(
                insert(quarantined_records).values(
                    tool=tool,
                    object=obj,
                    record_key=_record_key(source_id),
                    source_id=source_id,
                    first_seen_at=now,
                    **values,
                )  # fmt: skip
            )


def release_records(conn: Connection, tool: str, obj: str, source_ids: Iterable[str]) -> None:
    """Forget the quarantine of records that just landed clean."""
    keys = [_record_key(source_id) for source_id in source_ids]
    if keys:
        t = quarantined_records.c
        conn.execute(quarantined_records.delete().where(t.tool == tool, t.object == obj, t.record_key.in_(keys)))


def quarantined(engine: Engine, tool: str | None = None) -> list[dict[str, Any]]:
    """Records held in quarantine with their reasons, by stream and source id."""
    t = quarantined_records.c
    query = select(quarantined_records).order_by(t.tool, t.object, t.source_id)
    if tool:
        query = query.where(t.tool == tool)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
