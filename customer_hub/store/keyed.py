"""Incremental writes of the derived tables: where each step got to, and rows replaced by key, so a run after a
small change writes only what changed.

Rows are written by key, `delete ... WHERE key IN (chunk)` then one multi-row insert: the same statement pair on
SQLite and PostgreSQL. No pandas here, so the `lookup` command stays quick to start; column-wise reads are in
`frames`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Engine, MetaData, Select, Table, delete, func, insert, select, update

from customer_hub.store.landing import about_customers
from customer_hub.store.schema import derived_state, landed_records

_CHUNK = 900
"""Keys per IN list: under SQLite's 999 bound parameters on old builds."""
_INSERT_CHUNK = 5_000


@dataclass(frozen=True)
class StepState:
    """Where a derived step got to: its revision (customer_records: its own counter; the others: the
    customer-records revision they last consumed), the fingerprint of its other inputs and what it reported."""

    revision: int
    fingerprint: str
    detail: Mapping[str, Any]


def read_state(engine: Engine | Connection, step: str) -> StepState | None:
    query = select(derived_state.c.revision, derived_state.c.fingerprint, derived_state.c.detail).where(
        derived_state.c.step == step
    )
    if isinstance(engine, Connection):
        row = engine.execute(query).first()
    else:
        with engine.connect() as conn:
            row = conn.execute(query).first()
    return None if row is None else StepState(row.revision, row.fingerprint, row.detail or {})


def write_state(conn: Connection, step: str, state: StepState, now: datetime) -> None:
    values = {"revision": state.revision, "fingerprint": state.fingerprint, "detail": dict(state.detail),
              "updated_at": now}  # fmt: skip
    if conn.execute(update(derived_state).where(derived_state.c.step == step).values(**values)).rowcount == 0:
        conn.execute(insert(derived_state).values(step=step, **values))


def dicts(result: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """A query result's rows as dicts, zipping each row with the column names once read: about twice as fast as
    `dict(row._mapping)`, which looks the names up again for every row."""
    names = list(result.keys())  # type: ignore[attr-defined]
    for row in result:
        yield dict(zip(names, row, strict=True))


def rows_in(conn: Connection, query: Select, key: Column, keys: Iterable[Any] | None) -> Iterator[dict[str, Any]]:
    """The rows of `query` whose `key` is one of `keys` (every row when None), as dicts, asked a chunk of keys at a
    time; a chunk's rows come in the query's order, chunks in key order."""
    if keys is None:
        yield from dicts(conn.execute(query))
        return
    for chunk in chunks(sorted(set(keys))):
        yield from dicts(conn.execute(query.where(key.in_(chunk))))


def chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def delete_keys(conn: Connection, table: Table, key: Column, keys: Iterable[Any]) -> int:
    """Delete the rows whose `key` is one of `keys`; returns how many went."""
    removed = 0
    for chunk in chunks(list(keys)):
        removed += conn.execute(delete(table).where(key.in_(chunk))).rowcount
    return removed


def replace_keys(conn: Connection, table: Table, key: Column, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows become exactly `rows` for their keys (an upsert by key); other rows are untouched."""
    delete_keys(conn, table, key, [row[key.name] for row in rows])
    for start in range(0, len(rows), _INSERT_CHUNK):
        conn.execute(insert(table), [dict(row) for row in rows[start : start + _INSERT_CHUNK]])


def update_keys(conn: Connection, table: Table, key: Column, rows: Sequence[Mapping[str, Any]]) -> None:
    """Set some columns of many rows, each found by its `key` (`rows`: the key's and those columns' values, the same
    columns in every row). The rows go into a temporary table in multi-row inserts and one joined UPDATE applies
    them: one UPDATE a row through the driver took PostgreSQL over half a minute for 300k rows."""
    if not rows:
        return
    names = list(rows[0])
    staged = Table(
        f"staged_{table.name}",
        MetaData(),
        *(Column(name, table.c[name].type) for name in names),
        prefixes=["TEMPORARY"],
    )
    staged.create(conn)
    try:
        for start in range(0, len(rows), _INSERT_CHUNK):
            conn.execute(insert(staged), [dict(row) for row in rows[start : start + _INSERT_CHUNK]])
        values = {name: staged.c[name] for name in names if name != key.name}
        conn.execute(update(table).where(key == staged.c[key.name]).values(**values))
    finally:
        staged.drop(conn)


def landed_fingerprint(engine: Engine) -> str:
    """Changes whenever landing changes what a customer record is made of: a new row, changed fields (a changed
    payload, or one read through a changed mapping), a deletion or a restore. A re-read of an unchanged record
    (only `last_seen_at` moves, on every incremental sync's overlap) leaves it as it was."""
    c = landed_records.c
    query = select(
        func.count(), func.max(c.id), func.max(c.fields_changed_at), func.count(c.deleted_at), func.max(c.deleted_at)
    ).where(about_customers())
    with engine.connect() as conn:
        return "|".join(str(value) for value in conn.execute(query).one())
