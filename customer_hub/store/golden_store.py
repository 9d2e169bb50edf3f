"""Reading and writing the golden-record tables: customer records, golden customers and their history, the
cross-reference, the review queue, steward decisions and the 360 view.

Plain dicts in and out (no pandas) so the `lookup` command stays quick to start. Whole-table replacements run in
one transaction with chunked multi-row inserts: readers see the old contents or the new, never half of each.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, update

from customer_hub.store import keyed, resolution_snapshot
from customer_hub.store.landing import about_customers
from customer_hub.store.planner_statistics import refresh_statistics
from customer_hub.store.schema import (
    customer_360,
    customer_records,
    customer_xref,
    golden_customers,
    golden_generation,
    golden_history,
    golden_touched,
    landed_records,
    lookup_keys,
    match_candidates,
    resolution_input,
    steward_decisions,
)

_CHUNK = 5_000
DECISIONS = ("merge", "keep_apart")


def _chunks(rows: Sequence[dict[str, Any]], size: int = _CHUNK) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert_all(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        conn.execute(insert(table), list(chunk))


# --- landed and customer records -------------------------------------------------------------------------------


_LANDED_COLUMNS = (
    landed_records.c.id,
    landed_records.c.tool,
    landed_records.c.object,
    landed_records.c.source_id,
    landed_records.c.fields,
    landed_records.c.source_updated_at,
    landed_records.c.deleted_at,
)
"""What the customer-records step reads of a landed record; not the raw payload."""


def landed_batches(engine: Engine, size: int = 10_000) -> Iterator[dict[str, Any]]:
    """Every landed record (live and deleted) of the streams about customers, streamed in id order `size` rows at
    a time (keyset pages), so memory holds one page however large the hub."""
    after = 0
    query = select(*_LANDED_COLUMNS).where(about_customers()).order_by(landed_records.c.id).limit(size)
    while True:
        with engine.connect() as conn:
            page = list(keyed.dicts(conn.execute(query.where(landed_records.c.id > after))))
        yield from page
        if len(page) < size:
            return
        after = page[-1]["id"]


def landed_by_id(engine: Engine, ids: Sequence[int]) -> Iterator[dict[str, Any]]:
    """The landed records with the given ids, read in chunks."""
    for chunk in keyed.chunks(sorted(ids)):
        with engine.connect() as conn:
            yield from keyed.dicts(conn.execute(select(*_LANDED_COLUMNS).where(landed_records.c.id.in_(chunk))))


def replace_customer_records(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """The customer_records table becomes exactly `rows` (keys: the table's columns), and `resolution_input` its
    live rows' matching fields, all as changed (a new revision)."""
    from customer_hub.golden.records import resolution_input_row

    with engine.begin() as conn:
        state = keyed.read_state(conn, "customer_records")
        revision = (state.revision if state else 0) + 1
        conn.execute(delete(customer_records))
        _insert_all(conn, customer_records, [{**row, "revision": revision} for row in rows])
        conn.execute(delete(resolution_input))
        live = [resolution_input_row(row, revision) for row in rows if row["deleted_at"] is None]
        _insert_all(conn, resolution_input, live)
        keyed.write_state(conn, "customer_records", keyed.StepState(revision, "replaced", {}), datetime.now(UTC))


def customer_record_hashes(engine: Engine) -> dict[str, str | None]:
    """record_id -> content hash of every stored customer record."""
    query = select(customer_records.c.record_id, customer_records.c.content_hash)
    with engine.connect() as conn:
        return {record_id: content_hash for record_id, content_hash in conn.execute(query)}


def unread_phones(engine: Engine) -> list[str]:
    """The records in `resolution_input` whose phone was never read ahead (stored by an older version)."""
    query = select(resolution_input.c.record_id).where(resolution_input.c.phone_e164.is_(None))
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def save_customer_records(
    engine: Engine,
    changed: Iterable[dict[str, Any]],
    matching_fields: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    state: keyed.StepState,
    full: bool = False,
    phones: Mapping[str, str] | None = None,
    read_again: Sequence[Mapping[str, str]] = (),
) -> None:
    """One customer-records run in one transaction: the `changed` rows (an iterable, written `_CHUNK` at a time so
    memory holds one batch) replaced by record id (every row when `full`), each live one's `matching_fields` in
    `resolution_input`, deleted ones taken out of it, `phones` (record id -> E.164) filled in where they were
    never read, the base hash, landed signature and name parts of records read again that did not change
    (`read_again`: record_id, base_hash, landed_signature, first_name_part, last_name_part), and the step's new
    state."""
    with engine.begin() as conn:
        phone_rows = [{"record_id": record, "phone_e164": phone} for record, phone in (phones or {}).items()]
        keyed.update_keys(conn, resolution_input, resolution_input.c.record_id, phone_rows)
        if phone_rows:  # rows changed without a new revision: a golden run's kept copy of them is stale
            resolution_snapshot.drop(conn)
        keyed.update_keys(conn, customer_records, customer_records.c.record_id, read_again)
        if full:
            conn.execute(delete(customer_records))
            conn.execute(delete(resolution_input))
        rows = iter(changed)
        while batch := list(itertools.islice(rows, _CHUNK)):
            keyed.replace_keys(conn, customer_records, customer_records.c.record_id, batch)
            live = [matching_fields(row) for row in batch if row["deleted_at"] is None]
            keyed.replace_keys(conn, resolution_input, resolution_input.c.record_id, live)
            gone = [row["record_id"] for row in batch if row["deleted_at"] is not None]
            keyed.delete_keys(conn, resolution_input, resolution_input.c.record_id, gone)
        keyed.write_state(conn, "customer_records", state, datetime.now(UTC))
    refresh_statistics(engine, (landed_records, customer_records, resolution_input))


def read_customer_records(
    engine: Engine, *, live_only: bool = True, record_ids: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """Customer records in record-id order: every one, or those in `record_ids` (read in chunks)."""
    query = select(customer_records).order_by(customer_records.c.record_id)
    if live_only:
        query = query.where(customer_records.c.deleted_at.is_(None))
    with engine.connect() as conn:
        return list(keyed.rows_in(conn, query, customer_records.c.record_id, record_ids))


def records_of_customers(engine: Engine, golden_customer_ids: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The live customer records linked to `golden_customer_ids` (where each came from, when it changed and its
    attributes; not the bookkeeping a customer-records run keeps), found through the cross-reference a chunk of
    customers at a time: one query per chunk, not one per chunk of their many record ids."""
    x, r = customer_xref.c, customer_records.c
    query = (
        select(r.record_id, r.source_system, r.source_object, r.source_id, r.source_updated_at, r.attributes)
        .join(customer_xref, x.record_id == customer_records.c.record_id)
        .where(customer_records.c.deleted_at.is_(None))
    )
    with engine.connect() as conn:
        for chunk in keyed.chunks(sorted(set(golden_customer_ids))):
            yield from keyed.dicts(conn.execute(query.where(x.golden_customer_id.in_(chunk))))


def read_golden(
    engine: Engine, *, kind: str | None = None, golden_ids: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Golden rows by id (active and merged), optionally of one kind (customer or person) or only `golden_ids`."""
    query = select(golden_customers)
    if kind:
        query = query.where(golden_customers.c.kind == kind)
    with engine.connect() as conn:
        return {row["golden_id"]: row for row in keyed.rows_in(conn, query, golden_customers.c.golden_id, golden_ids)}


def _write_golden(
    conn: Connection,
    inserts: Sequence[dict[str, Any]],
    updates: Sequence[dict[str, Any]],
    history: Sequence[dict[str, Any]],
) -> None:
    _insert_all(conn, golden_customers, inserts)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in updates:  # rows that set the same columns are updated together
        by_columns.setdefault(tuple(sorted(row)), []).append(row)
    for rows in by_columns.values():
        keyed.update_keys(conn, golden_customers, golden_customers.c.golden_id, rows)
    _insert_all(conn, golden_history, history)


class ConcurrentGoldenRun(RuntimeError):
    """Another golden run saved after this one read the store; this run's result is stale and was not saved."""


def read_generation(engine: Engine) -> int:
    """How many golden runs have been saved (0 before the first): a run remembers it when it reads the store."""
    with engine.connect() as conn:
        return conn.execute(select(golden_generation.c.generation)).scalar_one_or_none() or 0


def _advance_generation(conn: Connection, read: int, now: datetime) -> None:
    """Compare-and-set: move the generation from `read` to `read + 1`, or raise when another run got there first.
    The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) until commit, so of two runs that read
    the same generation exactly one saves."""
    advanced = conn.execute(
        update(golden_generation)
        .where(golden_generation.c.id == 1, golden_generation.c.generation == read)
        .values(generation=read + 1, saved_at=now)
    ).rowcount
    if advanced:
        return
    if read == 0 and conn.execute(select(golden_generation.c.id)).first() is None:
        conn.execute(insert(golden_generation).values(id=1, generation=1, saved_at=now))
        return
    raise ConcurrentGoldenRun("another golden run saved while this one was resolving")


GoldenRows = tuple[Sequence[dict[str, Any]], Sequence[dict[str, Any]], Sequence[dict[str, Any]]]
"""Golden rows to insert, golden rows to update and history rows to add."""


def save_golden_run(
    engine: Engine,
    golden: Iterable[GoldenRows],
    xref: Iterable[Sequence[dict[str, Any]]],
    candidates: Sequence[dict[str, Any]],
    *,
    generation: int | None = None,
    removed_records: Sequence[str] = (),
    touched_customers: Sequence[str] = (),
    full: bool = True,
    state: keyed.StepState | Callable[[], keyed.StepState] | None = None,
) -> None:
    """Everything one golden run produces in one transaction: `golden` (batches of inserts, updates, history), the
    cross-reference rows that changed (`xref`, batches of rows replaced by record id; `removed_records` taken out;
    with `full` the whole table is `xref`), the whole review queue, the golden customers the run touched (for the
    360 view) and the step's state (or a function giving it, called once every batch is written). Batches may be
    made while they are written (generators), so a full rebuild never holds every row; they may read the store,
    and see it as it was before this run. A reader, or the next run, never sees ids from one run beside a
    cross-reference from another.
    `generation` is what `read_generation` said when the run read the store: if another run saved since, nothing is
    written and `ConcurrentGoldenRun` is raised (None: save regardless)."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if generation is None:
            generation = conn.execute(select(golden_generation.c.generation)).scalar_one_or_none() or 0
        _advance_generation(conn, generation, now)
        for inserts, updates, history in golden:
            _write_golden(conn, inserts, updates, history)
        if full:
            conn.execute(delete(customer_xref))
        keyed.delete_keys(conn, customer_xref, customer_xref.c.record_id, removed_records)
        for batch in xref:
            keyed.replace_keys(conn, customer_xref, customer_xref.c.record_id, batch)
        _replace_candidates(conn, candidates)
        touched = [{"generation": generation + 1, "golden_customer_id": gid} for gid in touched_customers]
        _insert_all(conn, golden_touched, touched)
        if state is not None:
            keyed.write_state(conn, "golden", state() if callable(state) else state, now)
    refresh_statistics(engine, (golden_customers, golden_history, customer_xref, match_candidates, golden_touched))


def history_for(
    engine: Engine, golden_ids: Iterable[str] | None, *, events: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """History events of the given golden ids (of every id when None), oldest first; only `events` when given."""
    query = select(golden_history).order_by(golden_history.c.id)
    if events is not None:
        query = query.where(golden_history.c.event.in_(list(events)))
    with engine.connect() as conn:
        rows = list(keyed.rows_in(conn, query, golden_history.c.golden_id, golden_ids))
    return rows if golden_ids is None else sorted(rows, key=lambda row: row["id"])


def resolve_merged(engine: Engine, golden_id: str) -> str | None:
    """The active golden id an id now lives on: itself, or the end of its merged_into chain (None if unknown)."""
    seen: set[str] = set()
    current: str | None = golden_id
    with engine.connect() as conn:
        while current and current not in seen:
            seen.add(current)
            row = conn.execute(
                select(golden_customers.c.status, golden_customers.c.merged_into).where(
                    golden_customers.c.golden_id == current
                )
            ).first()
            if row is None:
                return None
            if row.status != "merged" or not row.merged_into:
                return current
            current = row.merged_into
    return None


# --- cross-reference -------------------------------------------------------------------------------------------


def read_xref(engine: Engine, *, golden_customer_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Cross-reference rows in record-id order: all, or those of the given golden customers and of every person
    among them (a person's records may sit under another customer too)."""
    c = customer_xref.c
    query = select(customer_xref).order_by(c.record_id)
    with engine.connect() as conn:
        if golden_customer_ids is None:
            return list(keyed.dicts(conn.execute(query)))
        ids = sorted(set(golden_customer_ids))
        rows = {
            row["record_id"]: row
            for chunk in keyed.chunks(ids)
            for row in keyed.dicts(conn.execute(query.where(c.golden_customer_id.in_(chunk))))
        }
        people = sorted({row["golden_person_id"] for row in rows.values() if row["golden_person_id"]})
        for chunk in keyed.chunks(people):
            for row in keyed.dicts(conn.execute(query.where(c.golden_person_id.in_(chunk)))):
                rows.setdefault(row["record_id"], row)
    return [rows[record_id] for record_id in sorted(rows)]


def golden_ids_for_record(engine: Engine, value: str) -> dict[str, str]:
    """Golden customer ids of records whose record id, tool id or golden person id is `value`, each with the
    column that matched (record_id, source_id or golden_person_id).

    Three single-column lookups rather than one OR: SQLite answers an OR with DISTINCT by scanning the table.
    """
    c = customer_xref.c
    found: dict[str, str] = {}
    with engine.connect() as conn:
        for column in (c.record_id, c.source_id, c.golden_person_id):
            for row in conn.execute(select(c.golden_customer_id).where(column == value)):
                found.setdefault(row[0], column.name)
    return found


def golden_ids_for_email(engine: Engine, emails: Iterable[str]) -> list[str]:
    """Golden customer ids of every record carrying one of `emails` (stored lowercase)."""
    values = [email for email in emails if email]
    if not values:
        return []
    query = select(customer_xref.c.golden_customer_id).where(customer_xref.c.email.in_(values)).distinct()
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(query)]


# --- review queue and steward decisions ------------------------------------------------------------------------


def read_candidates(engine: Engine, status: str | None = None) -> list[dict[str, Any]]:
    query = select(match_candidates).order_by(match_candidates.c.score.desc(), match_candidates.c.id)
    if status:
        query = query.where(match_candidates.c.status == status)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def _replace_candidates(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    first_seen = {
        (row.record_id_a, row.record_id_b): row.created_at
        for row in conn.execute(
            select(match_candidates.c.record_id_a, match_candidates.c.record_id_b, match_candidates.c.created_at)
        )
    }
    conn.execute(delete(match_candidates))
    kept = [
        {**row, "created_at": first_seen.get((row["record_id_a"], row["record_id_b"]), row["created_at"])}
        for row in rows
    ]
    _insert_all(conn, match_candidates, kept)


def _pair_clause(record_a: str, record_b: str) -> Any:
    first, second = sorted((record_a, record_b))
    return (steward_decisions.c.record_id_a == first) & (steward_decisions.c.record_id_b == second)


def add_decisions(engine: Engine, decisions: Sequence[Mapping[str, Any]]) -> None:
    """Record steward decisions (record_a, record_b, decision, decided_by, reason) in one transaction.

    One row per pair: a new decision on a pair replaces the earlier one (the golden history keeps what each did).
    Pairs are stored in sorted order so a decision on (a, b) and one on (b, a) are the same pair.
    """
    rows = []
    now = datetime.now(UTC)
    for entry in decisions:
        if entry["decision"] not in DECISIONS:
            raise ValueError(f"decision {entry['decision']!r}: use one of {list(DECISIONS)}")
        if entry["record_a"] == entry["record_b"]:
            raise ValueError(f"a decision needs two different records, got {entry['record_a']!r} twice")
        first, second = sorted((entry["record_a"], entry["record_b"]))
        rows.append(
            {
                "record_id_a": first,
                "record_id_b": second,
                "decision": entry["decision"],
                "decided_by": entry["decided_by"],
                "reason": entry.get("reason"),
                "decided_at": now,
            }
        )
    with engine.begin() as conn:
        for row in rows:
            conn.execute(delete(steward_decisions).where(_pair_clause(row["record_id_a"], row["record_id_b"])))
        latest = {(row["record_id_a"], row["record_id_b"]): row for row in rows}
        _insert_all(conn, steward_decisions, list(latest.values()))


def withdraw_decision(engine: Engine, record_a: str, record_b: str) -> bool:
    """Remove the decision on a pair, so the evidence alone decides again; False if there was none."""
    with engine.begin() as conn:
        return conn.execute(delete(steward_decisions).where(_pair_clause(record_a, record_b))).rowcount > 0


def read_decisions(engine: Engine) -> list[dict[str, Any]]:
    """The decision in force per record pair (the newest), oldest pair first."""
    query = select(steward_decisions).order_by(steward_decisions.c.decided_at, steward_decisions.c.id)
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            latest[tuple(sorted((row.record_id_a, row.record_id_b)))] = dict(row._mapping)
    return list(latest.values())


# --- 360 view --------------------------------------------------------------------------------------------------


def touched_customers(engine: Engine, *, after: int) -> list[str]:
    """Golden customers the golden runs after generation `after` touched."""
    c = golden_touched.c
    query = select(c.golden_customer_id).where(c.generation > after).distinct()
    with engine.connect() as conn:
        return sorted(row[0] for row in conn.execute(query))


def invoices_due_between(engine: Engine, start: date, end: date) -> list[tuple[str, Any, Any]]:
    """(golden_customer_id, due_date, balance) of the live QuickBooks invoices whose due date (its first ten
    characters, an ISO day) is on or after `start` and before `end`: the invoices a change of day can make overdue."""
    x, r = customer_xref.c, customer_records.c
    due = r.attributes["due_date"].as_string()
    day = func.substr(due, 1, 10)
    query = (
        select(x.golden_customer_id, due, r.attributes["balance"])
        .select_from(customer_records.join(customer_xref, x.record_id == r.record_id))
        .where(r.source_system == "quickbooks", r.source_object == "invoices", r.deleted_at.is_(None))
        .where(day >= start.isoformat(), day < end.isoformat())
    )
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def absorbed_into(engine: Engine, golden_ids: Iterable[str] | None) -> dict[str, list[str]]:
    """Ids merged into each of `golden_ids` (all survivors when None): their history belongs to the survivor."""
    c = golden_customers.c
    query = select(c.golden_id, c.merged_into).where(c.status == "merged", c.merged_into.is_not(None))
    absorbed: dict[str, list[str]] = {}
    with engine.connect() as conn:
        if golden_ids is None:
            rows = list(conn.execute(query))
        else:
            rows = [row for chunk in keyed.chunks(sorted(set(golden_ids)))
                    for row in conn.execute(query.where(c.merged_into.in_(chunk)))]  # fmt: skip
    for golden_id, survivor in sorted(rows):
        absorbed.setdefault(survivor, []).append(golden_id)
    return absorbed


def active_customer_ids(engine: Engine) -> list[str]:
    """Every active golden customer's id, in order."""
    c = golden_customers.c
    query = select(c.golden_id).where(c.kind == "customer", c.status == "active").order_by(c.golden_id)
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(query)]


def save_360(engine: Engine, rows: Sequence[dict[str, Any]], key_rows: Sequence[dict[str, Any]]) -> None:
    """A batch of 360 views and their lookup keys, replaced by golden customer id in one transaction."""
    with engine.begin() as conn:
        ids = [row["golden_customer_id"] for row in rows]
        keyed.delete_keys(conn, lookup_keys, lookup_keys.c.golden_customer_id, ids)
        keyed.replace_keys(conn, customer_360, customer_360.c.golden_customer_id, rows)
        _insert_all(conn, lookup_keys, key_rows)


def finish_360(engine: Engine, state: keyed.StepState, *, ids: Sequence[str] | None) -> None:
    """End a 360 build: drop the views (and lookup keys) of customers no longer active among `ids` (among all when
    None, after a full build), save the build's state and prune the touched-customer entries it consumed."""
    active = select(golden_customers.c.golden_id).where(
        golden_customers.c.kind == "customer", golden_customers.c.status == "active"
    )
    with engine.begin() as conn:
        if ids is not None:  # those of `ids` no longer active, found by key rather than against every active id
            still = set()
            for chunk in keyed.chunks(sorted(set(ids))):
                still.update(conn.execute(active.where(golden_customers.c.golden_id.in_(chunk))).scalars())
            gone = sorted(set(ids) - still)
        for table, column in ((customer_360, customer_360.c.golden_customer_id),
                              (lookup_keys, lookup_keys.c.golden_customer_id)):  # fmt: skip
            if ids is None:
                conn.execute(delete(table).where(column.not_in(active)))
            else:
                keyed.delete_keys(conn, table, column, gone)
        conn.execute(delete(golden_touched).where(golden_touched.c.generation <= state.revision))
        keyed.write_state(conn, "customer_360", state, datetime.now(UTC))
    refresh_statistics(engine, (customer_360, lookup_keys))


def figures_360(engine: Engine) -> dict[str, float | int]:
    """The 360 table's totals, from its figure columns: customers, total MRR, paying customers, open
    conversations, unpaid invoices and duplicate records."""
    c = customer_360.c
    query = select(
        func.count(),
        func.coalesce(func.sum(c.mrr), 0.0),
        func.count().filter(c.mrr > 0),
        func.coalesce(func.sum(c.open_conversations), 0),
        func.coalesce(func.sum(c.unpaid_invoices), 0),
        func.coalesce(func.sum(c.duplicate_records), 0),
    )
    with engine.connect() as conn:
        count, mrr, paying, conversations, unpaid, duplicates = conn.execute(query).one()
    return {"customers": int(count), "total_mrr": round(float(mrr), 2), "paying_customers": int(paying),
            "open_conversations": int(conversations), "unpaid_invoices": int(unpaid),
            "duplicate_records": int(duplicates)}  # fmt: skip


def duplicate_views(engine: Engine, *, limit: int) -> list[dict[str, Any]]:
    """The within-tool duplicates of the `limit` customers holding most extra copies: golden_customer_id, name, tool,
    object, count and records per duplicate group."""
    c = customer_360.c
    query = (
        select(c.golden_customer_id, c.name, c.view)
        .where(c.duplicate_records > 0)
        .order_by(c.duplicate_records.desc(), c.golden_customer_id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [
            {"golden_customer_id": golden_id, "name": name, **{key: group[key] for key in ("tool", "object", "count",
                                                                                          "records")}}
            for golden_id, name, view in conn.execute(query)
            for group in view.get("within_tool_duplicates") or []
        ]  # fmt: skip


def double_billing_views(engine: Engine) -> list[dict[str, Any]]:
    """(golden_customer_id, name, double_billing) of the customers the 360 view finds billed twice."""
    c = customer_360.c
    query = select(c.golden_customer_id, c.name, c.double_billing).where(c.double_billing.is_not(None))
    with engine.connect() as conn:
        return [
            {"golden_customer_id": golden_id, "name": name, "double_billing": billed or []}
            for golden_id, name, billed in conn.execute(query.order_by(c.golden_customer_id))
            if billed
        ]


def ids_by_key(engine: Engine, kind: str, low: str, high: str | None, limit: int) -> list[tuple[str, str]]:
    """(golden customer id, key) of `kind` equal to `low` (high None) or in [low, high): an index lookup."""
    c = lookup_keys.c
    match = c.key == low if high is None else (c.key >= low) & (c.key < high)
    query = select(c.golden_customer_id, c.key).where(c.kind == kind, match).order_by(c.key).limit(limit)
    with engine.connect() as conn:
        return [(row[0], row[1]) for row in conn.execute(query)]


def read_360(engine: Engine, golden_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """360 views by golden customer id, for the ids that have one."""
    ids = list(dict.fromkeys(golden_ids))
    if not ids:
        return {}
    query = select(customer_360.c.golden_customer_id, customer_360.c.view).where(
        customer_360.c.golden_customer_id.in_(ids)
    )
    with engine.connect() as conn:
        return {row.golden_customer_id: row.view for row in conn.execute(query)}


def all_360(engine: Engine) -> Iterator[dict[str, Any]]:
    """Every customer's 360 view in golden id order, read in batches: what the daily health and MRR runs score."""
    query = select(customer_360.c.view).order_by(customer_360.c.golden_customer_id)
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=_CHUNK).execute(query):
            yield row.view


def merged_ids(engine: Engine) -> dict[str, str]:
    """Golden id merged away -> the id it was merged into (one step of the chain; see `survivor_of`)."""
    query = select(golden_customers.c.golden_id, golden_customers.c.merged_into).where(
        golden_customers.c.status == "merged", golden_customers.c.merged_into.is_not(None)
    )
    with engine.connect() as conn:
        return {row.golden_id: row.merged_into for row in conn.execute(query)}


def survivor_of(golden_id: str, merged: Mapping[str, str]) -> str:
    """The id `golden_id` lives on as today, following `merged_ids` to the end of its chain (cycles stop)."""
    seen = {golden_id}
    while golden_id in merged and merged[golden_id] not in seen:
        golden_id = merged[golden_id]
        seen.add(golden_id)
    return golden_id


def ids_by_column(engine: Engine, column: str, values: Iterable[str], limit: int) -> list[str]:
    """Golden customer ids whose indexed 360 column (`email`, `domain` or `name_lc`) equals one of `values`."""
    if column not in ("email", "domain", "name_lc"):
        raise ValueError(f"{column!r} is not an indexed 360 column")
    wanted = [value for value in values if value]
    if not wanted:
        return []
    col = customer_360.c[column]
    query = select(customer_360.c.golden_customer_id).where(col.in_(wanted)).limit(limit)
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(query)]


def names_in_range(engine: Engine, low: str, high: str, limit: int) -> list[tuple[str, str]]:
    """(golden id, name_lc) with `low <= name_lc < high` in key order: an index range scan, stopped at `limit`."""
    col = customer_360.c.name_lc
    query = select(customer_360.c.golden_customer_id, col).where(col >= low, col < high).order_by(col).limit(limit)
    with engine.connect() as conn:
        return [(row[0], row[1]) for row in conn.execute(query)]


def names_containing(engine: Engine, fragment: str, limit: int) -> list[tuple[str, str]]:
    """(golden id, name_lc) whose name contains `fragment`: a scan that stops after `limit` hits."""
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    col = customer_360.c.name_lc
    query = select(customer_360.c.golden_customer_id, col).where(col.like(f"%{escaped}%", escape="\\")).limit(limit)
    with engine.connect() as conn:
        return [(row[0], row[1]) for row in conn.execute(query)]
