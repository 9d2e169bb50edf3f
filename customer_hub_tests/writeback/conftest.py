"""A small sandbox synced into a hub store, with golden customers linked to its HubSpot contacts and Stripe
customers, and every write-back target and flow of hub.yaml switched on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from customer_hub.config import HubConfig, load_config
from customer_hub.sandbox import SandboxServer, start_sandbox
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for
from customer_hub.store.schema import customer_xref, golden_customers, landed_records
from customer_hub.writeback.settings import WritebackSettings, writeback_settings
from customer_hub_tests.spokes.conftest import connector_for

STREAMS = (("hubspot", "contacts"), ("stripe", "customers"), ("stripe", "invoices"))
WEAK_EVERY = 7
"""Every 7th linked record is linked below the auto-merge threshold: it must never be written."""


@dataclass
class World:
    sandbox: SandboxServer
    engine: Engine
    config: HubConfig
    settings: WritebackSettings

    def client(self, tool: str, **sync: Any):
        return connector_for(self.sandbox, tool, self.engine, **sync).client

    def sync(self) -> None:
        for tool, obj in STREAMS:
            sync_stream(self.engine, connector_for(self.sandbox, tool, self.engine), obj)


def link_golden_customers(engine: Engine) -> None:
    """One golden customer per HubSpot contact and Stripe customer, with values only the hub knows."""
    now = datetime.now(UTC)
    with engine.connect() as conn:
        rows = conn.execute(
            select(landed_records.c.tool, landed_records.c.object, landed_records.c.source_id)
            .where(landed_records.c.object.in_(["contacts", "customers"]))
            .order_by(landed_records.c.id)
        ).all()
    golden, xref = [], []
    for number, (tool, obj, source_id) in enumerate(rows):
        golden_id = f"GC-{number:010d}"
        fields = {"subscription_status": "active", "balance": float(number * 10)}
        if number % 3:
            fields["implementation_status"] = "Live"
        golden.append(
            {
                "golden_id": golden_id,
                "kind": "customer",
                "status": "active",
                "merged_into": None,
                "fields": fields,
                "field_sources": {},
                "created_at": now,
                "updated_at": now,
            }  # fmt: skip
        )
        xref.append(
            {
                "record_id": f"{tool}:{obj}:{source_id}",
                "source_system": tool,
                "source_object": obj,
                "source_id": source_id,
                "golden_customer_id": golden_id,
                "match_rule": "test",
                "confidence": 0.85 if number % WEAK_EVERY == 0 else 1.0,
                "updated_at": now,
            }  # fmt: skip
        )
    with engine.begin() as conn:
        conn.execute(insert(golden_customers), golden)
        conn.execute(insert(customer_xref), xref)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    config = load_config(Path(__file__).resolve().parents[2] / "hub.yaml")
    settings = writeback_settings(config.writeback).enable_all()
    with start_sandbox(seed=7, scale=0.04) as sandbox:
        engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
        world = World(sandbox, engine, config, settings)
        world.sync()
        link_golden_customers(engine)
        yield world
