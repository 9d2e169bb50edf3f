"""Column-wise reads of whole derived tables into pandas, never one dict per row: at hundreds of thousands of rows
a dict per row costs more than the work done with it. What a golden run reads about every record is here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Select, select

from customer_hub.spokes.canonical import IDENTITY_FIELDS
from customer_hub.store import keyed
from customer_hub.store.landing import about_customers
from customer_hub.store.schema import (
    RESOLUTION_TEXT_FIELDS,
    customer_records,
    customer_xref,
    golden_customers,
    landed_records,
    resolution_input,
)

_BATCH = 50_000


def read_frame(engine: Engine, query: Select) -> pd.DataFrame:
    """A query's result as a DataFrame built from the driver's own cursor: plain tuples, no dict per row and none of
    SQLAlchemy's per-row objects or per-value result processing (pandas probes each row it is given for named
    fields, and on a SQLAlchemy row every probe is a failed key lookup: most of a large read's time). The callers
    convert the few typed columns they need, e.g. times with `pd.to_datetime(..., utc=True)`, which reads SQLite's
    text and PostgreSQL's naive UTC alike. Bound values are written into the SQL (`literal_binds`), so they must be
    the hub's own constants (stream names), never a user's input."""
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
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


def landed_index(engine: Engine) -> pd.DataFrame:
    """Every landed record about customers, in landed-id order, without its payload or fields: landed `id`,
    `record_id`, `tool`, `live` and `signature`, a hash of what says whether the landed row moved (payload hash,
    source update time, when its fields last changed, deletion). Reading these plain columns is a small part of
    decoding every record's fields."""
    c = landed_records.c
    moved = [c.content_hash, c.source_updated_at, c.fields_changed_at, c.deleted_at]
    frame = read_frame(engine, select(c.id, c.tool, c.object, c.source_id, *moved).where(about_customers())
                       .order_by(c.id))  # fmt: skip
    signature = pd.util.hash_pandas_object(frame[[column.name for column in moved]].astype("str"), index=False)
    return pd.DataFrame(
        {
            "id": frame["id"].astype("int64"),
            "record_id": frame["tool"] + ":" + frame["object"] + ":" + frame["source_id"].astype("str"),
            "tool": frame["tool"],
            "live": frame["deleted_at"].isna().to_numpy(),
            "signature": hex_digests(signature.to_numpy()),
        }
    )


def hex_digests(hashes: np.ndarray) -> np.ndarray:
    """64-bit hashes as 16 hex digits each, formatted in one pass over their bytes (not one format call a value)."""
    return np.frombuffer(hashes.astype(">u8").tobytes().hex().encode(), dtype="S16").astype(str)


def customer_record_keys(engine: Engine) -> pd.DataFrame:
    """Every stored customer record's hashes, landed signature and name parts, indexed by record id."""
    c = customer_records.c
    query = select(c.record_id, c.content_hash, c.base_hash, c.landed_signature, c.first_name_part, c.last_name_part)
    return read_frame(engine, query).set_index("record_id")


def live_identity(engine: Engine, record_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The identity fields of every live record (or of those in `record_ids`, read by key) as `resolution_input`
    holds them (text, or None where empty), indexed by record id."""
    columns = [resolution_input.c.record_id, *(resolution_input.c[field] for field in IDENTITY_FIELDS)]
    if record_ids is None:
        return read_frame(engine, select(*columns)).set_index("record_id")
    with engine.connect() as conn:
        rows = list(keyed.rows_in(conn, select(*columns), resolution_input.c.record_id, record_ids))
    return pd.DataFrame(rows, columns=[column.name for column in columns]).set_index("record_id")


def among(values: pd.Series | pd.Index, keys: Iterable[Any]) -> np.ndarray:
    """Whether each of `values` is one of `keys`, as a bool array. pandas' `isin` on a text column turns a large
    `keys` into an Arrow array value by value (2.5 s for 300k keys); a hash index finds them in a tenth of that."""
    index = keys if isinstance(keys, pd.Index | pd.Series) else pd.Index(list(keys), dtype=object)
    return pd.Index(index).unique().get_indexer(values) >= 0


def records_revision(engine: Engine) -> int:
    """The customer-records step's revision: it moves whenever a customer record changed."""
    state = keyed.read_state(engine, "customer_records")
    return state.revision if state else 0


def resolution_frame(engine: Engine) -> pd.DataFrame:
    """Every live record's matching fields (`resolution_input`), column-wise, in record-id order, with the
    revision that last changed each, read row by row through the driver; a golden run reads them through
    `resolution_snapshot`, which gives the same frame."""
    query = select(resolution_input).order_by(resolution_input.c.record_id)
    return in_record_order(typed_resolution_rows(read_frame(engine, query)))


def typed_resolution_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """`resolution_input` rows as read by `read_frame`, with the column types matching expects. The text fields are
    Arrow text whatever a batch held: a batch in which a field is always empty (one tool's records) would leave it
    Python objects, twice the memory at scale."""
    for field in ("record_id", "source_system", "source_object", "source_id", *RESOLUTION_TEXT_FIELDS, "phone_e164"):
        frame[field] = frame[field].astype("str")
    frame["is_account_only"] = frame["is_account_only"].astype(bool)
    frame["source_updated_at"] = pd.to_datetime(frame["source_updated_at"], utc=True)
    frame["revision"] = frame["revision"].astype("int64")
    return frame


def in_record_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by record id as Python orders text (by code point), on every backend: a database orders by its
    collation, and matching must see the records in one order however they were read."""
    if frame["record_id"].is_monotonic_increasing:  # as SQLite, and most collations on the hub's ids, give them
        return frame.reset_index(drop=True)
    return frame.sort_values("record_id", kind="stable", ignore_index=True)


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
