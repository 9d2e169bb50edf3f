"""Reading what the quality metrics measure, and writing the metric history.

The metric functions in `customer_hub.quality` are pure: they take the plain rows these functions return, so each
rule is tested on a handful of dicts and all SQL for the quality layer sits on this one page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select

from customer_hub.quality.metric import Metric
from customer_hub.store.landing import about_customers
from customer_hub.store.schema import (
    customer_360,
    customer_records,
    customer_xref,
    golden_customers,
    integration_health_log,
    landed_records,
    quality_metrics,
    schema_snapshots,
    source_merges,
)

SCHEMA_ACCEPTED = "schema_accepted"
"""Metric rows recording that a person accepted a stream's current schema as the new baseline."""


def _rows(engine: Engine, query) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


# --- the metric history ----------------------------------------------------------------------------------------


def append_metrics(engine: Engine, metrics: Sequence[Metric], measured_at: datetime) -> int:
    """Append one run's metrics to the history (never overwritten: trends are the point). Returns rows written."""
    rows = [
        {
            "measured_at": measured_at,
            "metric": metric.metric,
            "tool": metric.tool,
            "value": float(metric.value),
            "threshold": metric.threshold,
            "passed": metric.passed,
            "detail": {**metric.detail, **({"stream": metric.stream} if metric.stream else {})},
        }
        for metric in metrics
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(quality_metrics), rows)
    return len(rows)


def _as_metric_row(row: dict[str, Any]) -> dict[str, Any]:
    detail = row.get("detail") or {}
    return {**row, "stream": detail.get("stream")}


def latest_metrics(engine: Engine, now: datetime, within: timedelta = timedelta(days=7)) -> list[dict[str, Any]]:
    """The newest row of every series (metric, tool, stream) measured within `within` of `now`, sorted by name.
    Parity rows are written per stream at sync time, other metrics per quality run, so "latest" is per series
    rather than per run."""
    query = (
        select(quality_metrics)
        .where(quality_metrics.c.measured_at >= now - within, quality_metrics.c.metric != SCHEMA_ACCEPTED)
        .order_by(quality_metrics.c.id.desc())
    )
    latest: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for row in map(_as_metric_row, _rows(engine, query)):
        latest.setdefault((row["metric"], row["tool"], row["stream"]), row)
    return sorted(latest.values(), key=lambda row: (row["metric"], row["tool"], row["stream"] or ""))


def accept_schema(engine: Engine, tool: str, obj: str, accepted_by: str, now: datetime) -> int | None:
    """Make the stream's newest snapshot its baseline, so a deliberate vendor change stops counting as drift.

    Returns the accepted snapshot id, or None when the stream has no snapshot yet.
    """
    snapshots = schema_snapshots_of(engine).get((tool, obj), [])
    if not snapshots:
        return None
    newest = snapshots[-1]
    with engine.begin() as conn:
        conn.execute(
            insert(quality_metrics).values(
                measured_at=now,
                metric=SCHEMA_ACCEPTED,
                tool=tool,
                value=float(newest["id"]),
                detail={
                    "stream": f"{tool}_{obj}",
                    "object": obj,
                    "snapshot_id": newest["id"],
                    "accepted_by": accepted_by,
                },
            )
        )
    return newest["id"]


def accepted_schemas(engine: Engine) -> dict[tuple[str, str], int]:
    """(tool, object) -> the snapshot id a person last accepted as the stream's baseline."""
    query = select(quality_metrics.c.tool, quality_metrics.c.detail).where(quality_metrics.c.metric == SCHEMA_ACCEPTED)
    accepted: dict[tuple[str, str], int] = {}
    for row in _rows(engine, query.order_by(quality_metrics.c.id)):
        accepted[(row["tool"], row["detail"]["object"])] = int(row["detail"]["snapshot_id"])
    return accepted


# --- what the metrics read -------------------------------------------------------------------------------------


def xref_rows(engine: Engine) -> list[dict[str, Any]]:
    """Every record's golden customer and person."""
    c = customer_xref.c
    return _rows(
        engine, select(c.record_id, c.source_system, c.source_object, c.golden_customer_id, c.golden_person_id)
    )


def record_attributes(engine: Engine) -> dict[str, dict]:
    """record_id -> canonical attributes of every live customer record."""
    c = customer_records.c
    query = select(c.record_id, c.attributes).where(c.deleted_at.is_(None))
    return {row["record_id"]: row["attributes"] or {} for row in _rows(engine, query)}


def golden_rows(engine: Engine, kind: str | None = None) -> list[dict[str, Any]]:
    """Active golden records (not merged away), optionally of one kind (customer or person)."""
    c = golden_customers.c
    query = select(c.golden_id, c.kind, c.fields, c.updated_at).where(c.status == "active")
    if kind:
        query = query.where(c.kind == kind)
    return _rows(engine, query.order_by(c.golden_id))


def health_window(engine: Engine, since: datetime) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Health-log rows of tool runs since `since` (oldest first), and per tool the last row before it: the state
    each integration was in when the window opened."""
    t = integration_health_log.c
    in_window = _rows(engine, select(integration_health_log).where(t.started_at >= since).order_by(t.started_at, t.id))
    last_ids = (
        select(func.max(t.id)).where(t.started_at < since, t.tool.is_not(None)).group_by(t.tool).scalar_subquery()
    )
    before = _rows(engine, select(integration_health_log).where(t.id.in_(last_ids)))
    return in_window, {row["tool"]: row for row in before}


def successful_runs(engine: Engine, what: str, since: datetime) -> list[tuple[datetime, datetime]]:
    """(started, finished) of successful runs of one asset or job that started since a time, by start."""
    t = integration_health_log.c
    query = (
        select(t.started_at, t.finished_at)
        .where(t.what == what, t.status == "success", t.finished_at.is_not(None), t.started_at >= since)
        .order_by(t.started_at)
    )
    return [(row["started_at"], row["finished_at"]) for row in _rows(engine, query)]


def recent_changes(engine: Engine, since: datetime) -> list[dict[str, Any]]:
    """Live landed customer records the tool changed since `since`: when it changed them, when the hub saw them.
    Spend streams never reach a golden record, so they have no latency to golden."""
    c = landed_records.c
    query = select(c.tool, c.object, c.source_id, c.source_updated_at, c.first_seen_at, c.last_changed_at).where(
        c.source_updated_at >= since, c.deleted_at.is_(None), about_customers()
    )
    return _rows(engine, query)


def stream_first_seen(engine: Engine) -> dict[tuple[str, str], datetime]:
    """When the hub first landed anything of each stream: changes older than that are history, not latency."""
    c = landed_records.c
    query = select(c.tool, c.object, func.min(c.first_seen_at).label("first")).group_by(c.tool, c.object)
    return {(row["tool"], row["object"]): row["first"] for row in _rows(engine, query)}


def live_counts(engine: Engine) -> dict[tuple[str, str], int]:
    """(tool, object) -> records landed and not marked deleted."""
    c = landed_records.c
    query = select(c.tool, c.object, func.count().label("n")).where(c.deleted_at.is_(None)).group_by(c.tool, c.object)
    return {(row["tool"], row["object"]): row["n"] for row in _rows(engine, query)}


def deletions_since(engine: Engine, since: datetime) -> dict[tuple[str, str], tuple[int, int]]:
    """(tool, object) -> (records marked deleted since `since`, merges first seen since then)."""
    c, m = landed_records.c, source_merges.c
    deleted = select(c.tool, c.object, func.count().label("n")).where(c.deleted_at >= since).group_by(c.tool, c.object)
    merged = select(m.tool, m.object, func.count().label("n")).where(m.seen_at >= since).group_by(m.tool, m.object)
    counts = {(row["tool"], row["object"]): (row["n"], 0) for row in _rows(engine, deleted)}
    for row in _rows(engine, merged):
        key = (row["tool"], row["object"])
        counts[key] = (counts.get(key, (0, 0))[0], row["n"])
    return counts


def schema_snapshots_of(engine: Engine) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(tool, object) -> its schema snapshots, oldest first."""
    c = schema_snapshots.c
    snapshots: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in _rows(engine, select(schema_snapshots).order_by(c.captured_at, c.id)):
        snapshots.setdefault((row["tool"], row["object"]), []).append(row)
    return snapshots


def payload_samples(engine: Engine, tool: str, obj: str, limit: int = 100) -> list[dict[str, Any]]:
    """Payloads of the stream's most and least recently changed records: after a rename the first carry the new
    field and the second, not re-read since, may still carry the old one, so values can be compared."""
    c = landed_records.c
    base = select(c.payload).where(c.tool == tool, c.object == obj)
    newest = _rows(engine, base.order_by(c.last_changed_at.desc(), c.id.desc()).limit(limit))
    oldest = _rows(engine, base.order_by(c.last_changed_at, c.id).limit(limit))
    return [row["payload"] for row in newest + oldest]


def customer_views(engine: Engine) -> list[dict[str, Any]]:
    """Every customer 360 row: id, name, email and the whole view."""
    c = customer_360.c
    return _rows(engine, select(c.golden_customer_id, c.name, c.email, c.view).order_by(c.golden_customer_id))
