"""Reading and writing customer health: the latest score per customer and the score per customer per day.

The latest scores are replaced as a whole (a merged customer leaves them); the history keeps one row per customer
per day forever, so a trend survives merges and re-runs: a second run on one day replaces that day's rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select

from customer_hub.customer_health.scoring import Health
from customer_hub.store.golden_store import merged_ids, survivor_of
from customer_hub.store.schema import customer_health, customer_health_history, customer_xref, onboarding_flows

_CHUNK = 5_000


def previous_bands(engine: Engine, day: str) -> dict[str, str]:
    """Each customer's band on the latest day scored before `day` (YYYY-MM-DD); empty before the first day."""
    history = customer_health_history.c
    with engine.connect() as conn:
        previous_day = conn.execute(select(func.max(history.day)).where(history.day < day)).scalar()
        if previous_day is None:
            return {}
        rows = conn.execute(select(history.golden_customer_id, history.band).where(history.day == previous_day))
        return {row.golden_customer_id: row.band for row in rows}


def save_scores(engine: Engine, day: str, scores: Sequence[Health], previous: dict[str, str], now: datetime) -> None:
    """Replace the latest scores and `day`'s history rows in one transaction."""
    current = [
        {
            "golden_customer_id": health.golden_customer_id,
            "name": health.name,
            "score": health.score,
            "band": health.band,
            "previous_band": previous.get(health.golden_customer_id),
            "signals": health.signal_rows(),
            "notes": list(health.notes),
            "scored_at": now,
        }
        for health in scores
    ]
    history = [
        {
            "day": day,
            "golden_customer_id": health.golden_customer_id,
            "score": health.score,
            "band": health.band,
            "signals": [signal.name for signal in health.signals],
        }
        for health in scores
    ]
    with engine.begin() as conn:
        conn.execute(delete(customer_health))
        conn.execute(delete(customer_health_history).where(customer_health_history.c.day == day))
        for table, rows in ((customer_health, current), (customer_health_history, history)):
            for start in range(0, len(rows), _CHUNK):
                conn.execute(insert(table), rows[start : start + _CHUNK])


def latest_scores(engine: Engine, *, band: str | None = None) -> list[dict[str, Any]]:
    """The latest score rows, worst first; only one band's when `band` is given."""
    query = select(customer_health).order_by(customer_health.c.score, customer_health.c.golden_customer_id)
    if band:
        query = query.where(customer_health.c.band == band)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def scores_for(engine: Engine, golden_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The latest score rows of some customers, each with its `trend`: (day, score) per day scored, oldest first."""
    ids = list(dict.fromkeys(golden_ids))
    if not ids:
        return {}
    history = customer_health_history.c
    with engine.connect() as conn:
        rows = {
            row.golden_customer_id: {**dict(row._mapping), "trend": []}
            for row in conn.execute(select(customer_health).where(customer_health.c.golden_customer_id.in_(ids)))
        }
        query = (
            select(history.golden_customer_id, history.day, history.score)
            .where(history.golden_customer_id.in_(list(rows)))
            .order_by(history.day)
        )
        for row in conn.execute(query):
            rows[row.golden_customer_id]["trend"].append((row.day, row.score))
    return rows


def band_counts_by_day(engine: Engine, days: int) -> list[dict[str, Any]]:
    """Customers per band on each of the last `days` days scored, oldest first: the trend of the whole book."""
    history = customer_health_history.c
    with engine.connect() as conn:
        recent = [
            row.day for row in conn.execute(select(history.day).distinct().order_by(history.day.desc()).limit(days))
        ]
        counts = conn.execute(
            select(history.day, history.band, func.count())
            .where(history.day.in_(recent))
            .group_by(history.day, history.band)
        )
        by_day: dict[str, dict[str, int]] = defaultdict(dict)
        for day, band, count in counts:
            by_day[day][band] = count
    return [{"day": day, **by_day[day]} for day in sorted(by_day)]


def onboarding_flows_by_customer(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Each onboarding flow under the golden customer its HubSpot deal is linked to (merges followed); a flow whose
    deal the hub has not linked yet belongs to nobody until the next golden run links it."""
    with engine.connect() as conn:
        flows = [dict(row._mapping) for row in conn.execute(select(onboarding_flows))]
        record_ids = [f"hubspot:deals:{flow['deal_id']}" for flow in flows]
        links = {
            row.record_id: row.golden_customer_id
            for row in conn.execute(
                select(customer_xref.c.record_id, customer_xref.c.golden_customer_id).where(
                    customer_xref.c.record_id.in_(record_ids)
                )
            )
        }
    merged = merged_ids(engine) if links else {}
    by_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for flow, record_id in zip(flows, record_ids, strict=True):
        if record_id in links:
            by_customer[survivor_of(links[record_id], merged)].append(flow)
    return dict(by_customer)
