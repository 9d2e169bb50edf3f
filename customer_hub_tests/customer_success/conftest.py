"""The sandbox's customers synced through the real connectors and resolved into customer_360, once per package.

Seeding, syncing and resolving take the time, so the hub is built once and each test works on its own copy of the
SQLite file. The sandbox's seeded history ends on 2026-01-01, so scores are taken as of the day after (`NOW`):
ages of invoices and conversations are then what they were when the data was fresh.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from customer_hub.config import HubConfig, load_config
from customer_hub.golden.build import build_golden
from customer_hub.golden.records import build_customer_records
from customer_hub.golden.view360 import build_customer_360
from customer_hub.local_env import environment, sandbox_environment
from customer_hub.sandbox import start_sandbox
from customer_hub.spokes.registry import build_connector
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
HUB_YAML = Path(__file__).resolve().parents[2] / "hub.yaml"


@pytest.fixture(scope="package")
def config() -> HubConfig:
    return load_config(HUB_YAML)


@pytest.fixture(scope="package")
def sandbox_hub(tmp_path_factory: pytest.TempPathFactory, config: HubConfig) -> Path:
    """A SQLite hub holding a tenth of the sandbox, synced, resolved and with its customer_360 built."""
    path = tmp_path_factory.mktemp("sandbox_hub") / "hub.db"
    engine = engine_for(f"sqlite:///{path}")
    with start_sandbox(seed=42, scale=0.1) as sandbox, environment(sandbox_environment(config, sandbox.url)):
        for tool, system in config.enabled_systems().items():
            connector = build_connector(tool, config, engine=engine)
            for obj in system.objects:
                sync_stream(engine, connector, obj)
    build_customer_records(engine)
    build_golden(engine, config, now=NOW)
    build_customer_360(engine, now=NOW)
    engine.dispose()
    engine_for.cache_clear()
    return path


@pytest.fixture
def hub(sandbox_hub: Path, tmp_path: Path) -> Iterator[Engine]:
    """This test's own copy of the sandbox hub."""
    copy = tmp_path / "hub.db"
    for suffix in ("", "-wal", "-shm"):  # WAL mode: a file left beside the database belongs to it
        if Path(f"{sandbox_hub}{suffix}").exists():
            shutil.copy(f"{sandbox_hub}{suffix}", f"{copy}{suffix}")
    engine = engine_for(f"sqlite:///{copy}")
    yield engine
    engine.dispose()
