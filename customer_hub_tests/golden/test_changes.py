"""Golden record changes: new ids, field updates with before/after, merges kept as merged, retirements."""

from __future__ import annotations

from datetime import UTC, datetime

from customer_hub.golden.changes import golden_changes

BEFORE = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def _stored(golden_id: str, status: str = "active", **fields) -> dict:
    return {
        "golden_id": golden_id,
        "kind": "customer",
        "status": status,
        "merged_into": None,
        "fields": fields,
        "field_sources": {key: "hubspot:companies:1" for key in fields},
        "created_at": BEFORE,
        "updated_at": BEFORE,
    }


def _survived(golden_id: str, **fields) -> dict:
    return {
        "golden_id": golden_id,
        "kind": "customer",
        "fields": fields,
        "field_sources": {key: "hubspot:companies:1" for key in fields},
        "records": ["hubspot:companies:1"],
    }


def test_unchanged_records_write_nothing():
    changes = golden_changes(
        {"G1": _stored("G1", company_name="Acme")}, [_survived("G1", company_name="Acme")], [], NOW
    )
    assert (changes.inserts, changes.updates, changes.history) == ([], [], [])


def test_new_id_is_inserted_with_a_created_event():
    changes = golden_changes({}, [_survived("G1", company_name="Acme")], [], NOW)
    assert [row["golden_id"] for row in changes.inserts] == ["G1"]
    assert changes.inserts[0]["status"] == "active"
    assert [(h["golden_id"], h["event"]) for h in changes.history] == [("G1", "created")]


def test_field_change_keeps_before_and_after():
    changes = golden_changes(
        {"G1": _stored("G1", company_name="Acme", phone="1")}, [_survived("G1", company_name="Acme Corp")], [], NOW
    )
    assert changes.updates[0]["fields"] == {"company_name": "Acme Corp"}
    [event] = changes.history
    assert event["event"] == "updated"
    assert event["detail"]["fields"] == {
        "company_name": {"before": "Acme", "after": "Acme Corp"},
        "phone": {"before": "1", "after": None},
    }


def test_absorbed_id_is_kept_as_merged_and_vanished_id_retired():
    stored = {"G1": _stored("G1", company_name="Acme"), "G2": _stored("G2"), "G3": _stored("G3")}
    events = [{"golden_id": "G2", "event": "merged", "detail": {"into": "G1", "rule": "shared_key"}}]
    changes = golden_changes(stored, [_survived("G1", company_name="Acme")], events, NOW)
    by_id = {row["golden_id"]: row for row in changes.updates}
    assert (by_id["G2"]["status"], by_id["G2"]["merged_into"]) == ("merged", "G1")
    assert (by_id["G3"]["status"], by_id["G3"]["merged_into"]) == ("retired", None)
    assert sorted((h["golden_id"], h["event"]) for h in changes.history) == [("G2", "merged"), ("G3", "retired")]
    assert changes.count("merged") == 1


def test_records_joining_or_leaving_are_logged_even_when_fields_stay():
    survived = {**_survived("G1", company_name="Acme"), "records": ["hubspot:companies:1", "stripe:customers:c"]}
    changes = golden_changes(
        {"G1": _stored("G1", company_name="Acme")}, [survived], [], NOW, {"G1": {"hubspot:companies:1"}}
    )
    assert changes.updates == []
    [event] = changes.history
    assert (event["event"], event["detail"]["records_joined"], event["detail"]["records_left"]) == (
        "updated",
        ["stripe:customers:c"],
        [],
    )
