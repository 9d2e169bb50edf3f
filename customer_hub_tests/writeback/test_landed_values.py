"""The planner's landed values come from the database (the payloads stay there); they must equal what reading
each payload in Python gives, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from customer_hub.store import writeback_store
from customer_hub.store.schema import landed_records
from customer_hub.writeback.fields import UNKNOWN, landed_value

PAYLOADS = {
    "hubspot": [
        {"id": "1", "properties": {"hub_open_balance": "1990", "flag": True}},
        {"id": "2", "properties": {"hub_open_balance": None}},
        {"id": "3", "properties": {}},
        {"id": "4"},
    ],
    "stripe": [
        {"id": "cus_1", "name": "Acme", "metadata": {"golden_customer_id": "GC-1", "open_balance": 12.5}},
        {"id": "cus_2", "name": None, "metadata": {}},
        {"id": "cus_3", "metadata": "not an object"},
        {"id": "cus_4"},
    ],
    "intercom": [
        {"id": "a1", "custom_attributes": {"golden_customer_id": "GC-2", "vip": False, "n": 3}},
        {"id": "a2", "custom_attributes": {}},
    ],
    "quickbooks": [
        {"Id": "7", "Notes": "GC-3", "WebAddr": {"URI": "https://acme.example"}},
        {"Id": "8", "SyncToken": "2"},
        {"Id": "9", "WebAddr": {}},
    ],
}
FIELDS = {
    "hubspot": ["hub_open_balance", "flag", "golden_customer_id"],
    "stripe": ["name", "metadata[golden_customer_id]", "metadata[open_balance]", "email"],
    "intercom": ["custom_attributes[golden_customer_id]", "custom_attributes[vip]", "custom_attributes[n]", "email"],
    "quickbooks": ["Notes", "WebAddr[URI]", "ResaleNum"],
}


def test_values_read_by_the_database_equal_those_read_from_the_payload(hub_engine) -> None:
    now = datetime.now(UTC)
    rows = [
        {"tool": tool, "object": "things", "source_id": str(number), "payload": payload, "fields": {},
         "content_hash": f"{tool}{number}", "first_seen_at": now, "last_seen_at": now, "last_changed_at": now}
        for tool, payloads in PAYLOADS.items()
        for number, payload in enumerate(payloads)
    ]  # fmt: skip
    with hub_engine.begin() as conn:
        conn.execute(insert(landed_records), rows)
    seen = set()
    for tool, payloads in PAYLOADS.items():
        read = writeback_store.landed_values(hub_engine, tool, "things", FIELDS[tool])
        for number, payload in enumerate(payloads):
            expected = {field: landed_value(tool, payload, field) for field in FIELDS[tool]}
            assert read[str(number)] == expected, (tool, payload)
            seen |= {value if value is UNKNOWN or value is None else type(value) for value in expected.values()}
    assert seen == {UNKNOWN, None, str}  # every kind of answer was compared
    assert writeback_store.landed_values(hub_engine, "hubspot", "things", FIELDS["hubspot"])["0"]["flag"] == "true"
