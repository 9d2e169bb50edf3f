"""The golden-record tables on SQLite and PostgreSQL: whole-table replacement, decisions, merged-id chains and
the indexed searches lookup relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from customer_hub.store import golden_store

T = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def _golden(golden_id: str, status: str = "active", merged_into: str | None = None) -> dict:
    return {
        "golden_id": golden_id,
        "kind": "customer",
        "status": status,
        "merged_into": merged_into,
        "fields": {"company_name": golden_id},
        "field_sources": {"company_name": "hubspot:companies:1"},
        "created_at": T,
        "updated_at": T,
    }


def _view_row(golden_id: str, name_lc: str) -> dict:
    return {
        "golden_customer_id": golden_id,
        "name": name_lc.title(),
        "name_lc": name_lc,
        "domain": None,
        "email": None,
        "view": {"golden_customer_id": golden_id},
        "updated_at": T,
    }


def test_customer_records_replace_round_trips_json_and_utc(hub_engine):
    row = {
        "record_id": "stripe:customers:cus_1",
        "source_system": "stripe",
        "source_object": "customers",
        "source_id": "cus_1",
        "attributes": {"email": "a@x.com", "mrr": 49.5, "tags": ["a", "b"]},
        "source_updated_at": T,
        "deleted_at": None,
    }
    golden_store.replace_customer_records(hub_engine, [row])
    golden_store.replace_customer_records(hub_engine, [row, {**row, "record_id": "x:y:2", "deleted_at": T}])
    assert [{key: read[key] for key in row} for read in golden_store.read_customer_records(hub_engine)] == [row]
    assert len(golden_store.read_customer_records(hub_engine, live_only=False)) == 2


def test_many_rows_are_updated_by_key_through_a_staging_table_and_others_are_left_alone(hub_engine):
    from sqlalchemy import select

    from customer_hub.store import keyed
    from customer_hub.store.schema import customer_records

    rows = [
        {"record_id": f"x:y:{n}", "source_system": "x", "source_object": "y", "source_id": str(n),
         "attributes": {}, "source_updated_at": T, "deleted_at": None}
        for n in range(7)
    ]  # fmt: skip
    golden_store.replace_customer_records(hub_engine, rows)
    changes = [{"record_id": f"x:y:{n}", "base_hash": f"b{n}", "first_name_part": "ann"} for n in range(5)]
    with hub_engine.begin() as conn:
        keyed.update_keys(conn, customer_records, customer_records.c.record_id, changes)
        keyed.update_keys(conn, customer_records, customer_records.c.record_id, [])  # twice in one transaction
        keyed.update_keys(conn, customer_records, customer_records.c.record_id, changes[:1])
    c = customer_records.c
    with hub_engine.connect() as conn:
        stored = conn.execute(select(c.record_id, c.base_hash, c.first_name_part).order_by(c.record_id)).all()
    assert [tuple(row) for row in stored] == [(f"x:y:{n}", f"b{n}", "ann") for n in range(5)] + [
        ("x:y:5", None, None), ("x:y:6", None, None)]  # fmt: skip


def test_merged_ids_lead_to_the_surviving_customer(hub_engine):
    golden_store.save_golden_run(
        hub_engine,
        [
            (
                [_golden("G1", "merged", "G2"), _golden("G2", "merged", "G3"), _golden("G3"), _golden("G4", "retired")],
                [],
                [{"golden_id": "G1", "event": "merged", "detail": {"into": "G2"}, "recorded_at": T}],
            )
        ],
        [],
        [],
    )
    assert golden_store.resolve_merged(hub_engine, "G1") == "G3"
    assert golden_store.resolve_merged(hub_engine, "G3") == "G3"
    assert golden_store.resolve_merged(hub_engine, "G4") == "G4"
    assert golden_store.resolve_merged(hub_engine, "nope") is None
    golden_store.save_golden_run(
        hub_engine, [([], [{"golden_id": "G1", "status": "active", "merged_into": None}], [])], [], []
    )
    assert golden_store.read_golden(hub_engine)["G1"]["status"] == "active"
    assert [event["event"] for event in golden_store.history_for(hub_engine, ["G1", "G2"])] == ["merged"]


def test_newest_decision_per_pair_is_in_force(hub_engine):
    golden_store.add_decisions(
        hub_engine, [{"record_a": "b:c:1", "record_b": "a:c:2", "decision": "merge", "decided_by": "ann"}]
    )
    golden_store.add_decisions(
        hub_engine,
        [
            {"record_a": "a:c:2", "record_b": "b:c:1", "decision": "keep_apart", "decided_by": "bob", "reason": "no"},
            {"record_a": "a:c:3", "record_b": "a:c:4", "decision": "merge", "decided_by": "bob"},
        ],
    )
    decisions = {(d["record_id_a"], d["record_id_b"]): d["decision"] for d in golden_store.read_decisions(hub_engine)}
    assert decisions == {("a:c:2", "b:c:1"): "keep_apart", ("a:c:3", "a:c:4"): "merge"}
    with pytest.raises(ValueError, match="use one of"):
        golden_store.add_decisions(
            hub_engine, [{"record_a": "a:c:1", "record_b": "a:c:5", "decision": "perhaps", "decided_by": "x"}]
        )


def test_review_queue_keeps_when_a_pair_was_first_seen(hub_engine):
    pair = {
        "record_id_a": "a:c:1",
        "record_id_b": "a:c:2",
        "score": 0.85,
        "scores": {"name": 91.0},
        "record_a": {"name": "Ann"},
        "record_b": {"name": "Anne"},
        "status": "open",
        "created_at": T,
    }
    golden_store.save_golden_run(hub_engine, [([], [], [])], [], [pair])
    later = T + timedelta(days=1)
    golden_store.save_golden_run(
        hub_engine,
        [([], [], [])],
        [],
        [{**pair, "status": "decided", "created_at": later}, {**pair, "record_id_b": "a:c:3", "created_at": later}],
    )
    rows = {row["record_id_b"]: row for row in golden_store.read_candidates(hub_engine)}
    assert (rows["a:c:2"]["created_at"], rows["a:c:2"]["status"]) == (T, "decided")
    assert rows["a:c:3"]["created_at"] == later
    assert [row["record_id_b"] for row in golden_store.read_candidates(hub_engine, "open")] == ["a:c:3"]


def test_name_prefix_range_and_contains_are_exact_on_both_backends(hub_engine):
    names = ["acme", "acme corp", "acmeco", "acmf", "acm", "big acme", "100% acme", "a_b"]
    rows = [_view_row(f"G{i}", name) for i, name in enumerate(names)]
    golden_store.save_360(hub_engine, rows, [])
    found = [name for _, name in golden_store.names_in_range(hub_engine, "acme", "acmf", 10)]
    assert found == ["acme", "acme corp", "acmeco"]
    assert [name for _, name in golden_store.names_in_range(hub_engine, "acme", "acmf", 2)] == ["acme", "acme corp"]
    assert sorted(name for _, name in golden_store.names_containing(hub_engine, "% acme", 10)) == ["100% acme"]
    assert [name for _, name in golden_store.names_containing(hub_engine, "_", 10)] == ["a_b"]


def test_record_ids_tool_ids_person_ids_and_emails_find_golden_ids(hub_engine):
    def link(record_id: str, golden_id: str, person: str | None = None, email: str | None = None) -> dict:
        tool, obj, source_id = record_id.split(":")
        return {
            "record_id": record_id,
            "source_system": tool,
            "source_object": obj,
            "source_id": source_id,
            "golden_customer_id": golden_id,
            "golden_person_id": person,
            "email": email,
            "match_rule": "shared_key",
            "confidence": 1.0,
            "match_scores": {"email": 100.0},
            "linked_to": None,
            "updated_at": T,
        }

    golden_store.save_golden_run(
        hub_engine,
        [([], [], [])],
        [[link("hubspot:contacts:1", "G1", "P1", "a@x.com"), link("stripe:customers:1", "G2", None, "a@x.com")]],
        [],
    )
    assert golden_store.golden_ids_for_record(hub_engine, "hubspot:contacts:1") == {"G1": "record_id"}
    assert golden_store.golden_ids_for_record(hub_engine, "1") == {"G1": "source_id", "G2": "source_id"}
    assert golden_store.golden_ids_for_record(hub_engine, "P1") == {"G1": "golden_person_id"}
    assert sorted(golden_store.golden_ids_for_email(hub_engine, ["a@x.com"])) == ["G1", "G2"]
    assert golden_store.read_xref(hub_engine)[0]["match_scores"] == {"email": 100.0}


def test_the_matching_fields_read_as_text_even_when_a_batch_of_records_never_fills_one(hub_engine, monkeypatch):
    from sqlalchemy import insert

    from customer_hub.store import frames
    from customer_hub.store.schema import RESOLUTION_TEXT_FIELDS, resolution_input

    rows = [
        {"record_id": f"t:o:{n}", "source_system": "t", "source_object": "o", "source_id": str(n),
         **dict.fromkeys(RESOLUTION_TEXT_FIELDS), "street": "1 Main St" if n < 2 else None, "is_account_only": False,
         "revision": 1}
        for n in range(4)
    ]  # fmt: skip
    with hub_engine.begin() as conn:
        conn.execute(insert(resolution_input), rows)
    monkeypatch.setattr(frames, "_BATCH", 2)  # the second batch holds no street at all
    frame = frames.resolution_frame(hub_engine)
    assert all(str(frame[field].dtype) == "str" for field in RESOLUTION_TEXT_FIELDS)
    assert frame["street"].tolist()[:2] == ["1 Main St", "1 Main St"]
    assert frame["street"].isna().tolist() == [False, False, True, True]
