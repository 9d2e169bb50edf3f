"""One Dagster resource per tool: where its credentials come from and how to build its connector.

Each resource holds the *names* of the environment variables hub.yaml lists for the tool (`credential_envs`) and
reads their values only when a step builds the connector. Dagster's `EnvVar` would resolve them when the run's
config is processed instead, so one tool's unset variable failed every step of the run (a PostProcessingError
before any step started). Now it fails that tool's steps only, with the message naming the variable; the UI and
the run config show variable names and never a value. A value given directly (tests, the demo) wins.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from dagster import ConfigurableResource
from pydantic import Field
from sqlalchemy import Engine

from customer_hub.config import ConfigError, HubConfig, cached_config
from customer_hub.spokes.registry import MissingCredentialsError, build_connector


class ToolResource(ConfigurableResource):
    """Base for the tool resources. `base_url` empty means hub.yaml's URL (or its `base_url_env` override)."""

    tool: ClassVar[str] = ""
    base_url: str = ""
    credential_envs: dict[str, str] = Field(
        default_factory=dict, description="credential setting -> the environment variable holding it (read per step)"
    )

    def credentials(self, config: HubConfig) -> dict[str, str]:
        """The credential values, keyed by the setting names of `systems.<tool>.credentials`: a value set on the
        resource, else the environment variable's, read now; every missing one named."""
        system = config.systems[self.tool]
        envs = {**system.credentials, **self.credential_envs}
        values = {
            setting: (str(getattr(self, setting, "") or "") or os.environ.get(envs[setting], "")).strip()
            for setting in system.credentials
        }
        missing = {setting: envs[setting] for setting, value in values.items() if not value}
        if missing:
            raise MissingCredentialsError(self.tool, missing)
        return values

    def connector(self, config: HubConfig | None = None, engine: Engine | None = None) -> Any:
        """The tool's connector, reading the hub settings from `config` (default: the process's hub.yaml)."""
        config = config or cached_config()
        return build_connector(
            self.tool, config, engine=engine, credentials=self.credentials(config), base_url=self.base_url or None
        )


class HubSpotResource(ToolResource):
    tool: ClassVar[str] = "hubspot"
    access_token: str = ""


class StripeResource(ToolResource):
    tool: ClassVar[str] = "stripe"
    api_key: str = ""


class IntercomResource(ToolResource):
    tool: ClassVar[str] = "intercom"
    access_token: str = ""


class QuickBooksResource(ToolResource):
    tool: ClassVar[str] = "quickbooks"
    client_id: str = ""
    client_secret: str = ""
    refresh_token: str = ""
    realm_id: str = ""


class SheetsResource(ToolResource):
    tool: ClassVar[str] = "sheets"
    service_account_key: str = ""  # the key's JSON, or the path of the key file


class AsanaResource(ToolResource):
    tool: ClassVar[str] = "asana"
    access_token: str = ""


RESOURCE_CLASSES: dict[str, type[ToolResource]] = {
    cls.tool: cls
    for cls in (HubSpotResource, StripeResource, IntercomResource, QuickBooksResource, SheetsResource, AsanaResource)
}


def tool_resource(tool: str, config: HubConfig, base_url: str = "") -> ToolResource:
    """The resource for one tool, reading each credential from the environment variable hub.yaml names."""
    cls = RESOURCE_CLASSES[tool]
    system = config.systems[tool]
    settings = sorted(set(cls.model_fields) - {"base_url", "credential_envs"})
    unknown = sorted(set(system.credentials) - set(settings))
    if unknown:
        raise ConfigError(f"systems.{tool}.credentials: unknown setting(s) {unknown}; {tool} takes {settings}")
    return cls(base_url=base_url, credential_envs=dict(system.credentials))


def tool_resources(config: HubConfig | None = None) -> dict[str, ToolResource]:
    """A resource per enabled tool, keyed by the tool's name (the key the ingestion assets require)."""
    config = config or cached_config()
    return {tool: tool_resource(tool, config) for tool in config.enabled_systems()}


resources: dict[str, ToolResource] = tool_resources()
