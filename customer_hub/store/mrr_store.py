"""Reading and writing MRR history: the latest snapshot per customer, and every snapshot's movements per currency.

Movements are measured from one snapshot to the next, so they add up: a day's new MRR is the sum of its snapshots'
new MRR, whether the asset ran once that day (its schedule) or after every sync. A snapshot is saved only if no
other was saved since it read the previous one, so two runs at once can never count one change twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select

from customer_hub.store.schema import mrr_by_customer, mrr_history

_CHUNK = 5_000
MOVEMENT_COLUMNS = ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")


class SnapshotConflict(RuntimeError):
    """Another MRR snapshot was saved while this one was being taken; the next run measures from that one."""


def _latest_at(conn: Connection) -> datetime | None:
    return conn.execute(select(func.max(mrr_history.c.measured_at))).scalar()


def previous_snapshot(engine: Engine) -> tuple[datetime | None, dict[tuple[str, str], float]]:
    """When the latest snapshot was taken and its (customer, currency) -> MRR; (None, {}) before the first."""
    with engine.connect() as conn:
        previous_at = _latest_at(conn)
        if previous_at is None:
            return None, {}
        rows = conn.execute(
            select(mrr_by_customer.c.golden_customer_id, mrr_by_customer.c.currency, mrr_by_customer.c.mrr)
        )
        return previous_at, {(row.golden_customer_id, row.currency): row.mrr for row in rows}


def save_snapshot(
    engine: Engine,
    measured_at: datetime,
    previous_at: datetime | None,
    customers: Mapping[tuple[str, str], float],
    currencies: Sequence[Mapping[str, Any]],
) -> None:
    """Replace the latest per-customer snapshot and append one history row per currency, in one transaction;
    SnapshotConflict if a snapshot newer than `previous_at` was saved meanwhile."""
    customer_rows = [
        {"golden_customer_id": golden_id, "currency": currency, "mrr": amount, "measured_at": measured_at}
        for (golden_id, currency), amount in sorted(customers.items())
    ]
    history_rows = [{**row, "measured_at": measured_at, "previous_at": previous_at} for row in currencies]
    with engine.begin() as conn:
        latest = _latest_at(conn)
        if latest != previous_at:
            raise SnapshotConflict(
                f"another MRR snapshot was saved at {latest} while this one compared with {previous_at}: "
                "nothing saved; the next run measures from that snapshot"
            )
        conn.execute(delete(mrr_by_customer))
        for start in range(0, len(customer_rows), _CHUNK):
            conn.execute(insert(mrr_by_customer), customer_rows[start : start + _CHUNK])
        if history_rows:
            conn.execute(insert(mrr_history), history_rows)


def daily_history(engine: Engine, days: int) -> list[dict[str, Any]]:
    """Per day (UTC) and currency over the last `days` days with a snapshot, oldest first: the day's last MRR and
    the sum of its movements."""
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(select(mrr_history).order_by(mrr_history.c.measured_at))]
    by_day: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["measured_at"].date().isoformat(), row["currency"])
        day = by_day.setdefault(key, {"day": key[0], "currency": key[1], **dict.fromkeys(MOVEMENT_COLUMNS, 0.0)})
        day.update(mrr=row["mrr"], customers=row["customers"], snapshots=day.get("snapshots", 0) + 1)
        for column in MOVEMENT_COLUMNS:
            day[column] = round(day[column] + row[column], 2)
    kept = sorted({day for day, _ in by_day})[-days:]
    return [entry for (day, _), entry in sorted(by_day.items()) if day in kept]
