"""The matching input of a golden run: the snapshot the last run kept, brought up to date with what changed since.

Reading every live record's matching fields through the driver costs a golden run about two seconds at 300k
records however little changed: most of it is the driver's tuples and turning them into Arrow text. A run therefore
keeps the frame it read as one compressed Arrow value (`resolution_snapshot`), and the next one reads that value,
the `resolution_input` rows of a newer revision and the records deleted since. The result is trusted only when it
holds exactly as many records as `resolution_input`; otherwise every row is read again and the snapshot replaced.
Steps that change `resolution_input` without a new revision (phones read for an older store) drop the snapshot.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, Engine, delete, func, insert, select

from customer_hub.store import frames
from customer_hub.store.schema import customer_records, resolution_input, resolution_snapshot

log = logging.getLogger(__name__)

_NAME = "resolution_input"
_REWRITE_SHARE = 0.02
"""Share of the records read on top of the snapshot past which a run keeps a new one. Writing it (zstd, one value)
costs about what reading a few percent of the rows does, so after a small change the next run reads the same rows
again rather than pay for a write every run."""


def resolution_frame(engine: Engine, *, rebuild: bool = False) -> pd.DataFrame:
    """Every live record's matching fields, as `frames.resolution_frame` reads them, from the kept snapshot and the
    rows changed since; `rebuild` reads every row and keeps a new snapshot (a full golden run)."""
    kept = None if rebuild else _read(engine)
    if kept is not None:
        frame, read = _brought_up_to_date(engine, *kept)
        if frame is not None:
            if read > _REWRITE_SHARE * len(frame):
                _write(engine, frame)
            return frame
        log.info("the kept matching input does not add up with resolution_input; reading every record again")
    frame = frames.resolution_frame(engine)
    _write(engine, frame)
    return frame


def drop(conn: Connection) -> None:
    """Forget the snapshot: the caller changes `resolution_input` rows without giving them a new revision."""
    conn.execute(delete(resolution_snapshot).where(resolution_snapshot.c.name == _NAME))


def _brought_up_to_date(engine: Engine, revision: int, kept: pd.DataFrame) -> tuple[pd.DataFrame | None, int]:
    """The snapshot with the rows of a newer revision replacing or joining its own and the records deleted since
    taken out, and how many rows that read; None when the result's count is not `resolution_input`'s."""
    changed = frames.typed_resolution_rows(
        frames.read_frame(engine, select(resolution_input).where(resolution_input.c.revision > revision))
    )
    with engine.connect() as conn:
        c = customer_records.c
        deleted = conn.execute(select(c.record_id).where(c.revision > revision, c.deleted_at.is_not(None))).scalars()
        out = [*changed["record_id"].tolist(), *deleted]
        live = conn.execute(select(func.count()).select_from(resolution_input)).scalar_one()
    frame = _merged(kept, changed, out) if out else kept
    return (frame if len(frame) == live else None), len(out)


def _merged(kept: pd.DataFrame, changed: pd.DataFrame, out: list[str]) -> pd.DataFrame:
    """`kept` (in record order) without the records in `out`, with `changed` in their places, in record order:
    one `take` over both, placed by binary search, rather than filtering and sorting 300k rows again."""
    stays = np.flatnonzero(~frames.among(kept["record_id"], out))
    changed = frames.in_record_order(changed)
    ids = kept["record_id"].to_numpy(dtype=object)[stays]
    slots = np.searchsorted(ids, changed["record_id"].to_numpy(dtype=object))
    order = np.insert(stays, slots, np.arange(len(kept), len(kept) + len(changed)))
    return pd.concat([kept, changed], ignore_index=True).take(order).reset_index(drop=True)


def _read(engine: Engine) -> tuple[int, pd.DataFrame] | None:
    s = resolution_snapshot.c
    with engine.connect() as conn:
        row = conn.execute(select(s.revision, s.frame).where(s.name == _NAME)).first()
    if row is None:
        return None
    frame = pa.ipc.open_stream(bytes(row.frame)).read_all().to_pandas()
    if list(frame.columns) != [column.name for column in resolution_input.columns]:
        log.info("the kept matching input was made for other columns than this release reads; reading every record")
        return None
    return int(row.revision), frame


def _write(engine: Engine, frame: pd.DataFrame) -> None:
    """Keep `frame` as the snapshot, stamped with the newest revision it holds: every later row is read on top."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(table)
    revision = int(frame["revision"].max()) if len(frame) else 0
    with engine.begin() as conn:
        drop(conn)
        conn.execute(
            insert(resolution_snapshot).values(name=_NAME, revision=revision, records=len(frame),
                                               frame=sink.getvalue().to_pybytes(), written_at=datetime.now(UTC))
        )  # fmt: skip
