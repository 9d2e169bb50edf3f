"""A golden run reads its matching input from the copy the last run kept plus the rows changed since: it must get
exactly the frame that reading every row gives, on both backends, or read every row."""

from __future__ import annotations

from datetime import UTC, datetime

from pandas.testing import assert_frame_equal
from sqlalchemy import delete, insert, select, update

from customer_hub.store import frames, golden_store, keyed, resolution_snapshot
from customer_hub.store.schema import RESOLUTION_TEXT_FIELDS, customer_records, resolution_input
from customer_hub.store.schema import resolution_snapshot as snapshot_table

T = datetime(2026, 12, 1, tzinfo=UTC)


def _row(n: int, revision: int, city: str = "Leeds") -> dict:
    return {
        "record_id": f"hubspot:contacts:{n:03d}", "source_system": "hubspot", "source_object": "contacts",
        "source_id": str(n), **dict.fromkeys(RESOLUTION_TEXT_FIELDS), "first_name": f"Ann{n}", "last_name": "Lee",
        "city": city, "is_account_only": False, "phone_e164": "", "source_updated_at": T, "revision": revision,
    }  # fmt: skip


def _record(n: int, revision: int, deleted: bool = False) -> dict:
    return {
        "record_id": f"hubspot:contacts:{n:03d}", "source_system": "hubspot", "source_object": "contacts",
        "source_id": str(n), "attributes": {}, "deleted_at": T if deleted else None, "revision": revision,
    }  # fmt: skip


def _land(engine, rows: list[dict], records: list[dict]) -> None:
    """What a customer-records run writes: matching fields of live records, every record's row by key."""
    with engine.begin() as conn:
        keyed.replace_keys(conn, resolution_input, resolution_input.c.record_id, rows)
        keyed.replace_keys(conn, customer_records, customer_records.c.record_id, records)


def _kept_revision(engine) -> int | None:
    """The kept copy's revision, None where there is none (or it was dropped)."""
    s = snapshot_table.c
    with engine.connect() as conn:
        return conn.execute(select(s.revision).where(s.frame.is_not(None))).scalar()


def test_after_changes_and_deletions_the_kept_input_reads_as_every_row_does(hub_engine, monkeypatch):
    _land(hub_engine, [_row(n, 1) for n in range(6)], [_record(n, 1) for n in range(6)])
    first = resolution_snapshot.resolution_frame(hub_engine)
    assert_frame_equal(first, frames.resolution_frame(hub_engine))
    assert _kept_revision(hub_engine) == 1

    monkeypatch.setattr(resolution_snapshot, "_REWRITE_SHARE", 1.0)  # keep the first copy: read on top of it
    with hub_engine.begin() as conn:
        keyed.delete_keys(conn, resolution_input, resolution_input.c.record_id, ["hubspot:contacts:002"])
    _land(hub_engine, [_row(1, 2, city="York"), _row(9, 2)], [_record(1, 2), _record(9, 2), _record(2, 2, True)])
    after = resolution_snapshot.resolution_frame(hub_engine)

    assert_frame_equal(after, frames.resolution_frame(hub_engine))
    assert after.set_index("record_id").loc["hubspot:contacts:001", "city"] == "York"
    assert "hubspot:contacts:002" not in set(after["record_id"]) and "hubspot:contacts:009" in set(after["record_id"])
    assert _kept_revision(hub_engine) == 1


def test_deletions_alone_read_as_every_row_does_and_are_not_kept_again_and_again(hub_engine, monkeypatch):
    _land(hub_engine, [_row(n, 1) for n in range(4)], [_record(n, 1) for n in range(4)])
    resolution_snapshot.resolution_frame(hub_engine)
    with hub_engine.begin() as conn:
        keyed.delete_keys(conn, resolution_input, resolution_input.c.record_id, ["hubspot:contacts:003"])
    _land(hub_engine, [], [_record(3, 2, deleted=True)])

    assert_frame_equal(resolution_snapshot.resolution_frame(hub_engine), frames.resolution_frame(hub_engine))
    with hub_engine.connect() as conn:
        written = conn.execute(select(snapshot_table.c.written_at)).scalar()
    resolution_snapshot.resolution_frame(hub_engine)  # the same deletion comes back, but the copy no longer holds it
    with hub_engine.connect() as conn:
        assert conn.execute(select(snapshot_table.c.written_at)).scalar() == written


def test_a_row_gone_without_a_trace_makes_the_run_read_every_row_again(hub_engine):
    _land(hub_engine, [_row(n, 1) for n in range(4)], [_record(n, 1) for n in range(4)])
    resolution_snapshot.resolution_frame(hub_engine)
    with hub_engine.begin() as conn:  # removed, but no customer record says it was deleted
        conn.execute(delete(resolution_input).where(resolution_input.c.record_id == "hubspot:contacts:003"))

    frame = resolution_snapshot.resolution_frame(hub_engine)

    assert frame["record_id"].tolist() == [f"hubspot:contacts:{n:03d}" for n in range(3)]
    with hub_engine.connect() as conn:
        assert conn.execute(select(snapshot_table.c.records)).scalar() == 3


def test_phones_read_for_an_older_store_drop_the_kept_copy(hub_engine):
    rows = [{**_row(n, 1), "phone": "020 7946 0000", "phone_e164": None} for n in range(2)]
    _land(hub_engine, rows, [_record(n, 1) for n in range(2)])
    resolution_snapshot.resolution_frame(hub_engine)

    golden_store.save_customer_records(
        hub_engine, [], lambda row: row, state=keyed.StepState(1, "", {}),
        phones={"hubspot:contacts:000": "+442079460000"},
    )  # fmt: skip

    assert _kept_revision(hub_engine) is None
    frame = resolution_snapshot.resolution_frame(hub_engine).set_index("record_id")
    assert frame.loc["hubspot:contacts:000", "phone_e164"] == "+442079460000"


def test_a_run_that_read_the_rows_before_phones_were_read_does_not_keep_them(hub_engine, monkeypatch):
    """A customer-records run fills in phones (no new revision) while a golden run reads every row: what the golden
    run read is stale, and keeping it would hide the phones from every later run."""
    rows = [{**_row(n, 1), "phone": "020 7946 0000", "phone_e164": None} for n in range(2)]
    _land(hub_engine, rows, [_record(n, 1) for n in range(2)])
    read_every_row = frames.resolution_frame

    def read_then_phones_land(engine):
        frame = read_every_row(engine)
        golden_store.save_customer_records(engine, [], lambda row: row, state=keyed.StepState(1, "", {}),
                                           phones={"hubspot:contacts:000": "+442079460000"})  # fmt: skip
        return frame

    monkeypatch.setattr(frames, "resolution_frame", read_then_phones_land)
    resolution_snapshot.resolution_frame(hub_engine)
    monkeypatch.undo()

    assert _kept_revision(hub_engine) is None
    frame = resolution_snapshot.resolution_frame(hub_engine).set_index("record_id")
    assert frame.loc["hubspot:contacts:000", "phone_e164"] == "+442079460000"


def test_a_rebuild_reads_every_row_even_when_the_copy_adds_up(hub_engine):
    _land(hub_engine, [_row(n, 1) for n in range(3)], [_record(n, 1) for n in range(3)])
    resolution_snapshot.resolution_frame(hub_engine)
    with hub_engine.begin() as conn:  # changed in place, as no hub step does: only a rebuild sees it
        conn.execute(update(resolution_input).values(city="Hull"))

    assert set(resolution_snapshot.resolution_frame(hub_engine)["city"]) == {"Leeds"}
    assert set(resolution_snapshot.resolution_frame(hub_engine, rebuild=True)["city"]) == {"Hull"}


def test_a_copy_made_for_other_columns_is_not_used(hub_engine, monkeypatch):
    """A release that reads another column than the copy holds (an upgrade) reads every row again."""
    _land(hub_engine, [_row(n, 1) for n in range(2)], [_record(n, 1) for n in range(2)])
    read_every_row = frames.resolution_frame
    monkeypatch.setattr(frames, "resolution_frame", lambda engine: read_every_row(engine).drop(columns=["city"]))
    resolution_snapshot.resolution_frame(hub_engine)  # kept without `city`, as an older release would have
    monkeypatch.undo()

    assert resolution_snapshot.resolution_frame(hub_engine)["city"].tolist() == ["Leeds", "Leeds"]


def test_a_copy_an_older_release_compressed_otherwise_is_read(hub_engine, monkeypatch):
    _land(hub_engine, [_row(n, 1) for n in range(3)], [_record(n, 1) for n in range(3)])
    monkeypatch.setattr(resolution_snapshot, "_COMPRESSION", "zstd")
    resolution_snapshot.resolution_frame(hub_engine)
    monkeypatch.undo()
    with hub_engine.begin() as conn:  # changed in place, as no hub step does: a frame read whole would show it
        conn.execute(update(resolution_input).values(city="Hull"))

    assert set(resolution_snapshot.resolution_frame(hub_engine)["city"]) == {"Leeds"}  # read from the kept copy


def test_an_empty_store_reads_as_an_empty_frame(hub_engine):
    with hub_engine.begin() as conn:
        conn.execute(insert(resolution_input).values(_row(1, 1)))
        conn.execute(delete(resolution_input))
    assert resolution_snapshot.resolution_frame(hub_engine).empty
