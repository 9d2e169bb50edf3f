"""Customer records: every landed record as one canonical row, deleted ones kept but out of resolution."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from customer_hub.golden.records import build_customer_records, customer_record_rows, records_frame
from customer_hub.store import engine_for, golden_store
from customer_hub.store.schema import landed_records

T = datetime(2026, 11, 20, tzinfo=UTC)


def landed(tool: str, obj: str, source_id: str, deleted: bool = False, **fields) -> dict:
    return {
        "tool": tool,
        "object": obj,
        "source_id": source_id,
        "payload": {"id": source_id},
        "fields": fields,
        "content_hash": source_id,
        "source_updated_at": T,
        "first_seen_at": T,
        "last_seen_at": T,
        "last_changed_at": T,
        "deleted_at": T if deleted else None,
    }


def test_rows_get_hub_wide_ids_and_every_canonical_column():
    [row] = customer_record_rows(
        [landed("stripe", "subscriptions", "sub_1", mrr=49.0, shared_keys="stripe_customer:c")]
    )
    assert row["record_id"] == "stripe:subscriptions:sub_1"
    assert row["attributes"]["mrr"] == 49.0
    assert row["attributes"]["email"] is None
    assert row["attributes"]["source_system"] == "stripe"


def test_frame_leaves_out_deleted_records_and_fills_link_columns():
    rows = customer_record_rows(
        [
            landed("hubspot", "contacts", "1", email="a@x.com"),
            landed("hubspot", "contacts", "2", deleted=True, email="b@x.com"),
            landed("quickbooks", "customers", "7", balance=10.0, is_account_only=None),
        ]
    )
    frame = records_frame(rows)
    assert list(frame["record_id"]) == ["hubspot:contacts:1", "quickbooks:customers:7"]
    assert list(frame["shared_keys"]) == ["", ""]
    assert list(frame["is_account_only"]) == [False, False]
    assert str(frame["source_updated_at"].dt.tz) == "UTC"
    assert "balance" in frame.columns


def test_build_replaces_the_table_and_counts_per_tool(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    with engine.begin() as conn:
        conn.execute(
            insert(landed_records),
            [
                landed("hubspot", "contacts", "1", email="a@x.com"),
                landed("hubspot", "contacts", "2", deleted=True),
                landed("stripe", "customers", "cus_1", email="a@x.com"),
            ],
        )
    summary = build_customer_records(engine)
    assert (summary["records"], summary["live"], summary["deleted"]) == (3, 2, 1)
    assert summary["live_per_tool"] == {"hubspot": 1, "stripe": 1}
    build_customer_records(engine)  # a second run replaces, never duplicates
    stored = golden_store.read_customer_records(engine, live_only=False)
    assert [row["record_id"] for row in stored] == [
        "hubspot:contacts:1",
        "hubspot:contacts:2",
        "stripe:customers:cus_1",
    ]
    assert stored[1]["deleted_at"] == T
