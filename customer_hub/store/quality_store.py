"""Reading what the quality metrics measure, and writing the metric history.

The metric functions in `customer_hub.quality` are pure: they take the counts and the few rows these functions
return, so each rule is tested on a handful of dicts and all SQL for the quality layer sits on this one page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    true,
    union_all,
)

from customer_hub.quality.completeness import FieldCounts
from customer_hub.quality.latency import Change
from customer_hub.quality.metric import Metric
from customer_hub.store.landing import about_customers
from customer_hub.store.schema import (
    RESOLUTION_TEXT_FIELDS,
    customer_360,
    customer_records,
    customer_xref,
    golden_customers,
    integration_health_log,
    landed_records,
    match_candidates,
    quality_metrics,
    resolution_input,
    schema_snapshots,
    source_merges,
)

SCHEMA_ACCEPTED = "schema_accepted"
"""Metric rows recording that a person accepted a stream's current schema as the new baseline."""


def _rows(engine: Engine, query) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def stored_tables_state(engine: Engine) -> list[str]:
    """A few aggregates per table the stored-data metrics read (rows, newest change): they move whenever any of
    those tables is written, by a pipeline step or otherwise, and cost a fraction of counting the metrics."""
    c, x, g, m, v = customer_records.c, customer_xref.c, golden_customers.c, match_candidates.c, customer_360.c
    live = select(func.count()).select_from(resolution_input).scalar_subquery()
    aggregates = [  # counts and maxima an index answers: a record's deletion shows as a row leaving the live input
        select(func.count(), func.max(c.revision), live),
        select(func.count(), func.max(x.updated_at)),
        select(func.count(), func.max(g.updated_at)),
        select(func.count(), func.max(m.id), func.max(m.created_at)),
        select(func.count(), func.max(v.updated_at)),
    ]
    with engine.connect() as conn:
        return ["|".join(str(value) for value in conn.execute(query).one()) for query in aggregates]


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
#
# The hub's big tables (records, cross-references, golden records, 360 views) are only ever aggregated in the
# database; what comes back as rows is a figure per tool, the first offenders of each figure and the window's
# changes, so a metrics run's memory follows what it reports rather than the size of the hub.

_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Every character Python's `str.strip()` removes: an SQL trim of these agrees with the pure rules' `strip()`."""


def _byte_order(column: ColumnElement[Any], engine: Engine) -> ColumnElement[Any]:
    """Sort text as Python does (by code point): SQLite's default; on PostgreSQL the database's locale may order
    `GC-1` and `GC1` differently, so its C collation is asked for explicitly."""
    return column.collate("C") if engine.dialect.name == "postgresql" else column


def _filled(value: ColumnElement[Any], engine: Engine) -> ColumnElement[bool]:
    """SQL for the pure rules' `value is not None and str(value).strip() != ""`, on a JSON field read as text."""
    trim = func.btrim if engine.dialect.name == "postgresql" else func.trim
    return and_(value.is_not(None), trim(value, _WHITESPACE) != "")


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _stream_in(tool: ColumnElement[Any], obj: ColumnElement[Any], streams: Iterable[tuple[str, str]]):
    """(tool, object) is one of `streams`; false when there are none."""
    return or_(false(), *(and_(tool == name, obj == kind) for name, kind in sorted(streams)))


def _filled_flags(engine: Engine, json_column: ColumnElement[Any], fields: Sequence[str]) -> list[Any]:
    """One labelled true/false column per field: does the row's JSON hold a value for it."""
    return [_filled(json_column[name].as_string(), engine).label(f"filled_{n}") for n, name in enumerate(fields)]


def _add_pattern(counts: FieldCounts | None, fields: Sequence[str], filled: Sequence[Any], rows: int) -> FieldCounts:
    """The counts so far plus `rows` records that fill exactly the fields flagged in `filled`.

    The database groups records by which fields they fill (at most 2^fields patterns per tool) rather than counting
    each figure in its own aggregate: every JSON field is then read once per record, which on PostgreSQL's `json`
    (parsed anew on every access) halves the work."""
    total, complete, missing = counts or (0, 0, dict.fromkeys(fields, 0))
    missing = {field: missing[field] + (0 if present else rows) for field, present in zip(fields, filled, strict=True)}
    return FieldCounts(total + rows, complete + (rows if all(filled) else 0), missing)


def golden_completeness_counts(
    engine: Engine, fields: Sequence[str], limit: int
) -> tuple[FieldCounts, list[dict[str, Any]]]:
    """Active golden customers: how many, how many complete on `fields` and how many miss each; and the first
    `limit` incomplete ones (golden_id, fields), by golden id."""
    c = golden_customers.c
    active = and_(c.status == "active", c.kind == "customer")
    flags = select(*_filled_flags(engine, c.fields, fields)).where(active).subquery("flags")
    incomplete = not_(and_(true(), *(_filled(c.fields[field].as_string(), engine) for field in fields)))
    first = select(c.golden_id, c.fields).where(active, incomplete).order_by(_byte_order(c.golden_id, engine))
    counts = FieldCounts(0, 0, dict.fromkeys(fields, 0))
    with engine.connect() as conn:
        for *filled, rows in conn.execute(select(*flags.c, func.count()).group_by(*flags.c)):
            counts = _add_pattern(counts, fields, filled, rows)
        offenders = [
            {"golden_id": golden_id, "fields": values} for golden_id, values in conn.execute(first.limit(limit))
        ]
    return counts, offenders


def record_completeness_counts(
    engine: Engine, streams: Iterable[tuple[str, str]], fields: Sequence[str]
) -> dict[str, FieldCounts]:
    """tool -> live customer records of its `streams`: how many, how many complete on `fields`, missing per field.

    Fields matching reads are counted from `resolution_input`, which holds those fields of every live record as
    plain columns: reading them there, not from each record's JSON, made the count several times cheaper."""
    if set(fields) <= set(RESOLUTION_TEXT_FIELDS):
        columns = resolution_input.c
        filled = [_filled(columns[name], engine).label(f"filled_{n}") for n, name in enumerate(fields)]
        live = true()  # a deleted record leaves resolution_input
    else:
        columns = customer_records.c
        filled = _filled_flags(engine, columns.attributes, fields)
        live = columns.deleted_at.is_(None)
    in_streams = _stream_in(columns.source_system, columns.source_object, streams)
    flags = select(columns.source_system, *filled).where(live, in_streams).subquery("flags")
    per_tool: dict[str, FieldCounts] = {}
    with engine.connect() as conn:
        for tool, *filled, rows in conn.execute(select(*flags.c, func.count()).group_by(*flags.c)):
            per_tool[tool] = _add_pattern(per_tool.get(tool), fields, filled, rows)
    return per_tool


def _live_xref() -> Any:
    """The cross-reference rows of live records: those `resolution_input` holds (a deleted record leaves it)."""
    return customer_xref.join(resolution_input, resolution_input.c.record_id == customer_xref.c.record_id)


def duplicate_groups_tally(
    engine: Engine,
    account_objects: Iterable[tuple[str, str]],
    person_objects: Iterable[tuple[str, str]],
    limit: int | None,
) -> tuple[dict[str, tuple[int, int]], list[dict[str, Any]], dict[str, dict]]:
    """Within-tool duplicate groups of live records: several records of one account object under one golden
    customer, or of one person object under one golden person.

    Returns per tool (groups, records beyond the first of each group), and the cross-reference rows and attributes
    of the members of each tool's first `limit` groups (largest first, then by golden id; every group when None):
    what `customer_hub.quality.duplicates.within_tool_duplicates` turns into the groups themselves.
    """
    x, r = customer_xref.c, customer_records.c
    live = customer_xref.join(customer_records, r.record_id == x.record_id)
    account_objects, person_objects = set(account_objects), set(person_objects)
    # read once, grouped twice: finding whether a record is live is the costly part, so it is asked of
    # resolution_input's key (the live records' ids) rather than of each customer record's row
    entities = (
        select(x.source_system, x.source_object, x.golden_customer_id, x.golden_person_id)
        .select_from(_live_xref())
        .where(_stream_in(x.source_system, x.source_object, account_objects | person_objects))
        .cte("entities")
    )
    levels = (
        ("customer", "golden_customer_id", account_objects),
        ("person", "golden_person_id", person_objects),
    )
    e = entities.c
    sized = [
        select(
            literal(level, String).label("level"),
            e[key].label("golden_key"),
            e.source_system.label("tool"),
            e.source_object.label("object"),
            func.count().label("size"),
        )
        .where(e[key].is_not(None), _stream_in(e.source_system, e.source_object, objects))
        .group_by(e[key], e.source_system, e.source_object)
        .having(func.count() > 1)
        for level, key, objects in levels
    ]
    groups = union_all(*sized).subquery("groups")
    g = groups.c
    order = (g.size.desc(), _byte_order(g.golden_key, engine), _byte_order(g.object, engine), g.level)
    ranked = select(
        groups,
        func.row_number().over(partition_by=g.tool, order_by=order).label("rank"),
        func.count().over(partition_by=g.tool).label("tool_groups"),
        cast(func.sum(g.size - 1).over(partition_by=g.tool), Integer).label("tool_extra"),
    ).cte("ranked")
    first = select(ranked).where(ranked.c.rank <= limit) if limit is not None else select(ranked)
    chosen = first.subquery("chosen")
    members = [
        select(
            chosen.c.tool,
            chosen.c.tool_groups,
            chosen.c.tool_extra,
            x.record_id,
            x.source_object,
            x.golden_customer_id,
            x.golden_person_id,
            r.attributes,
        )
        .select_from(
            live.join(
                chosen,
                and_(
                    chosen.c.level == level,
                    chosen.c.golden_key == x[key],
                    chosen.c.tool == x.source_system,
                    chosen.c.object == x.source_object,
                ),
            )
        )
        .where(r.deleted_at.is_(None))
        for level, key, _ in levels
    ]
    counts: dict[str, tuple[int, int]] = {}
    xref: list[dict[str, Any]] = []
    attributes: dict[str, dict] = {}
    with engine.connect() as conn:
        for tool, groups_of_tool, extra, record_id, obj, customer, person, values in conn.execute(union_all(*members)):
            counts[tool] = (groups_of_tool, extra)
            xref.append(
                {
                    "record_id": record_id,
                    "source_system": tool,
                    "source_object": obj,
                    "golden_customer_id": customer,
                    "golden_person_id": person,
                }
            )
            attributes[record_id] = values or {}
    return counts, xref, attributes


def _touches(record_id: ColumnElement[str], tool: str) -> ColumnElement[bool]:
    """The record id names `tool` (`hubspot:contacts:101` names hubspot)."""
    prefix = f"{tool}:"
    return func.substr(record_id, 1, len(prefix)) == prefix


def open_candidates_tally(
    engine: Engine, tools: Sequence[str], limit: int
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Open review-queue pairs: how many in all (`all`) and touching each tool, and the first `limit` pairs of each
    (best score first)."""
    c = match_candidates.c
    is_open = c.status == "open"
    touching = {tool: or_(_touches(c.record_id_a, tool), _touches(c.record_id_b, tool)) for tool in tools}
    columns = (c.id, c.record_id_a, c.record_id_b, c.score, c.record_a, c.record_b, c.created_at)
    first: dict[int, Any] = {}
    with engine.connect() as conn:
        total, *per_tool = conn.execute(
            select(func.count(), *(_count_if(where) for where in touching.values())).where(is_open)
        ).one()
        for where in [true(), *touching.values()]:
            query = select(*columns).where(is_open, where).order_by(c.score.desc(), c.id).limit(limit)
            first.update((row.id, row) for row in conn.execute(query))
    pairs = sorted(first.values(), key=lambda row: (-row.score, row.id))
    names = ("record_id_a", "record_id_b", "score", "record_a", "record_b", "created_at")
    return (
        {"all": total, **dict(zip(tools, per_tool, strict=True))},
        [dict(zip(names, row[1:], strict=True)) for row in pairs],
    )


def unmatched_invoices_tally(
    engine: Engine, tools: Sequence[str], limit: int
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Live invoices of `tools` whose golden customer holds no `customers` record of any tool: how many per tool,
    and each tool's first `limit` (record_id, source_system, golden_customer_id, attributes) by record id."""
    x, r = customer_xref.c, customer_records.c
    other = customer_xref.alias("other")
    known = exists().where(other.c.golden_customer_id == x.golden_customer_id, other.c.source_object == "customers")
    by_id = _byte_order(x.record_id, engine)
    found = (
        select(
            x.record_id,
            x.source_system,
            x.golden_customer_id,
            func.row_number().over(partition_by=x.source_system, order_by=by_id).label("rank"),
            func.count().over(partition_by=x.source_system).label("of_tool"),
        )
        .select_from(_live_xref())
        .where(x.source_system.in_(tools), x.source_object == "invoices", ~known)
        .subquery("found")
    )
    query = (
        select(found.c.record_id, found.c.source_system, found.c.golden_customer_id, found.c.of_tool, r.attributes)
        .select_from(found.join(customer_records, r.record_id == found.c.record_id))
        .where(found.c.rank <= limit)
    )
    counts: dict[str, int] = {}
    first = []
    with engine.connect() as conn:
        for record_id, tool, golden_id, of_tool, values in conn.execute(query):
            counts[tool] = of_tool
            first.append(
                {"record_id": record_id, "source_system": tool, "golden_customer_id": golden_id, "attributes": values}
            )
    return counts, sorted(first, key=lambda row: row["record_id"])


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


def recent_changes(engine: Engine, since: datetime) -> list[Change]:
    """Live landed records the tool changed since `since`, leaving out the initial load (changes older than the
    stream's first landing are history, not latency), each with the update time of the active golden record it
    feeds (its person, else its customer; None if it feeds none). In landing order.

    The window's rows are found through the update-time index and held against each stream's first landing in
    Python: joined in SQL, the planner walks every landed row of each stream instead."""
    c, x, g = landed_records.c, customer_xref.c, golden_customers.c
    record_id = c.tool + ":" + c.object + ":" + c.source_id
    golden_id = func.coalesce(func.nullif(x.golden_person_id, ""), x.golden_customer_id)
    query = (
        select(c.tool, c.object, c.source_id, c.source_updated_at, c.last_changed_at, g.updated_at)
        .select_from(
            landed_records.outerjoin(customer_xref, x.record_id == record_id).outerjoin(
                golden_customers, and_(g.golden_id == golden_id, g.status == "active")
            )
        )
        .where(c.source_updated_at >= since, c.deleted_at.is_(None))
        .where(about_customers())  # spend streams never reach a golden record: no latency to golden
        .order_by(c.id)
    )
    first_landed = first_landings(engine)
    with engine.connect() as conn:
        return [
            Change._make(row)
            for row in conn.execute(query)
            if row.source_updated_at >= first_landed[(row.tool, row.object)]
        ]


def first_landings(engine: Engine) -> dict[tuple[str, str], datetime]:
    """(tool, object) -> when the hub first landed a record of it: the landing time of its first row (ids grow in
    landing order), found in the unique index rather than by reading every row's time."""
    c = landed_records.c
    first_ids = select(func.min(c.id)).group_by(c.tool, c.object).scalar_subquery()
    query = select(c.tool, c.object, c.first_seen_at).where(c.id.in_(first_ids))
    with engine.connect() as conn:
        return {(tool, obj): first_seen for tool, obj, first_seen in conn.execute(query)}


def live_counts(engine: Engine) -> dict[tuple[str, str], int]:
    """(tool, object) -> records landed and not marked deleted."""
    c = landed_records.c
    query = select(c.tool, c.object, func.count().label("n")).where(c.deleted_at.is_(None)).group_by(c.tool, c.object)
    return {(row["tool"], row["object"]): row["n"] for row in _rows(engine, query)}


def deletions_since(engine: Engine, since: datetime) -> dict[tuple[str, str], tuple[int, int]]:
    """(tool, object) -> (records marked deleted since `since`, merges first seen since then). The deletions are
    read row by row through the index of deleted rows (a window holds few) and counted here: grouped in SQL, the
    planner scans every landed row in (tool, object) order instead."""
    c, m = landed_records.c, source_merges.c
    merged = select(m.tool, m.object, func.count().label("n")).where(m.seen_at >= since).group_by(m.tool, m.object)
    with engine.connect() as conn:
        rows = conn.execute(select(c.tool, c.object).where(c.deleted_at >= since))
        deleted = Counter((tool, obj) for tool, obj in rows)
    counts = {key: (n, 0) for key, n in deleted.items()}
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


def double_billed_views(engine: Engine) -> list[dict[str, Any]]:
    """Customer 360 rows whose view reports double billing: id, name, email and the view's `double_billing` list
    (only those rows are read; the views of everyone else stay in the database)."""
    c = customer_360.c
    query = (
        select(c.golden_customer_id, c.name, c.email, c.double_billing)
        .where(c.double_billing.is_not(None))  # the view's double billings as a column: null for everyone else
        .order_by(c.golden_customer_id)
    )
    names = ("golden_customer_id", "name", "email", "double_billing")
    with engine.connect() as conn:
        return [dict(zip(names, row, strict=True)) for row in conn.execute(query)]


def paying_customers(engine: Engine) -> int:
    """Customers with at least one billing subscription (or a double billing) in their 360 view: what double
    billings are a share of."""
    c = customer_360.c
    active = c.view["active_subscriptions"].as_integer()
    query = select(func.count()).where(or_(func.coalesce(active, 0) > 0, c.double_billing.is_not(None)))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def entity_records(engine: Engine, duplicate_objects: Mapping[str, Sequence[str]]) -> int:
    """Live records of the objects that stand for one customer or person (`duplicate_objects`): what duplicates
    are a share of."""
    c = customer_records.c
    streams = [and_(c.source_system == tool, c.source_object.in_(list(objects)))
               for tool, objects in duplicate_objects.items() if objects]  # fmt: skip
    if not streams:
        return 0
    query = select(func.count()).where(c.deleted_at.is_(None), or_(*streams))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())
