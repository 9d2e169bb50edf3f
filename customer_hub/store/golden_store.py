"""Reading and writing the golden-record tables: customer records, golden customers and their history, the
cross-reference, the review queue, steward decisions and the 360 view.

Plain dicts in and out (no pandas) so the `lookup` command stays quick to start. Whole-table replacements run in
one transaction with chunked multi-row inserts: readers see the old contents or the new, never half of each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, insert, select, update

from customer_hub.store.schema import (
    customer_360,
    customer_records,
    customer_xref,
    golden_customers,
    golden_generation,
    golden_history,
    landed_records,
    lookup_keys,
    match_candidates,
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


def _replace(engine: Engine, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(delete(table))
        _insert_all(conn, table, rows)


# --- landed and customer records -------------------------------------------------------------------------------


def landed_rows(engine: Engine) -> list[dict[str, Any]]:
    """Every landed record (live and deleted) with what the customer-records step needs; not the raw payload."""
    columns = [
        landed_records.c.tool,
        landed_records.c.object,
        landed_records.c.source_id,
        landed_records.c.fields,
        landed_records.c.source_updated_at,
        landed_records.c.deleted_at,
    ]
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(*columns).order_by(landed_records.c.id))]


def replace_customer_records(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """The customer_records table becomes exactly `rows` (keys: the table's columns)."""
    _replace(engine, customer_records, rows)


def read_customer_records(engine: Engine, *, live_only: bool = True) -> list[dict[str, Any]]:
    query = select(customer_records).order_by(customer_records.c.record_id)
    if live_only:
        query = query.where(customer_records.c.deleted_at.is_(None))
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


# --- golden customers and history ------------------------------------------------------------------------------


def read_golden(engine: Engine, *, kind: str | None = None) -> dict[str, dict[str, Any]]:
    """Golden rows by id (active and merged), optionally of one kind (customer or person)."""
    query = select(golden_customers)
    if kind:
        query = query.where(golden_customers.c.kind == kind)
    with engine.connect() as conn:
        return {row.golden_id: dict(row._mapping) for row in conn.execute(query)}


def _write_golden(
    conn: Connection,
    inserts: Sequence[dict[str, Any]],
    updates: Sequence[dict[str, Any]],
    history: Sequence[dict[str, Any]],
) -> None:
    _insert_all(conn, golden_customers, inserts)
    for row in updates:
        values = {key: value for key, value in row.items() if key != "golden_id"}
        conn.execute(update(golden_customers).where(golden_customers.c.golden_id == row["golden_id"]), values)
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


def save_golden_run(
    engine: Engine,
    golden: tuple[Sequence[dict[str, Any]], Sequence[dict[str, Any]], Sequence[dict[str, Any]]],
    xref: Sequence[dict[str, Any]],
    candidates: Sequence[dict[str, Any]],
    *,
    generation: int | None = None,
) -> None:
    """Everything one golden run produces in one transaction: `golden` (inserts, updates, history), the whole
    cross-reference and the whole review queue. A reader, or the next run, never sees ids from one run beside a
    cross-reference from another. `generation` is what `read_generation` said when the run read the store: if
    another run saved since, nothing is written and `ConcurrentGoldenRun` is raised (None: save regardless)."""
    with engine.begin() as conn:
        if generation is None:
            generation = conn.execute(select(golden_generation.c.generation)).scalar_one_or_none() or 0
        _advance_generation(conn, generation, datetime.now(UTC))
        _write_golden(conn, *golden)
        conn.execute(delete(customer_xref))
        _insert_all(conn, customer_xref, xref)
        _replace_candidates(conn, candidates)


def history_for(engine: Engine, golden_ids: Iterable[str]) -> list[dict[str, Any]]:
    """History events of the given golden ids, oldest first."""
    ids = list(golden_ids)
    if not ids:
        return []
    query = select(golden_history).where(golden_history.c.golden_id.in_(ids)).order_by(golden_history.c.id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


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


def read_xref(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(customer_xref).order_by(customer_xref.c.record_id))]


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


def replace_360(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    _replace(engine, customer_360, rows)


def replace_lookup_keys(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    _replace(engine, lookup_keys, rows)


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
