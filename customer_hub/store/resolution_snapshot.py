"""The matching input of a golden run: the snapshot the last run kept, brought up to date with what changed since.

Reading every live record's matching fields through the driver costs a golden run about two seconds at 300k
records however little changed: most of it is the driver's tuples and turning them into Arrow text. A run therefore
keeps the frame it read as one compressed Arrow value (`resolution_snapshot`), and the next one reads that value,
the `resolution_input` rows of a newer revision and the records deleted since. The result is trusted only when it
holds exactly as many records as `resolution_input`; otherwise every row is read again and the snapshot replaced.
Steps that change `resolution_input` without a new revision (phones read for an older store) drop the snapshot, and
a run keeps what it read only if no drop came after it began (`generation`).

The three reads (changed rows, deletions, count) are separate statements, so a customer-records run committing
between them can give one run a frame that mixes the two states. The snapshot is stamped with the newest revision
among its rows, none of which that commit wrote, so the next run reads the commit's rows again and the mix does not
outlive one run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from customer_hub.store import frames
from customer_hub.store.schema import customer_records, resolution_input, resolution_snapshot

log = logging.getLogger(__name__)

_NAME = "resolution_input"
_REWRITE_SHARE = 0.02
"""Share of the records read on top of the snapshot past which a run keeps a new one. Writing it (one value)
costs about what reading a few percent of the rows does, so after a small change the next run reads the same rows
again rather than pay for a write every run."""


_COMPRESSION = "lz4"
"""How the snapshot is compressed: LZ4 reads back four times faster than zstd (0.04 s against 0.17 s at 300k
records, read by every golden run) for twice the bytes (28 against 14 MB). A snapshot written otherwise is still
read: the stream records its codec."""


@dataclass(frozen=True)
class _Kept:
    generation: int
    """The snapshot row's generation when the run began, 0 where there is no row."""
    revision: int
    frame: pd.DataFrame | None
    """None where there is none, it was dropped, or it holds other columns than this release reads."""


def resolution_frame(engine: Engine, *, rebuild: bool = False) -> pd.DataFrame:
    """Every live record's matching fields, as `frames.resolution_frame` reads them, from the kept snapshot and the
    rows changed since; `rebuild` reads every row and keeps a new snapshot (a full golden run)."""
    kept = _read(engine)
    if kept.frame is not None and not rebuild:
        frame, read = _brought_up_to_date(engine, kept.revision, kept.frame)
        if frame is not None:
            if read > _REWRITE_SHARE * len(frame):
                _write(engine, frame, kept.generation)
            return frame
        log.info("the kept matching input does not add up with resolution_input; reading every record again")
    frame = frames.resolution_frame(engine)
    _write(engine, frame, kept.generation)
    return frame


def drop(conn: Connection) -> None:
    """Forget the snapshot: the caller changes `resolution_input` rows without giving them a new revision. Its
    generation moves on, so a golden run that read the rows before this cannot keep them afterwards."""
    s = resolution_snapshot.c
    dropped = conn.execute(
        update(resolution_snapshot).where(s.name == _NAME).values(frame=None, generation=s.generation + 1)
    )
    if not dropped.rowcount:
        conn.execute(insert(resolution_snapshot).values(name=_NAME, revision=0, records=0, frame=None, generation=1,
                                                        written_at=datetime.now(UTC)))  # fmt: skip


def _brought_up_to_date(engine: Engine, revision: int, kept: pd.DataFrame) -> tuple[pd.DataFrame | None, int]:
    """The snapshot with the rows of a newer revision replacing or joining its own and the records deleted since
    taken out, and how many of its rows that replaced or removed; None when the result's count is not
    `resolution_input`'s."""
    changed = frames.typed_resolution_rows(
        frames.read_frame(engine, select(resolution_input).where(resolution_input.c.revision > revision))
    )
    with engine.connect() as conn:
        c = customer_records.c
        query = select(c.record_id).where(c.revision > revision, c.deleted_at.is_not(None))
        deleted = list(conn.execute(query).scalars())
        live = conn.execute(select(func.count()).select_from(resolution_input)).scalar_one()
    if not len(changed) and not deleted:
        return (kept if len(kept) == live else None), 0
    replaced = frames.among(kept["record_id"], changed["record_id"])
    removed = frames.among(kept["record_id"], deleted)
    frame = _merged(kept, replaced | removed, changed.astype(kept.dtypes.to_dict()))
    # deletions an earlier run took out come back every run (the stamp never passes them) but change nothing
    return (frame if len(frame) == live else None), len(changed) + int(removed.sum())


def _merged(kept: pd.DataFrame, gone: np.ndarray, changed: pd.DataFrame) -> pd.DataFrame:
    """`kept` (in record order) without its `gone` rows, with `changed` in their places, in record order: one
    `take` over both, placed by binary search, rather than filtering and sorting 300k rows again."""
    stays = np.flatnonzero(~gone)
    changed = frames.in_record_order(changed)
    ids = kept["record_id"].to_numpy(dtype=object)[stays]
    slots = np.searchsorted(ids, changed["record_id"].to_numpy(dtype=object))
    order = np.insert(stays, slots, np.arange(len(kept), len(kept) + len(changed)))
    return pd.concat([kept, changed], ignore_index=True).take(order).reset_index(drop=True)


def _read(engine: Engine) -> _Kept:
    s = resolution_snapshot.c
    with engine.connect() as conn:
        row = conn.execute(select(s.generation, s.revision, s.frame).where(s.name == _NAME)).first()
    if row is None:
        return _Kept(0, 0, None)
    if row.frame is None:
        return _Kept(row.generation, int(row.revision), None)
    frame = pa.ipc.open_stream(bytes(row.frame)).read_all().to_pandas()
    if list(frame.columns) != [column.name for column in resolution_input.columns]:
        log.info("the kept matching input was made for other columns than this release reads; reading every record")
        return _Kept(row.generation, int(row.revision), None)
    return _Kept(row.generation, int(row.revision), frame)


def _write(engine: Engine, frame: pd.DataFrame, generation: int) -> None:
    """Keep `frame` as the snapshot, stamped with the newest revision it holds (every later row is read on top),
    unless the snapshot's generation moved on since the run read `generation`: a drop came after the run began
    reading, so the rows it read may be stale."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression=_COMPRESSION)) as writer:
        writer.write_table(table)
    values = {
        "revision": int(frame["revision"].max()) if len(frame) else 0,
        "records": len(frame),
        "frame": sink.getvalue().to_pybytes(),
        "generation": generation + 1,
        "written_at": datetime.now(UTC),
    }
    s = resolution_snapshot.c
    try:
        with engine.begin() as conn:
            if generation:
                kept = conn.execute(
                    update(resolution_snapshot).where(s.name == _NAME, s.generation == generation).values(**values)
                ).rowcount
            else:
                kept = conn.execute(insert(resolution_snapshot).values(name=_NAME, **values)).rowcount
    except IntegrityError:  # another run inserted the first snapshot meanwhile
        kept = 0
    if not kept:
        log.info("resolution_input changed in place while this run read it; the next run reads it again")
