"""One Dagster resource per tool: its credentials (as `EnvVar`s named in hub.yaml) and how to build its connector.

Secrets reach Dagster only as environment-variable references, so the UI and run config show the variable's name,
never its value. The resource checks its credentials before building a connector and names the tool and the
variable when one is empty, instead of letting the first request fail with an anonymous 401.
"""

from __future__ import annotations

from typing import Any, ClassVar

from dagster import ConfigurableResource, EnvVar
from sqlalchemy import Engine

from customer_hub.config import ConfigError, HubConfig, cached_config
from customer_hub.spokes.registry import MissingCredentialsError, build_connector


class ToolResource(ConfigurableResource):
    """Base for the tool resources. `base_url` empty means hub.yaml's URL (or its `base_url_env` override)."""

    tool: ClassVar[str] = ""
    base_url: str = ""

    def credentials(self, config: HubConfig) -> dict[str, str]:
        """The credential values, keyed by the setting names of `systems.<tool>.credentials`."""
        system = config.systems[self.tool]
        values = {setting: str(getattr(self, setting, "") or "").strip() for setting in system.credentials}
        missing = {setting: system.credentials[setting] for setting, value in values.items() if not value}
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
    """The resource for one tool with each credential bound to the environment variable hub.yaml names."""
    cls = RESOURCE_CLASSES[tool]
    system = config.systems[tool]
    unknown = sorted(set(system.credentials) - set(cls.model_fields) - {"base_url"})
    if unknown:
        raise ConfigError(
            f"systems.{tool}.credentials: unknown setting(s) {unknown}; {tool} takes "
            f"{sorted(set(cls.model_fields) - {'base_url'})}"
        )
    return cls(base_url=base_url, **{setting: EnvVar(env) for setting, env in system.credentials.items()})


def tool_resources(config: HubConfig | None = None) -> dict[str, ToolResource]:
    """A resource per enabled tool, keyed by the tool's name (the key the ingestion assets require)."""
    config = config or cached_config()
    return {tool: tool_resource(tool, config) for tool in config.enabled_systems()}


resources: dict[str, ToolResource] = tool_resources()
