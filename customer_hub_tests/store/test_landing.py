"""Landing functions on SQLite and PostgreSQL: upserts tell new from changed from re-read, nothing is dropped."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, func, select

from customer_hub.store.landing import (
    LandedRecord,
    UpsertCounts,
    content_hash,
    field_paths,
    landed,
    live_count,
    mark_deleted,
    mark_unseen_deleted,
    read_cursor,
    record_schema,
    schema_history,
    upsert_records,
    write_cursor,
)
from customer_hub.store.schema import landed_records, sync_cursors

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(source_id: str, **payload) -> LandedRecord:
    body = {"id": source_id, **payload}
    return LandedRecord(source_id, body, {"email": payload.get("email")}, T0)


def test_upsert_inserts_updates_and_touches(hub_engine):
    with hub_engine.begin() as conn:
        first = upsert_records(conn, "hubspot", "contacts", [record("1", email="a@x.io"), record("2")], T0)
    later = T0 + timedelta(hours=1)
    with hub_engine.begin() as conn:
        second = upsert_records(
            conn, "hubspot", "contacts", [record("1", email="b@x.io"), record("2"), record("3")], later
        )

    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.inserted, second.updated, second.unchanged) == (1, 1, 1)
    rows = {row["source_id"]: row for row in landed(hub_engine, "hubspot", "contacts")}
    assert rows["1"]["payload"]["email"] == "b@x.io" and rows["1"]["fields"] == {"email": "b@x.io"}
    assert rows["1"]["first_seen_at"] == T0 and rows["1"]["last_changed_at"] == later
    assert rows["2"]["last_changed_at"] == T0 and rows["2"]["last_seen_at"] == later


def test_a_repeated_record_in_one_batch_counts_once_with_its_last_version(hub_engine):
    with hub_engine.begin() as conn:
        counts = upsert_records(conn, "stripe", "customers", [record("c", email="old"), record("c", email="new")], T0)
    assert counts.inserted == 1
    assert landed(hub_engine, "stripe", "customers")[0]["payload"]["email"] == "new"


def test_a_record_read_again_with_a_missing_number_is_unchanged(hub_engine):
    """A derived field that is NaN (a number the tool left out, read through pandas) is stored as null: the next
    read of the same record must compare equal to what was stored, not count as an update on every sync."""
    again = LandedRecord("n", {"id": "n"}, {"email": "n@x.io", "amount": float("nan")}, T0)
    counts = []
    for hours in (0, 1, 2):
        with hub_engine.begin() as conn:
            counts.append(upsert_records(conn, "stripe", "customers", [again], T0 + timedelta(hours=hours)))

    assert [(c.inserted, c.updated, c.unchanged) for c in counts] == [(1, 0, 0), (0, 0, 1), (0, 0, 1)]
    assert landed(hub_engine, "stripe", "customers")[0]["fields"]["amount"] is None


def test_content_hash_ignores_key_order():
    assert content_hash({"a": 1, "b": {"c": 2, "d": 3}}) == content_hash({"b": {"d": 3, "c": 2}, "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})


def test_unseen_records_are_marked_and_restored_on_return(hub_engine):
    with hub_engine.begin() as conn:
        upsert_records(conn, "t", "o", [record("1"), record("2"), record("3")], T0)
    sync_start = T0 + timedelta(days=1)
    with hub_engine.begin() as conn:
        upsert_records(conn, "t", "o", [record("1"), record("3")], sync_start)
        marked = mark_unseen_deleted(conn, "t", "o", seen_since=sync_start, now=sync_start)
    assert marked == 1 and live_count(hub_engine, "t", "o") == 2
    assert len(landed(hub_engine, "t", "o", include_deleted=True)) == 3

    with hub_engine.begin() as conn:
        back = upsert_records(conn, "t", "o", [record("2")], sync_start + timedelta(days=1))
    assert back.restored == 1 and back.unchanged == 1 and live_count(hub_engine, "t", "o") == 3


def test_reported_deletions_are_marked_once(hub_engine):
    with hub_engine.begin() as conn:
        upsert_records(conn, "stripe", "customers", [record("cus_1"), record("cus_2")], T0)
        assert mark_deleted(conn, "stripe", "customers", ["cus_1", "cus_1", "cus_unknown"], T0) == 1
        assert mark_deleted(conn, "stripe", "customers", ["cus_1"], T0) == 0
    assert [row["source_id"] for row in landed(hub_engine, "stripe", "customers")] == ["cus_2"]


def test_cursor_round_trip_keeps_the_last_full_sync_time(hub_engine):
    assert read_cursor(hub_engine, "hubspot", "deals") is None
    with hub_engine.begin() as conn:
        write_cursor(conn, "hubspot", "deals", "2026-03-01T12:00:00.000+00:00", full=True, now=T0)
    later = T0 + timedelta(hours=2)
    with hub_engine.begin() as conn:
        write_cursor(conn, "hubspot", "deals", "2026-03-01T14:00:00.000+00:00", full=False, now=later)

    state = read_cursor(hub_engine, "hubspot", "deals")
    assert state.cursor == "2026-03-01T14:00:00.000+00:00"
    assert state.last_full_sync_at == T0 and state.last_sync_at == later


def test_schema_snapshots_merge_incremental_reads_and_replace_on_full_reads(hub_engine):
    with hub_engine.begin() as conn:
        assert record_schema(conn, "hubspot", "contacts", {"id", "properties.email"}, T0, complete=True)
        assert not record_schema(conn, "hubspot", "contacts", {"id"}, T0, complete=False)  # a subset is no drift
        assert record_schema(conn, "hubspot", "contacts", {"id", "properties.tier"}, T0, complete=False)
        assert record_schema(conn, "hubspot", "contacts", {"id", "properties.tier"}, T0, complete=True)
    history = [snapshot["fields"] for snapshot in schema_history(hub_engine, "hubspot", "contacts")]
    assert history == [
        ["id", "properties.email"],
        ["id", "properties.email", "properties.tier"],
        ["id", "properties.tier"],
    ]


def test_field_paths_name_nested_keys_and_list_items():
    payload = {"id": 1, "properties": {"email": None}, "items": {"data": [{"price": {"id": "p"}}]}}
    assert field_paths(payload) == {
        "id",
        "properties",
        "properties.email",
        "items",
        "items.data",
        "items.data[].price",
        "items.data[].price.id",
    }


def test_bulk_upsert_of_twenty_thousand_records(hub_engine):
    batch = [record(str(i), email=f"p{i}@x.io") for i in range(20_000)]
    with hub_engine.begin() as conn:
        first = upsert_records(conn, "hubspot", "contacts", batch[:10_000], T0)
    with hub_engine.begin() as conn:
        changed = [record(str(i), email=f"changed{i}@x.io") for i in range(0, 10_000, 10)]
        second = upsert_records(conn, "hubspot", "contacts", changed + batch[10_000:], T0 + timedelta(hours=1))
    assert first.inserted == 10_000
    assert (second.inserted, second.updated) == (10_000, 1_000)
    assert live_count(hub_engine, "hubspot", "contacts") == 20_000


def _land_beside_another_sync(engine, first: list[LandedRecord], second: list[LandedRecord]):
    """Sync A lands `first` and keeps its transaction open until sync B has looked for existing rows, then
    commits while B goes on to write `second`: the interleaving in which B's insert used to hit the unique key."""
    a_wrote, b_looked = threading.Event(), threading.Event()
    results: dict[str, UpsertCounts] = {}
    errors: list[BaseException] = []

    def note_lookup(conn, cursor, statement, *args) -> None:
        if threading.current_thread().name == "sync-b" and statement.lstrip().upper().startswith("SELECT"):
            b_looked.set()

    def sync_a() -> None:
        try:
            with engine.begin() as conn:
                results["a"] = upsert_records(conn, "hubspot", "contacts", first, T0)
                a_wrote.set()
                b_looked.wait(timeout=30)
        except Exception as error:  # noqa: BLE001 - raised again in the test's thread
            errors.append(error)
        finally:
            a_wrote.set()

    def sync_b() -> None:
        try:
            with engine.begin() as conn:
                results["b"] = upsert_records(conn, "hubspot", "contacts", second, T0 + timedelta(minutes=1))
        except Exception as error:  # noqa: BLE001 - raised again in the test's thread
            errors.append(error)
        finally:
            b_looked.set()

    event.listen(engine, "after_cursor_execute", note_lookup)
    try:
        a = threading.Thread(target=sync_a, name="sync-a")
        a.start()
        a_wrote.wait(timeout=30)
        b = threading.Thread(target=sync_b, name="sync-b")
        b.start()
        a.join(timeout=60)
        b.join(timeout=60)
    finally:
        event.remove(engine, "after_cursor_execute", note_lookup)
    if errors:
        raise errors[0]
    return results["a"], results["b"]


def test_overlapping_syncs_of_one_stream_land_each_record_once(hub_engine):
    first = [record(str(i), email=f"p{i}@x.io") for i in range(300)]
    second = [record(str(i), email=f"p{i}@x.io" if i % 3 else f"moved{i}@x.io") for i in range(150, 450)]

    a, b = _land_beside_another_sync(hub_engine, first, second)

    with hub_engine.connect() as conn:
        stored = conn.execute(select(landed_records.c.source_id)).scalars().all()
    assert len(stored) == len(set(stored)) == 450
    assert (a.inserted, a.updated, a.unchanged) == (300, 0, 0)
    # B found 150 records A had landed meanwhile: those it changed count as updates, the rest as unchanged
    assert (b.inserted, b.updated, b.unchanged) == (150, 50, 100)
    rows = {row["source_id"]: row for row in landed(hub_engine, "hubspot", "contacts")}
    assert rows["150"]["payload"]["email"] == "moved150@x.io" and rows["151"]["payload"]["email"] == "p151@x.io"


def test_two_first_syncs_of_a_stream_both_store_their_cursor(hub_engine):
    start = threading.Barrier(2)
    errors: list[Exception] = []

    def first_sync(cursor: str) -> None:
        try:
            start.wait(timeout=30)
            with hub_engine.begin() as conn:
                write_cursor(conn, "hubspot", "deals", cursor, full=True, now=T0)
        except Exception as error:  # noqa: BLE001 - raised again in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=first_sync, args=(f"2026-03-01T12:00:0{n}.000+00:00",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with hub_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sync_cursors)).scalar_one() == 1
    assert read_cursor(hub_engine, "hubspot", "deals").last_full_sync_at == T0
