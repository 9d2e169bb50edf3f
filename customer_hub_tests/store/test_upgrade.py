"""A hub store made by an older version keeps working after an upgrade: the indexes and nullable columns a newer
version defines are added when the store is opened, with no migration step."""

from __future__ import annotations

from sqlalchemy import inspect, text

from customer_hub.store.db import add_missing_indexes


def test_an_index_a_newer_hub_defines_is_added_to_an_older_store(hub_engine):
    with hub_engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_landed_updated"))
        conn.execute(text("DROP INDEX ix_landed_deleted"))
    hub_engine.dispose()  # as a newer version opens it: SQLite connections keep the schema they last read
    assert "ix_landed_updated" not in {index["name"] for index in inspect(hub_engine).get_indexes("landed_records")}

    assert sorted(add_missing_indexes(hub_engine)) == ["ix_landed_deleted", "ix_landed_updated"]

    indexes = {index["name"]: index["column_names"] for index in inspect(hub_engine).get_indexes("landed_records")}
    assert indexes["ix_landed_updated"] == ["source_updated_at"]
    assert indexes["ix_landed_deleted"] == ["deleted_at"]
    assert add_missing_indexes(hub_engine) == []  # opening it again changes nothing


def test_an_index_a_newer_hub_replaced_is_dropped_from_an_older_store(hub_engine):
    with hub_engine.begin() as conn:  # as an older hub left it: the customer id alone indexed
        conn.execute(text("DROP INDEX ix_xref_customer_object"))
        conn.execute(text("CREATE INDEX ix_customer_xref_golden_customer_id ON customer_xref (golden_customer_id)"))
    hub_engine.dispose()

    assert add_missing_indexes(hub_engine) == ["ix_xref_customer_object"]

    indexes = {index["name"]: index["column_names"] for index in inspect(hub_engine).get_indexes("customer_xref")}
    assert indexes["ix_xref_customer_object"] == ["golden_customer_id", "source_object"]
    assert "ix_customer_xref_golden_customer_id" not in indexes
