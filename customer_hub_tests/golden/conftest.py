"""A hub store with landed records written the way the connectors write them, and golden runs at chosen times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, update

from customer_hub.config import HubConfig, load_config
from customer_hub.golden.build import GoldenSummary, build_golden
from customer_hub.golden.records import build_customer_records
from customer_hub.golden.view360 import build_customer_360
from customer_hub.spokes.canonical import canonical
from customer_hub.store import engine_for
from customer_hub.store.schema import landed_records

START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def landed(record_id: str, **fields) -> dict:
    """A landed_records row for `tool:object:id` with canonical fields (unset identity fields empty)."""
    tool, obj, source_id = record_id.split(":", 2)
    return {
        "tool": tool,
        "object": obj,
        "source_id": source_id,
        "payload": {"id": source_id},
        "fields": canonical(**fields),
        "content_hash": record_id,
        "source_updated_at": START,
        "first_seen_at": START,
        "last_seen_at": START,
        "last_changed_at": START,
        "deleted_at": None,
    }


@pytest.fixture(scope="session")
def config() -> HubConfig:
    return load_config(Path(__file__).resolve().parents[2] / "hub.yaml")


@pytest.fixture
def engine(request, tmp_path) -> Engine:
    """SQLite, or PostgreSQL for tests parametrized with `BOTH_BACKENDS` (indirect)."""
    if getattr(request, "param", "sqlite") == "postgres":
        return engine_for(request.getfixturevalue("postgres_url"))
    return engine_for(f"sqlite:///{tmp_path}/hub.db")


BOTH_BACKENDS = pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def land(engine) -> Callable[..., None]:
    def _land(*rows: dict) -> None:
        with engine.begin() as conn:
            conn.execute(insert(landed_records), list(rows))

    return _land


@pytest.fixture
def delete_landed(engine) -> Callable[[str], None]:
    """Mark a landed record deleted, as a full sync does when the record vanished from its tool."""

    def _delete(record_id: str) -> None:
        tool, obj, source_id = record_id.split(":", 2)
        with engine.begin() as conn:
            conn.execute(
                update(landed_records)
                .where(landed_records.c.tool == tool, landed_records.c.object == obj)
                .where(landed_records.c.source_id == source_id)
                .values(deleted_at=START)
            )

    return _delete


@pytest.fixture
def run(engine, config) -> Callable[[int], GoldenSummary]:
    """One pass of the golden pipeline (records, golden, 360) as on day `day` after START."""

    def _run(day: int = 0) -> GoldenSummary:
        now = START + timedelta(days=day)
        build_customer_records(engine)
        summary = build_golden(engine, config, now=now)
        build_customer_360(engine, now=now)
        return summary

    return _run
