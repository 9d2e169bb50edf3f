"""Reading and writing alert state: incidents (one per failing check and subject) and the outbox.

Every alert is written to the outbox before anyone tries to post it, so an alert survives a Slack outage, a bad
token or a crash between deciding and posting; delivery only ever moves a row forward.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text, update

from customer_hub.store.schema import alert_incidents, alert_outbox

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
"""Slack refused or was unreachable; retried on the next delivery pass."""
NOT_CONFIGURED = "not_configured"
"""No bot token or webhook URL set; kept (and logged) until Slack is configured."""
UNDELIVERABLE = "undeliverable"
"""Slack rejected this message itself (e.g. malformed blocks); not retried."""
TO_DELIVER = (PENDING, FAILED, NOT_CONFIGURED)
_LOCK_KEY = 0x0A1E27  # PostgreSQL advisory-lock id of outbox delivery


def get_incident(conn: Connection, key: str) -> dict[str, Any] | None:
    row = conn.execute(select(alert_incidents).where(alert_incidents.c.incident_key == key)).first()
    return None if row is None else dict(row._mapping)


def save_incident(conn: Connection, key: str, **values: Any) -> None:
    """Insert or update the incident row of `key`."""
    if conn.execute(update(alert_incidents).where(alert_incidents.c.incident_key == key).values(**values)).rowcount:
        return
    conn.execute(insert(alert_incidents).values(incident_key=key, **values))


def enqueue(
    conn: Connection, kind: str, message: dict[str, Any], now: datetime, incident_key: str | None = None
) -> int:
    """Add an alert to the outbox as pending; returns its id (ids give the delivery order)."""
    result = conn.execute(
        insert(alert_outbox).values(
            created_at=now, incident_key=incident_key, kind=kind, message=message, status=PENDING, attempts=0
        )
    )
    return result.inserted_primary_key[0]


def has_alert(engine: Engine, incident_key: str) -> bool:
    """True when any alert was ever queued under this key (run-failure alerts are one per run)."""
    query = select(alert_outbox.c.id).where(alert_outbox.c.incident_key == incident_key).limit(1)
    with engine.connect() as conn:
        return conn.execute(query).first() is not None


def to_deliver(engine: Engine) -> list[dict[str, Any]]:
    """Alerts not delivered yet, in the order they were raised."""
    query = select(alert_outbox).where(alert_outbox.c.status.in_(TO_DELIVER)).order_by(alert_outbox.c.id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def opening_alert(engine: Engine, incident_key: str, before_id: int) -> dict[str, Any] | None:
    """The `opened` alert a thread reply belongs to: the latest one of the incident queued before the reply."""
    query = (
        select(alert_outbox)
        .where(
            alert_outbox.c.incident_key == incident_key,
            alert_outbox.c.kind == "opened",
            alert_outbox.c.id < before_id,
        )
        .order_by(alert_outbox.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else dict(row._mapping)


def mark_delivered(engine: Engine, alert_id: int, slack_ts: str | None, channel: str | None, now: datetime) -> None:
    """Record the delivery; an opening message's ts also becomes its incident's thread."""
    with engine.begin() as conn:
        row = conn.execute(select(alert_outbox).where(alert_outbox.c.id == alert_id)).one()
        conn.execute(
            update(alert_outbox)
            .where(alert_outbox.c.id == alert_id)
            .values(status=DELIVERED, slack_ts=slack_ts, delivered_at=now, attempts=row.attempts + 1, last_error=None)
        )
        if row.kind == "opened" and row.incident_key:
            conn.execute(
                update(alert_incidents)
                .where(
                    alert_incidents.c.incident_key == row.incident_key,
                    alert_incidents.c.opened_at <= row.created_at,
                )
                .values(thread_ts=slack_ts, channel=channel)
            )


def mark_attempt(engine: Engine, alert_id: int, status: str, error: str | None, count: bool = True) -> None:
    """Record a delivery attempt that did not deliver (or, with count=False, just the status)."""
    with engine.begin() as conn:
        attempts = conn.execute(select(alert_outbox.c.attempts).where(alert_outbox.c.id == alert_id)).scalar_one()
        conn.execute(
            update(alert_outbox)
            .where(alert_outbox.c.id == alert_id)
            .values(status=status, last_error=error, attempts=attempts + int(count))
        )


def recent_alerts(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """The newest outbox rows, newest first."""
    query = select(alert_outbox).order_by(alert_outbox.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def alerts_by_id(engine: Engine, ids: list[int]) -> list[dict[str, Any]]:
    """The outbox rows with these ids, oldest first."""
    if not ids:
        return []
    query = select(alert_outbox).where(alert_outbox.c.id.in_(ids)).order_by(alert_outbox.c.id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def incidents(engine: Engine, status: str | None = None) -> list[dict[str, Any]]:
    """Incident rows (optionally only `open` or `resolved` ones), by key."""
    query = select(alert_incidents).order_by(alert_incidents.c.incident_key)
    if status:
        query = query.where(alert_incidents.c.status == status)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


@contextmanager
def delivery_lock(engine: Engine, timeout_seconds: float = 30.0) -> Iterator[bool]:
    """Held while one process delivers the outbox, so the alert sensor, a run-failure sensor and a job delivering
    at the same moment never post one alert twice. Yields False when the lock stayed busy for `timeout_seconds`.

    PostgreSQL: a session advisory lock. SQLite: an OS file lock beside the database file. Both are released by
    the operating system or the server if the process dies, so a crash never leaves the outbox locked.
    """
    deadline = time.monotonic() + timeout_seconds
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            while not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _LOCK_KEY}).scalar_one():
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
            try:
                yield True
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield True
        return
    with open(f"{database}.alerts.lock", "a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
