"""Reading and writing `onboarding_flows`: one row per closed-won deal, the memory of the onboarding flow.

The row is what makes retries safe: each step writes what it created (Asana project gid, QuickBooks invoice id)
as soon as it exists, and a later attempt skips every step whose result is already recorded. Timestamps are set
once, on the first success of a step, so the latency of a flow never improves by retrying it.

The flow's last step rebuilds one customer's customer_360 row; the two functions at the end read what that row is
built from and write it, leaving every other customer's row alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Insert, delete, insert, or_, select, update

from customer_hub.store.landing import dialect_insert
from customer_hub.store.schema import (
    customer_360,
    customer_records,
    customer_xref,
    golden_customers,
    golden_history,
    onboarding_claims,
    onboarding_flows,
)

STATUSES = ("detected", "running", "done", "failed")
_ERROR_LIMIT = 500


def read_flow(engine: Engine, deal_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(onboarding_flows).where(onboarding_flows.c.deal_id == deal_id)).first()
    return dict(row._mapping) if row else None


def read_flows(engine: Engine, *, since: datetime | None = None, unfinished: bool = False) -> list[dict[str, Any]]:
    """Flows oldest first, optionally only those detected since a time (plus, with `unfinished`, every flow not
    done however old, so the latency check keeps seeing a stuck one)."""
    query = select(onboarding_flows).order_by(onboarding_flows.c.detected_at, onboarding_flows.c.deal_id)
    if since is not None:
        recent = onboarding_flows.c.detected_at >= since
        query = query.where(or_(recent, onboarding_flows.c.status != "done") if unfinished else recent)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def finished_deal_ids(engine: Engine, deal_ids: Iterable[str]) -> set[str]:
    """Which of these deals already went through the whole flow."""
    ids = list(deal_ids)
    if not ids:
        return set()
    query = select(onboarding_flows.c.deal_id).where(
        onboarding_flows.c.deal_id.in_(ids), onboarding_flows.c.status == "done"
    )
    with engine.connect() as conn:
        return {row.deal_id for row in conn.execute(query)}


def pending_deal_ids(engine: Engine) -> list[str]:
    """Deals the hub has seen closed-won whose flow is not done (detected, running or failed), oldest first: what
    a run without a deal id onboards."""
    query = (
        select(onboarding_flows.c.deal_id)
        .where(onboarding_flows.c.status != "done")
        .order_by(onboarding_flows.c.detected_at, onboarding_flows.c.deal_id)
    )
    with engine.connect() as conn:
        return [row.deal_id for row in conn.execute(query)]


def record_detected(
    engine: Engine,
    deal_id: str,
    *,
    deal_name: str | None,
    amount: float | None,
    deal_closed_at: datetime | None,
    detected_at: datetime,
) -> bool:
    """The sensor saw the deal closed-won; returns False when the deal already has a flow.

    Written before the run is queued, so a flow whose run never starts still shows up (and counts as slow).
    """
    row = {
        "deal_id": deal_id,
        "deal_name": deal_name,
        "amount": amount,
        "status": "detected",
        "deal_closed_at": deal_closed_at,
        "detected_at": detected_at,
        "attempts": 0,
    }
    with engine.begin() as conn:
        return _insert_if_absent(conn, onboarding_flows, row)


def _insert_if_absent(conn: Connection, table, row: dict[str, Any]) -> bool:
    """Insert the row unless its key exists, without failing when another process inserts it at the same moment
    (the sensor and a manual run, or two retries starting at once). True when this call inserted it."""
    statement: Insert | None = dialect_insert(conn, table)
    if statement is None:  # other databases: look first (a concurrent insert can still collide there)
        key = [column for column in table.primary_key.columns]
        if conn.execute(select(*key).where(*(column == row[column.name] for column in key))).first():
            return False
        conn.execute(insert(table).values(**row))
        return True
    return conn.execute(statement.values(**row).on_conflict_do_nothing()).rowcount == 1


def start_attempt(
    engine: Engine, deal_id: str, *, detected_at: datetime, deal_closed_at: datetime | None = None
) -> dict[str, Any]:
    """Open (or re-open) the deal's flow for one more attempt; returns the row as it now stands.

    The earliest detection and close times win, so a re-detected deal keeps the latency of its first sighting.
    """
    first = {
        "deal_id": deal_id,
        "status": "running",
        "deal_closed_at": deal_closed_at,
        "detected_at": detected_at,
        "attempts": 1,
    }
    with engine.begin() as conn:
        if not _insert_if_absent(conn, onboarding_flows, first):
            row = conn.execute(
                select(onboarding_flows).where(onboarding_flows.c.deal_id == deal_id).with_for_update()
            ).one()
            conn.execute(
                update(onboarding_flows)
                .where(onboarding_flows.c.deal_id == deal_id)
                .values(
                    status="done" if row.status == "done" else "running",
                    deal_closed_at=_earliest(row.deal_closed_at, deal_closed_at),
                    detected_at=min(row.detected_at, detected_at),
                    attempts=row.attempts + 1,
                    error=None,
                )
            )
        return dict(conn.execute(select(onboarding_flows).where(onboarding_flows.c.deal_id == deal_id)).one()._mapping)


def claim(engine: Engine, deal_id: str, owner: str, now: datetime, lease: timedelta) -> str | None:
    """Take the deal for `owner` before writing to any tool: None when taken (or renewed), else the holder.

    A compare-and-set in the hub store: the claim row is inserted if absent, else taken over only when it is the
    owner's own or has lapsed (a killed run), so of two attempts starting at once exactly one writes.
    """
    c = onboarding_claims.c
    with engine.begin() as conn:
        if _insert_if_absent(conn, onboarding_claims, {"deal_id": deal_id, "owner": owner, "expires_at": now + lease}):
            return None
        taken = conn.execute(
            update(onboarding_claims)
            .where(c.deal_id == deal_id, or_(c.owner == owner, c.expires_at < now))
            .values(owner=owner, expires_at=now + lease)
        ).rowcount
        if taken:
            return None
        return conn.execute(select(c.owner).where(c.deal_id == deal_id)).scalar_one_or_none() or "another attempt"


def release(engine: Engine, deal_id: str, owner: str) -> None:
    """Give the deal back (only the owner's own claim)."""
    c = onboarding_claims.c
    with engine.begin() as conn:
        conn.execute(delete(onboarding_claims).where(c.deal_id == deal_id, c.owner == owner))


def record_deal(
    engine: Engine, deal_id: str, *, deal_name: str, amount: float, deal_closed_at: datetime | None
) -> None:
    """What HubSpot says about the deal now: its name and amount, and when it closed if not known yet."""
    with engine.begin() as conn:
        row = conn.execute(select(onboarding_flows).where(onboarding_flows.c.deal_id == deal_id)).one()
        conn.execute(
            update(onboarding_flows)
            .where(onboarding_flows.c.deal_id == deal_id)
            .values(deal_name=deal_name, amount=amount, deal_closed_at=_earliest(row.deal_closed_at, deal_closed_at))
        )


def _earliest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


def record_project(engine: Engine, deal_id: str, project_gid: str, at: datetime) -> None:
    """The deal's Asana project exists (created now, or found from an earlier attempt)."""
    _set_once(engine, deal_id, asana_project_gid=project_gid, project_created_at=at)


def record_invoice(engine: Engine, deal_id: str, invoice_id: str, at: datetime) -> dict[str, Any]:
    """The deal's QuickBooks invoice exists; sets the end-to-end latency (deal closed, else detected, to now)."""
    _set_once(engine, deal_id, quickbooks_invoice_id=invoice_id, invoice_drafted_at=at)
    flow = read_flow(engine, deal_id) or {}
    start = flow.get("deal_closed_at") or flow.get("detected_at")
    if flow.get("latency_seconds") is None and start and flow.get("invoice_drafted_at"):
        latency = max(0.0, (flow["invoice_drafted_at"] - start).total_seconds())
        with engine.begin() as conn:
            conn.execute(
                update(onboarding_flows)
                .where(onboarding_flows.c.deal_id == deal_id)
                .values(latency_seconds=round(latency, 3))
            )
        flow["latency_seconds"] = round(latency, 3)
    return flow


def record_done(engine: Engine, deal_id: str, mrr_refreshed_at: datetime | None) -> dict[str, Any]:
    """Every step is complete."""
    with engine.begin() as conn:
        conn.execute(
            update(onboarding_flows)
            .where(onboarding_flows.c.deal_id == deal_id)
            .values(status="done", error=None, mrr_refreshed_at=mrr_refreshed_at)
        )
    return read_flow(engine, deal_id) or {}


def record_failure(engine: Engine, deal_id: str, error: str) -> None:
    """The attempt failed; what was created stays recorded, so the next attempt only does the rest."""
    with engine.begin() as conn:
        conn.execute(
            update(onboarding_flows)
            .where(onboarding_flows.c.deal_id == deal_id)
            .values(status="failed", error=error[:_ERROR_LIMIT])
        )


def _set_once(engine: Engine, deal_id: str, **values: Any) -> None:
    """Set columns that are still empty; a value recorded by an earlier attempt is never overwritten."""
    with engine.begin() as conn:
        row = conn.execute(select(onboarding_flows).where(onboarding_flows.c.deal_id == deal_id)).first()
        if row is None:
            raise LookupError(f"no onboarding flow for deal {deal_id}: start_attempt must run first")
        fresh = {name: value for name, value in values.items() if getattr(row, name) is None}
        if fresh:
            conn.execute(update(onboarding_flows).where(onboarding_flows.c.deal_id == deal_id).values(**fresh))


# --- one customer's 360 row, refreshed by the flow --------------------------------------------------------------


def customer_snapshot(engine: Engine, golden_id: str) -> dict[str, Any] | None:
    """What the 360 view of one golden customer is built from: its golden row, links, records, persons, history."""
    with engine.connect() as conn:
        golden = conn.execute(select(golden_customers).where(golden_customers.c.golden_id == golden_id)).first()
        if golden is None:
            return None
        links = [
            dict(row._mapping)
            for row in conn.execute(
                select(customer_xref)
                .where(customer_xref.c.golden_customer_id == golden_id)
                .order_by(customer_xref.c.record_id)
            )
        ]
        record_ids = [link["record_id"] for link in links]
        records = [
            dict(row._mapping)
            for row in conn.execute(
                select(customer_records).where(
                    customer_records.c.record_id.in_(record_ids), customer_records.c.deleted_at.is_(None)
                )
            )
        ]
        person_ids = sorted({link["golden_person_id"] for link in links if link["golden_person_id"]})
        persons = [
            dict(row._mapping)
            for row in conn.execute(select(golden_customers).where(golden_customers.c.golden_id.in_(person_ids)))
        ]
        history = [
            dict(row._mapping)
            for row in conn.execute(
                select(golden_history)
                .where(
                    golden_history.c.golden_id == golden_id,
                    golden_history.c.event.in_(("created", "merged", "split", "retired")),
                )
                .order_by(golden_history.c.id)
            )
        ]
    return {"golden": dict(golden._mapping), "xref": links, "records": records, "persons": persons, "history": history}


def upsert_360_row(engine: Engine, row: dict[str, Any]) -> None:
    """Write one customer's 360 row, leaving every other customer's row as it is."""
    with engine.begin() as conn:
        key = customer_360.c.golden_customer_id == row["golden_customer_id"]
        if conn.execute(select(customer_360.c.golden_customer_id).where(key)).first():
            conn.execute(update(customer_360).where(key).values(**row))
        else:
            conn.execute(insert(customer_360).values(**row))
