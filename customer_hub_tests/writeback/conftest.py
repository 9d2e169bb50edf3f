"""A small sandbox synced into a hub store, with golden customers linked to its HubSpot contacts, Stripe customers,
Intercom contacts and QuickBooks customers, and every write-back target and flow of hub.yaml switched on.

The store is SQLite; a test parametrized with `BOTH_BACKENDS` runs on PostgreSQL as well."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from customer_hub.config import HubConfig, load_config
from customer_hub.sandbox import SANDBOX_IDS, SandboxServer, start_sandbox
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for
from customer_hub.store.schema import customer_xref, golden_customers, landed_records
from customer_hub.writeback.fields import path_of
from customer_hub.writeback.settings import WritebackSettings, writeback_settings
from customer_hub_tests.spokes.conftest import connector_for

STREAMS = (
    ("hubspot", "contacts"),
    ("stripe", "customers"),
    ("stripe", "invoices"),
    ("intercom", "contacts"),
    ("quickbooks", "customers"),
)
WRITTEN = ("hubspot", "stripe", "intercom", "quickbooks")
OBJECT = {"hubspot": "contacts", "stripe": "customers", "intercom": "contacts", "quickbooks": "customers"}
FAULTS = {"error_rate": 0.2, "write_timeout_rate": 0.125, "timeout_seconds": 0.3}
"""30% of writes go wrong: a fifth of all requests get a 429, a 5xx or an answer too slow to wait for, and one in
eight of the rest are carried out but answered only after the client gave up (clients wait 0.15 s)."""
FAULTY_CLIENT = {"timeout_seconds": 0.15, "max_retries": 10}
BOTH_BACKENDS = pytest.mark.parametrize(
    "world", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
QUICKBOOKS_CREDENTIALS = {
    "client_id": "sandbox-client",
    "client_secret": "sandbox-secret",
    "refresh_token": SANDBOX_IDS["quickbooks_refresh_token"],
    "realm_id": SANDBOX_IDS["quickbooks_realm_id"],
}
WEAK_EVERY = 7
"""Every 7th linked record is linked below the auto-merge threshold: it must never be written."""


@dataclass
class World:
    sandbox: SandboxServer
    engine: Engine
    config: HubConfig
    settings: WritebackSettings

    def connector(self, tool: str, **sync: Any):
        """A connector on the sandbox; QuickBooks with the sandbox's realm and refresh token (rotated tokens are
        kept in the hub store, so every connector made here finds the current one)."""
        if tool != "quickbooks":
            return connector_for(self.sandbox, tool, self.engine, **sync)
        from customer_hub.spokes.registry import build_connector

        system = self.config.systems["quickbooks"]
        unpaced = {**system.settings, "requests_per_second": 0}  # the sandbox here has no rate limit to keep to
        quick = {"timeout_seconds": 2.0, "max_retries": 6, "backoff_seconds": 0.005, "max_backoff_seconds": 0.05}
        config = self.config.model_copy(
            update={
                "sync": self.config.sync.model_copy(update={**quick, **sync}),
                "systems": {**self.config.systems, "quickbooks": system.model_copy(update={"settings": unpaced})},
            }
        )
        return build_connector("quickbooks", config, engine=self.engine, credentials=QUICKBOOKS_CREDENTIALS,
                               base_url=self.sandbox.base_url("quickbooks"))  # fmt: skip

    def client(self, tool: str, **sync: Any):
        return self.connector(tool, **sync).client

    def faults_on(self, tools: tuple[str, ...]) -> None:
        """FAULTS on each tool; QuickBooks also accepts a refresh token a lost token reply rotated away."""
        spec: dict[str, Any] = {tool: dict(FAULTS) for tool in tools}
        if "quickbooks" in spec:
            spec["quickbooks"]["token_grace_seconds"] = 600
        self.sandbox.state.set_faults(spec)

    def stored(self, tool: str, source_id: str, field: str) -> Any:
        """A field's value in the sandbox's own record (`metadata[k]`, `WebAddr[URI]` ... read where they live)."""
        node: Any = self.sandbox.state.stream(tool, OBJECT[tool]).get(source_id)
        for part in path_of(tool, field):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    def sync(self) -> None:
        for tool, obj in STREAMS:
            sync_stream(self.engine, self.connector(tool), obj)


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


def add_unlinked_golden_customers(engine: Engine, count: int, start: int = 0) -> list[str]:
    """Golden customers no tool has a record of yet (the upsert targets create one in each), with the identity a
    new record needs and values only the hub knows."""
    now = datetime.now(UTC)
    rows = [
        {
            "golden_id": f"GC-NEW{number:07d}",
            "kind": "customer",
            "status": "active",
            "merged_into": None,
            "fields": {
                "email": f"new.customer{number}@newly-signed.example",
                "first_name": "Nova",
                "last_name": f"Customer{number}",
                "full_name": f"Nova Customer{number}",
                "company_name": f"Newly Signed {number} Ltd",
                "subscription_status": "active",
                "balance": float(number),
                "implementation_status": "Kickoff",
            },
            "field_sources": {},
            "created_at": now,
            "updated_at": now,
        }  # fmt: skip
        for number in range(start, start + count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(golden_customers), rows)
    return [row["golden_id"] for row in rows]


CREATE_FIELDS = {
    ("hubspot", "contacts"): {"email": "email", "first_name": "firstname", "last_name": "lastname"},
    ("stripe", "customers"): {"email": "email", "full_name": "name"},
    ("intercom", "contacts"): {"email": "email", "full_name": "name"},
    ("quickbooks", "customers"): {"company_name": "DisplayName", "email": "PrimaryEmailAddr[Address]"},
}
"""What a created record starts with in each tool (its identity; the mapped fields follow from the target)."""


def upserting(settings: WritebackSettings, tools: tuple[str, ...] = WRITTEN) -> WritebackSettings:
    """The settings with the targets of `tools` in upsert mode, creating records with CREATE_FIELDS."""
    targets = {tool: dict(objects) for tool, objects in settings.targets.items()}
    for (tool, obj), create_fields in CREATE_FIELDS.items():
        if tool in tools:
            update = {"mode": "upsert", "create_fields": create_fields}
            targets[tool][obj] = targets[tool][obj].model_copy(update=update)
    return settings.model_copy(update={"targets": targets})


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The synced sandbox on SQLite, or on PostgreSQL for tests parametrized with BOTH_BACKENDS."""
    config = load_config(Path(__file__).resolve().parents[2] / "hub.yaml")
    settings = writeback_settings(config.writeback).enable_all()
    backend = getattr(request, "param", "sqlite")
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else f"sqlite:///{tmp_path}/hub.db"
    with start_sandbox(seed=7, scale=0.04) as sandbox:
        monkeypatch.setenv(config.systems["quickbooks"].settings["token_url_env"],
                           sandbox.url + SANDBOX_IDS["quickbooks_token_path"])  # fmt: skip
        engine = engine_for(url)
        world = World(sandbox, engine, config, settings)
        world.sync()
        link_golden_customers(engine)
        yield world
