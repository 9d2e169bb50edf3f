"""Which connector serves which tool, and building them from `hub.yaml` plus the environment.

The CLI, the benchmarks and the Dagster resources all build connectors here, so a missing credential produces
the same message everywhere: the tool, the environment variable, and where it is declared.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from customer_hub.config import HubConfig, SystemConfig, cached_config
from customer_hub.spokes.base import Connector
from customer_hub.spokes.http import ToolAuthError

CONNECTORS: dict[str, tuple[str, str]] = {
    "hubspot": ("customer_hub.spokes.hubspot", "HubSpotConnector"),
    "stripe": ("customer_hub.spokes.stripe", "StripeConnector"),
    "intercom": ("customer_hub.spokes.intercom", "IntercomConnector"),
    "quickbooks": ("customer_hub.spokes.quickbooks", "QuickBooksConnector"),
    "sheets": ("customer_hub.spokes.sheets", "SheetsConnector"),
    "asana": ("customer_hub.spokes.asana", "AsanaConnector"),
}
"""tool -> (module, class); imported on first use so one tool's module never slows or breaks another's."""

_FIXED_BASE_URL_ENV = "CUSTOMER_HUB_FIXED_BASE_URL"
"""Stands in for a system's `base_url_env` when a base URL is given explicitly, so the explicit URL wins."""


class MissingCredentialsError(ToolAuthError):
    """A credential's environment variable is unset or empty: caught before any request is made."""

    def __init__(self, tool: str, missing: Mapping[str, str]):
        self.missing = dict(missing)
        names = ", ".join(missing.values())
        super().__init__(
            tool, "credentials", f"environment variable(s) {names} not set", credential_envs=missing.values()
        )

    def __str__(self) -> str:
        pairs = ", ".join(f"{env} (its {setting})" for setting, env in self.missing.items())
        return (
            f"{self.tool}: environment variable(s) not set: {pairs}. What to do: export them, or change "
            f"systems.{self.tool}.credentials in hub.yaml to the variables that hold them"
        )


def connector_class(tool: str) -> type:
    if tool not in CONNECTORS:
        raise ValueError(f"no connector for tool {tool!r}; known tools: {sorted(CONNECTORS)}")
    module, name = CONNECTORS[tool]
    return getattr(importlib.import_module(module), name)


def credentials_from_env(tool: str, system: SystemConfig, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each credential setting of the system mapped to its value from the environment; all missing ones named."""
    environ = os.environ if environ is None else environ
    values = {setting: environ.get(env, "").strip() for setting, env in system.credentials.items()}
    missing = {setting: system.credentials[setting] for setting, value in values.items() if not value}
    if missing:
        raise MissingCredentialsError(tool, missing)
    return values


def with_base_url(system: SystemConfig, base_url: str | None) -> SystemConfig:
    """The system with an explicit base URL that wins over its `base_url_env` (tests, a resource's setting)."""
    if not base_url:
        return system
    return system.model_copy(update={"base_url": base_url.rstrip("/"), "base_url_env": _FIXED_BASE_URL_ENV})


def build_connector(
    tool: str,
    config: HubConfig | None = None,
    *,
    engine: Engine | None = None,
    credentials: Mapping[str, str] | None = None,
    base_url: str | None = None,
) -> Any:
    """A connector for one tool; credentials default to the environment variables named in hub.yaml."""
    config = config or cached_config()
    if tool not in config.systems:
        raise ValueError(
            f"{tool} is not in hub.yaml's systems; add systems.{tool} or pick one of {sorted(config.systems)}"
        )
    system = config.systems[tool]
    if credentials is None:
        credentials = credentials_from_env(tool, system)
    return connector_class(tool)(with_base_url(system, base_url), config.sync, credentials, engine)


def build_connectors(config: HubConfig | None = None, *, engine: Engine | None = None) -> dict[str, Connector]:
    """Connectors for every enabled system, keyed by tool."""
    config = config or cached_config()
    return {tool: build_connector(tool, config, engine=engine) for tool in config.enabled_systems()}


def streams(config: HubConfig | None = None) -> list[tuple[str, str]]:
    """(tool, object) of every enabled stream, in hub.yaml order; asset keys are `<tool>_<object>`."""
    config = config or cached_config()
    return [(tool, obj) for tool, system in config.enabled_systems().items() for obj in system.objects]
