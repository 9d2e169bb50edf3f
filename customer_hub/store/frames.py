"""Column-wise reads of whole derived tables into pandas, never one dict per row: at hundreds of thousands of rows
a dict per row costs more than the work done with it. What a golden run reads about every record is here."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine, Select, select

from customer_hub.store import keyed
from customer_hub.store.schema import customer_xref, golden_customers, resolution_input

_BATCH = 50_000


def read_frame(engine: Engine, query: Select) -> pd.DataFrame:
    """A query's result as a DataFrame built from the driver's own cursor: plain tuples, no dict per row and none of
    SQLAlchemy's per-row objects or per-value result processing (pandas probes each row it is given for named
    fields, and on a SQLAlchemy row every probe is a failed key lookup: most of a large read's time). The callers
    convert the few typed columns they need, e.g. times with `pd.to_datetime(..., utc=True)`, which reads SQLite's
    text and PostgreSQL's naive UTC alike. The query must not take bound parameters."""
    sql = str(query.compile(dialect=engine.dialect))
    parts = []
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(sql)
            columns = [column[0] for column in cursor.description]
            while rows := cursor.fetchmany(_BATCH):  # a frame per batch: the driver's tuples never all held at once
                parts.append(pd.DataFrame.from_records(rows, columns=columns, coerce_float=False))
        finally:
            cursor.close()
    if not parts:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def records_revision(engine: Engine) -> int:
    """The customer-records step's revision: it moves whenever a customer record changed."""
    state = keyed.read_state(engine, "customer_records")
    return state.revision if state else 0


def resolution_frame(engine: Engine) -> pd.DataFrame:
    """Every live record's matching fields (`resolution_input`), column-wise, in record-id order, with the
    revision that last changed each."""
    frame = read_frame(engine, select(resolution_input).order_by(resolution_input.c.record_id))
    frame["is_account_only"] = frame["is_account_only"].astype(bool)
    frame["source_updated_at"] = pd.to_datetime(frame["source_updated_at"], utc=True)
    frame["revision"] = frame["revision"].astype("int64")
    return frame


def xref_frame(engine: Engine) -> pd.DataFrame:
    """The stored cross-reference's ids and link hashes, column-wise."""
    c = customer_xref.c
    query = select(c.record_id, c.golden_customer_id, c.golden_person_id, c.link_hash).order_by(c.record_id)
    return read_frame(engine, query)


def golden_frame(engine: Engine) -> pd.DataFrame:
    """Every golden id ever issued with its kind, status, successor and birth, column-wise (no fields)."""
    c = golden_customers.c
    return read_frame(engine, select(c.golden_id, c.kind, c.status, c.merged_into, c.created_at))


def members_of(xref: pd.DataFrame, golden_ids: Iterable[str]) -> dict[str, set[str]]:
    """Record ids per golden id (customer and person) among `golden_ids`, from an `xref_frame`."""
    wanted = set(golden_ids)
    members: dict[str, set[str]] = {}
    for column in ("golden_customer_id", "golden_person_id"):
        rows = xref[xref[column].isin(wanted)]
        for golden_id, record_ids in rows.groupby(column)["record_id"]:
            members[golden_id] = set(record_ids)
    return members


# --- golden customers and history ------------------------------------------------------------------------------
