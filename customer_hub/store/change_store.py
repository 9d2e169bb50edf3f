"""Reading and writing the schema changes change control tracks, and the Asana ticket each one has."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from customer_hub.store.schema import schema_changes

OPEN = "open"
RESOLVED = "resolved"


def read_changes(engine: Engine, status: str | None = None) -> list[dict[str, Any]]:
    """Changes (optionally only `open` or `resolved` ones), oldest first."""
    query = select(schema_changes).order_by(schema_changes.c.first_seen_at, schema_changes.c.change_key)
    if status:
        query = query.where(schema_changes.c.status == status)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def save_changes(
    engine: Engine,
    opened: Sequence[dict[str, Any]],
    reopened: Sequence[dict[str, Any]],
    seen: Sequence[dict[str, Any]],
    resolved: Sequence[str],
    now: datetime,
) -> None:
    """One reconciliation in one transaction: new changes inserted open, changes back after being resolved opened
    again, changes still there touched, and changes gone marked resolved. Rows are (change_key, tool, object,
    field, kind, summary) dicts; `resolved` are change keys."""
    c = schema_changes.c
    with engine.begin() as conn:
        for row in opened:
            conn.execute(
                insert(schema_changes).values(**row, status=OPEN, first_seen_at=now, last_seen_at=now, resolved_at=None)
            )
        for row in [*reopened, *seen]:
            conn.execute(
                update(schema_changes)
                .where(c.change_key == row["change_key"])
                .values(kind=row["kind"], summary=row["summary"], status=OPEN, last_seen_at=now, resolved_at=None)
            )
        if resolved:
            conn.execute(
                update(schema_changes).where(c.change_key.in_(resolved)).values(status=RESOLVED, resolved_at=now)
            )


def record_ticket(engine: Engine, key: str, gid: str | None, url: str | None, state: str, now: datetime) -> None:
    """The change's Asana task (None: it has none) and the state the hub left it in; clears an earlier error."""
    with engine.begin() as conn:
        conn.execute(
            update(schema_changes)
            .where(schema_changes.c.change_key == key)
            .values(ticket_gid=gid, ticket_url=url, ticket_state=state, ticket_error=None, ticket_synced_at=now)
        )


def record_ticket_error(engine: Engine, key: str, error: str, now: datetime) -> None:
    """Why the ticket could not be created or updated; the next run tries again (finding it first)."""
    with engine.begin() as conn:
        conn.execute(
            update(schema_changes)
            .where(schema_changes.c.change_key == key)
            .values(ticket_error=error[:2000], ticket_synced_at=now)
        )
