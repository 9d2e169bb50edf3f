"""Reading and writing `webhook_events`: every vendor event once, stored before the vendor is acknowledged.

A delivery's events and its health-log row are written in one transaction, so an acknowledged event is always
stored and always counted. The (tool, event_id) key makes a redelivery a no-op apart from its `deliveries` count.

Event lifecycle: received → dispatched (a sensor tick requested its run, `dispatch_tick`) → processed (a later tick
saw that tick's cursor committed, so Dagster has the run) — or ignored (no work for it, `error` says why). A tick
that fails before Dagster commits its cursor leaves its events dispatched with a tick number above the committed
cursor; the next tick picks them up again, so a crash loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update

from customer_hub.store.landing import dialect_insert
from customer_hub.store.schema import integration_health_log, webhook_events
from customer_hub.webhooks.events import WebhookEvent

RECEIVED_WHAT = "webhooks.{tool}.received"
REJECTED_WHAT = "webhooks.{tool}.rejected"
DISPATCH_WHAT = "webhooks.dispatch"
_ERROR_LIMIT = 500


@dataclass(frozen=True)
class StoredDelivery:
    """What one delivery added: events new to the hub and events it had already (a retry or a replay)."""

    new: int
    duplicates: int


def _health(
    conn: Connection,
    what: str,
    trigger: str,
    status: str,
    started_at: datetime,
    finished_at: datetime,
    *,
    records_in: int | None = None,
    records_out: int | None = None,
    error: str | None = None,
) -> None:
    """One health-log row. `tool` stays empty on purpose: these are deliveries, not integration runs, so a flood of
    forged requests cannot take a tool's uptime or error rate down; the tool is in `what`."""
    conn.execute(
        insert(integration_health_log).values(
            started_at=started_at,
            finished_at=finished_at,
            what=what,
            trigger=trigger,
            tool=None,
            records_in=records_in,
            records_out=records_out,
            status=status,
            duration_seconds=round((finished_at - started_at).total_seconds(), 3),
            error=error[:_ERROR_LIMIT] if error else None,
        )
    )


def _insert_new(conn: Connection, event: WebhookEvent, received_at: datetime) -> bool:
    row = {
        "tool": event.tool,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "object_id": event.object_id,
        "occurred_at": event.occurred_at,
        "received_at": received_at,
        "deliveries": 1,
        "payload": event.payload,
        "status": "received",
    }
    statement = dialect_insert(conn, webhook_events)
    if statement is None:  # other databases: look first (a concurrent delivery can still collide there)
        if _exists(conn, event):
            return False
        conn.execute(insert(webhook_events).values(**row))
        return True
    return conn.execute(statement.values(**row).on_conflict_do_nothing()).rowcount == 1


def _exists(conn: Connection, event: WebhookEvent) -> bool:
    query = select(webhook_events.c.id).where(
        webhook_events.c.tool == event.tool, webhook_events.c.event_id == event.event_id
    )
    return conn.execute(query).first() is not None


def store_delivery(engine: Engine, tool: str, events: Sequence[WebhookEvent], received_at: datetime) -> StoredDelivery:
    """Store a verified delivery's events and count it in the health log, in one transaction."""
    new = 0
    with engine.begin() as conn:
        for event in events:
            if _insert_new(conn, event, received_at):
                new += 1
            else:
                conn.execute(
                    update(webhook_events)
                    .where(webhook_events.c.tool == event.tool, webhook_events.c.event_id == event.event_id)
                    .values(deliveries=webhook_events.c.deliveries + 1)
                )
        _health(
            conn,
            RECEIVED_WHAT.format(tool=tool),
            "webhook",
            "success",
            received_at,
            received_at,
            records_in=len(events),
            records_out=new,
        )
    return StoredDelivery(new=new, duplicates=len(events) - new)


def record_rejection(engine: Engine, tool: str, reason: str, at: datetime) -> None:
    """Count a refused delivery (bad signature, stale, malformed) with its reason, never its body."""
    with engine.begin() as conn:
        _health(conn, REJECTED_WHAT.format(tool=tool), "webhook", "failure", at, at, error=reason)


def record_dispatch(engine: Engine, trigger: str, started_at: datetime, finished_at: datetime, events: int, runs: int):
    """Count one sensor tick's processing: events read, runs requested."""
    with engine.begin() as conn:
        _health(conn, DISPATCH_WHAT, trigger, "success", started_at, finished_at, records_in=events, records_out=runs)


def confirm_dispatched(engine: Engine, committed_tick: int, now: datetime) -> int:
    """Events dispatched by ticks up to the committed cursor have their runs in Dagster: mark them processed."""
    t = webhook_events.c
    with engine.begin() as conn:
        result = conn.execute(
            update(webhook_events)
            .where(t.status == "dispatched", t.dispatch_tick <= committed_tick)
            .values(status="processed", processed_at=now)
        )
    return result.rowcount


def pending_events(engine: Engine, committed_tick: int, limit: int) -> list[dict[str, Any]]:
    """Events still to turn into work, oldest first: received, or dispatched by a tick whose cursor never committed."""
    t = webhook_events.c
    query = (
        select(t.id, t.tool, t.event_id, t.event_type, t.object_id, t.occurred_at, t.received_at, t.payload)
        .where(or_(t.status == "received", and_(t.status == "dispatched", t.dispatch_tick > committed_tick)))
        .order_by(t.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def mark_dispatched(engine: Engine, run_keys: Mapping[int, str], tick: int) -> None:
    """Record which run each event was turned into, by this tick."""
    with engine.begin() as conn:
        for event_row, run_key in run_keys.items():
            conn.execute(
                update(webhook_events)
                .where(webhook_events.c.id == event_row)
                .values(status="dispatched", dispatch_tick=tick, run_key=run_key[:200])
            )


def mark_ignored(engine: Engine, reasons: Mapping[int, str], now: datetime) -> None:
    """Events no work maps to, with the reason (a tool or stream not enabled, an unknown event type)."""
    with engine.begin() as conn:
        for event_row, reason in reasons.items():
            conn.execute(
                update(webhook_events)
                .where(webhook_events.c.id == event_row)
                .values(status="ignored", processed_at=now, error=reason[:_ERROR_LIMIT])
            )


def last_received(engine: Engine) -> dict[str, datetime]:
    """Per tool, when its newest event arrived: what the silence check judges."""
    query = select(webhook_events.c.tool, func.max(webhook_events.c.received_at)).group_by(webhook_events.c.tool)
    with engine.connect() as conn:
        return {tool: moment for tool, moment in conn.execute(query).all()}


def events(engine: Engine, tools: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every stored event, oldest first (tests, the demo and the benchmark read outcomes here)."""
    query = select(webhook_events).order_by(webhook_events.c.id)
    if tools is not None:
        query = query.where(webhook_events.c.tool.in_(list(tools)))
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
