"""Building connectors from hub.yaml and the environment."""

from __future__ import annotations

import pytest

from customer_hub.config import load_config
from customer_hub.spokes.registry import (
    CONNECTORS,
    MissingCredentialsError,
    build_connector,
    credentials_from_env,
    streams,
    with_base_url,
)


@pytest.fixture
def config():
    return load_config()


def test_every_configured_tool_has_a_connector_serving_its_objects(config):
    for tool, system in config.systems.items():
        assert tool in CONNECTORS
        connector = build_connector(tool, config, credentials={k: "x" for k in system.credentials})
        assert connector.tool == tool and set(system.objects) <= set(connector.objects)


def test_streams_follow_hub_yaml(config):
    assert streams(config)[:3] == [("hubspot", "contacts"), ("hubspot", "companies"), ("hubspot", "deals")]
    assert len(streams(config)) == 15  # QuickBooks: customers and invoices, and purchases, bills, vendors


def test_missing_credentials_are_all_named_with_the_tool(config):
    environ = {"QUICKBOOKS_CLIENT_ID": "id", "QUICKBOOKS_REFRESH_TOKEN": "  "}

    with pytest.raises(MissingCredentialsError) as raised:
        credentials_from_env("quickbooks", config.systems["quickbooks"], environ)

    message = str(raised.value)
    assert message.startswith("quickbooks:")
    assert "QUICKBOOKS_CLIENT_SECRET" in message and "QUICKBOOKS_REFRESH_TOKEN" in message
    assert "QUICKBOOKS_REALM_ID" in message and "QUICKBOOKS_CLIENT_ID" not in message


def test_credentials_come_from_the_variables_hub_yaml_names(config):
    values = credentials_from_env("hubspot", config.systems["hubspot"], {"HUBSPOT_ACCESS_TOKEN": "pat-1"})
    assert values == {"access_token": "pat-1"}


def test_an_explicit_base_url_wins_over_the_environment(config, monkeypatch):
    monkeypatch.setenv("HUBSPOT_BASE_URL", "http://from-environment")
    system = config.systems["hubspot"]

    assert system.resolved_base_url() == "http://from-environment"
    assert with_base_url(system, "http://127.0.0.1:9/hubspot/").resolved_base_url() == "http://127.0.0.1:9/hubspot"
