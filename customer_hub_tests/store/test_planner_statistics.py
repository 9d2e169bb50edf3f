"""After a bulk write, PostgreSQL plans from statistics of what was written, whether or not autovacuum runs."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import insert, text

from customer_hub.store.planner_statistics import refresh_statistics
from customer_hub.store.schema import customer_360, customer_records


def _estimated_live_records(engine) -> int:
    with engine.connect() as conn:
        plan = conn.execute(
            text("EXPLAIN (FORMAT JSON) SELECT record_id FROM customer_records WHERE deleted_at IS NULL")
        ).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _land_records(engine, count: int) -> None:
    rows = [
        {"record_id": f"hubspot:contacts:{n}", "source_system": "hubspot", "source_object": "contacts",
         "source_id": str(n), "attributes": {"email": f"p{n}@acme.com"}}
        for n in range(count)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(customer_records), rows)


@pytest.mark.postgres
def test_a_bulk_written_table_is_analysed_once_and_then_planned_from_what_it_holds(postgres_url):
    from customer_hub.store import engine_for

    engine = engine_for(postgres_url)
    _land_records(engine, 2000)
    assert _estimated_live_records(engine) < 200  # no statistics: the planner takes 0.5% of the rows

    assert refresh_statistics(engine, (customer_records, customer_360)) == ["customer_records"]  # 360 is empty

    assert _estimated_live_records(engine) == pytest.approx(2000, rel=0.05)
    assert refresh_statistics(engine, (customer_records, customer_360)) == []  # nothing changed since


def test_sqlite_is_left_to_its_own_planner(tmp_path):
    from customer_hub.store import engine_for

    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    _land_records(engine, 10)
    assert refresh_statistics(engine, (customer_records,)) == []
    with engine.connect() as conn:
        tables = [row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))]
    assert not [name for name in tables if re.match(r"sqlite_stat", name)]
