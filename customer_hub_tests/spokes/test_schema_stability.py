"""Live changes in the tools are value changes: the field set a sync records stays put, so drift alerts mean drift.

Each tool's streams are read in full, a quarter of their records changed (some created and removed too), then
read incrementally and in full again; the field set the sync engine snapshots (`record_schema`) must not move.
"""

from __future__ import annotations

import pytest

from customer_hub.config import load_config
from customer_hub.local_env import sandbox_environment
from customer_hub.spokes.registry import build_connector
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for
from customer_hub.store.landing import schema_history
from customer_hub_tests.spokes.conftest import sandbox_admin

TOOLS = ("hubspot", "stripe", "intercom", "quickbooks", "sheets", "asana")


@pytest.fixture
def connector_of(sandbox, sqlite_url, monkeypatch):
    """Connectors built as the CLI builds them, from hub.yaml and an environment pointing at the sandbox."""
    config = load_config()
    config = config.model_copy(
        update={"sync": config.sync.model_copy(update={"timeout_seconds": 5.0, "backoff_seconds": 0.005})}
    )
    stripe = config.systems["stripe"]  # the sandbox limits no rates here, so Stripe's client-side pacing is off
    stripe = stripe.model_copy(update={"settings": {**stripe.settings, "requests_per_second": 0}})
    config = config.model_copy(update={"systems": {**config.systems, "stripe": stripe}})
    for name, value in sandbox_environment(config, sandbox.url).items():
        monkeypatch.setenv(name, value)
    engine = engine_for(sqlite_url)
    return engine, lambda tool: build_connector(tool, config, engine=engine)


@pytest.mark.parametrize("tool", TOOLS)
def test_mutations_keep_every_streams_field_set(connector_of, sandbox, tool):
    engine, build = connector_of
    connector = build(tool)
    for obj in connector.objects:
        sync_stream(engine, connector, obj, mode="full")
    before = {obj: schema_history(engine, tool, obj)[-1]["fields"] for obj in connector.objects}

    changed = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.25, "tools": [tool], "create": 5, "delete": 5})
    after_change = {obj: sync_stream(engine, connector, obj) for obj in connector.objects}
    after_full = {obj: sync_stream(engine, connector, obj, mode="full") for obj in connector.objects}

    for obj in connector.objects:
        assert changed[tool][obj], obj  # the stream really changed
        assert after_change[obj].updated > 0, obj
        drift = [f"{snapshot['captured_at']}: {sorted(set(snapshot['fields']) ^ set(before[obj]))}"
                 for snapshot in schema_history(engine, tool, obj)[1:]]  # fmt: skip
        assert drift == [], f"{tool} {obj}: a live change looked like schema drift"
        assert not after_change[obj].schema_changed and not after_full[obj].schema_changed
