"""One bad vendor value (a NUL byte, a 300-character name or domain) never stops the hub: landing cleans or leaves
it out and quarantines the record with the reason, the raw payload is kept, and the golden layer and the 360 view
build on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from customer_hub.config import load_config
from customer_hub.golden.build import build_golden
from customer_hub.golden.records import build_customer_records
from customer_hub.golden.view360 import build_customer_360
from customer_hub.spokes.sync import sync_stream
from customer_hub.spokes.values import clean_fields, source_id_problem
from customer_hub.store import golden_store
from customer_hub.store.landing import landed
from customer_hub.store.quarantine_store import quarantined
from customer_hub.store.schema import customer_360
from customer_hub_tests.spokes.conftest import connector_for, sandbox_admin

LONG = "x" * 300


@pytest.fixture(autouse=True)
def _faults_off(sandbox):
    yield
    sandbox_admin(sandbox, "DELETE", "faults")


def test_nul_bytes_and_oversized_names_are_quarantined_not_fatal(sandbox, hub_engine):
    connector = connector_for(sandbox, "hubspot", hub_engine)
    sync_stream(hub_engine, connector, "companies", mode="full")
    nul_id, long_name_id, long_domain_id = [row["source_id"] for row in landed(hub_engine, "hubspot", "companies")][:3]
    bad = {
        nul_id: {"name": "Acme\x00 Corp"},
        long_name_id: {"name": f"Globex {LONG}"},
        long_domain_id: {"domain": f"{LONG}.example.com", "website": None},
    }
    sandbox_admin(sandbox, "POST", "faults", {"hubspot": {"bad_values": bad}})

    result = sync_stream(hub_engine, connector, "companies", mode="full")

    assert result.quarantined_records == 3
    rows = {row["source_id"]: row for row in landed(hub_engine, "hubspot", "companies")}
    assert rows[nul_id]["payload"]["properties"]["name"] == "Acme\x00 Corp"  # raw payload kept as served
    assert rows[nul_id]["fields"]["company_name"] == "Acme Corp"
    assert rows[long_name_id]["fields"]["company_name"] is None
    assert rows[long_domain_id]["fields"]["company_domain"] is None
    reasons = {row["source_id"]: " ".join(row["reasons"]) for row in quarantined(hub_engine, "hubspot")}
    assert set(reasons) == set(bad)
    assert "NUL" in reasons[nul_id] and "company_name: 307 characters" in reasons[long_name_id]

    build_customer_records(hub_engine, load_config().matching)
    build_golden(hub_engine, load_config())
    assert build_customer_360(hub_engine) > 0
    assert golden_store.ids_by_column(hub_engine, "name_lc", ["acme corp"], 5)

    sandbox_admin(sandbox, "DELETE", "faults")
    sync_stream(hub_engine, connector, "companies", mode="full")
    assert quarantined(hub_engine, "hubspot") == []  # clean again: released


def test_sized_columns_behave_the_same_on_both_backends(hub_engine):
    now = datetime.now(UTC)
    with hub_engine.begin() as conn:
        conn.execute(
            insert(customer_360).values(
                golden_customer_id="g1", name="A\x00B", name_lc=LONG, domain=LONG, email=None, view={}, updated_at=now
            )
        )
        row = conn.execute(select(customer_360)).one()
    assert row.name == "AB" and row.name_lc == LONG[:255] and row.domain == LONG[:255]


def test_cleaning_rules():
    cleaned = clean_fields({"company_name": "A\x00\x07B\tC", "email": "a" * 321, "is_account_only": True})
    assert cleaned.fields == {"company_name": "AB\tC", "email": None, "is_account_only": True}
    assert len(cleaned.reasons) == 2
    assert clean_fields({"email": "a@b.io"}).reasons == []
    assert source_id_problem("1" * 129) and source_id_problem("1\x002") and source_id_problem("cus_1") is None
