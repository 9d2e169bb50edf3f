"""Loading and validating `hub.yaml`, the inventory of systems and the hub's rules.

The file is validated once, at load time, so that a typo fails the Dagster code location with a message naming
the key and the fix instead of failing a sync at 3 a.m. Credentials appear only as environment-variable *names*.
"""

from __future__ import annotations

import importlib
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

CONFIG_ENV = "CUSTOMER_HUB_CONFIG"
HOME_ENV = "CUSTOMER_HUB_HOME"
TOOLS = ("hubspot", "stripe", "intercom", "quickbooks", "sheets", "asana")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_CADENCES = {"hourly": "0 * * * *", "daily": "0 6 * * *", "weekly": "0 6 * * 1"}
OBJECTS: dict[str, tuple[str, ...]] = {
    "hubspot": ("contacts", "companies", "deals"),
    "stripe": ("customers", "subscriptions", "invoices"),
    "intercom": ("contacts", "conversations"),
    "quickbooks": ("customers", "invoices", "purchases", "bills", "vendors"),
    "sheets": ("implementations",),
    "asana": ("projects",),
}
"""The streams each connector serves (its `objects`; a test keeps the two equal). Checked at load time, so an
object the connector does not know fails the code location naming the key, not the first sync."""
SPEND_STREAMS: frozenset[tuple[str, str]] = frozenset(
    {("quickbooks", "purchases"), ("quickbooks", "bills"), ("quickbooks", "vendors")}
)
"""Streams about what the company buys, not about its customers: landed for the shadow-IT scan and kept out of
customer resolution, so a vendor never becomes a golden customer."""
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: i + 1 for i, name in enumerate(_MONTHS)}),
    ("day of week", 0, 7, {name: i for i, name in enumerate(_WEEKDAYS)}),
)


def cron_problem(expression: str) -> str | None:
    """Why a 5-field cron expression is invalid (naming the field), or None. Kept here rather than asking Dagster so
    the command line validates hub.yaml without importing Dagster; the rules are standard cron's."""
    fields = expression.split()
    if len(fields) != 5:
        return f"has {len(fields)} fields; a 5-field cron expression is minute hour day-of-month month day-of-week"
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        for part in text.lower().split(","):
            problem = _cron_part_problem(part, low, high, names)
            if problem:
                return f"{name} field {text!r}: {problem} (allowed {low}-{high})"
    return None


def checked_cron(value: str) -> str:
    """A settings validator's body: the cron expression stripped, or ValueError saying what is wrong with it."""
    problem = cron_problem(value.strip())
    if problem:
        raise ValueError(f"{value!r} {problem}")
    return value.strip()


def checked_tools(value: dict[str, Any]) -> dict[str, Any]:
    """A settings validator's body for a mapping keyed by tool: ValueError naming any key that is not a tool."""
    unknown = sorted(set(value) - set(TOOLS))
    if unknown:
        raise ValueError(f"unknown tool(s) {unknown}; tools are {list(TOOLS)}")
    return value


def _cron_part_problem(part: str, low: int, high: int, names: dict[str, int]) -> str | None:
    span, _, step = part.partition("/")
    if step and not (step.isdigit() and int(step) > 0):
        return f"step {step!r} is not a positive number"
    if span == "*":
        return None
    ends = span.split("-")
    if len(ends) > 2 or not all(ends):
        return f"{span!r} is not a number, a name or a range"
    values = []
    for end in ends:
        value = names.get(end, int(end) if end.isdigit() else None)
        if value is None:
            return f"{end!r} is not a number"
        if not low <= value <= high:
            return f"{value} is out of range"
        values.append(value)
    if len(values) == 2 and values[0] > values[1]:
        return f"range {span!r} runs backwards"
    return None


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping: YAML keeps the last silently, so a second
    `cadence:` under a tool would quietly win over the first."""

    def construct_mapping(self, node, deep=False):  # noqa: ANN001 - PyYAML's signature
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} is given twice (lines {seen[key]} and {line}); keep one",
                    key_node.start_mark,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


_RECONCILE_CADENCES = {"hourly": "30 * * * *", "daily": "0 5 * * *", "weekly": "0 5 * * 1"}
"""Off the sync minute, and before the daily parity job (06:30), so its figures are fresh when parity is judged."""


class ConfigError(ValueError):
    """`hub.yaml` is missing or invalid; the message names the file, the key and the fix."""


def optional_http_url(value: str | None, key: str) -> str | None:
    """A public address from hub.yaml without its trailing slash; anything but http(s) is refused, naming the key."""
    if value and not value.startswith(("http://", "https://")):
        raise ValueError(f"{key} {value!r} must start with https:// (or http://)")
    return value.rstrip("/") if value else None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _owner_problem(value: str) -> str | None:
    if re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value) or value.startswith("team:"):
        return None
    return f"owner {value!r} must be an email address or 'team:<name>' (Dagster's owner format)"


class SystemConfig(_Strict):
    """One tool in the inventory: who owns it, how to reach it and how often to sync it."""

    owner: str = Field(description="email or team:name of the person or team that owns the tool")
    description: str = ""
    base_url: str = Field(description="the vendor's API root; the environment variable in base_url_env wins")
    base_url_env: str = Field(description="environment variable that overrides base_url (the sandbox uses it)")
    objects: list[str]
    cadence: str = Field(description="hourly, daily, weekly or a cron expression")
    reconcile_cadence: str = Field(
        "daily", description="how often the reconciliation pass lists every id to catch deletions and merges"
    )
    monthly_cost_usd: float = 0.0
    enabled: bool = True
    credentials: dict[str, str] = Field(description="setting name -> environment variable name")
    settings: dict[str, Any] = Field(default_factory=dict, description="tool-specific ids (realm, workspace, ...)")

    @field_validator("owner")
    @classmethod
    def _owner_is_email_or_team(cls, value: str) -> str:
        if problem := _owner_problem(value):
            raise ValueError(problem)
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"base_url {value!r} must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("base_url_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError(f"{value!r} is not an environment-variable name (use UPPER_CASE)")
        return value

    @field_validator("credentials")
    @classmethod
    def _credentials_are_env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for setting, env in value.items():
            if not _ENV_NAME.match(env):
                raise ValueError(
                    f"credentials.{setting} must name an environment variable (UPPER_CASE), not hold a secret"
                )
        return value

    @field_validator("cadence", "reconcile_cadence")
    @classmethod
    def _cadence(cls, value: str) -> str:
        problem = None if value in _CADENCES else cron_problem(value)
        if problem:
            raise ValueError(f"cadence {value!r} {problem}; use hourly, daily, weekly or a valid cron expression")
        return value

    @property
    def cron(self) -> str:
        """The cadence as a cron expression for Dagster schedules."""
        return _CADENCES.get(self.cadence, self.cadence)

    @property
    def reconcile_cron(self) -> str:
        """The reconciliation cadence as a cron expression (daily runs at 05:00, before the daily parity job)."""
        return _RECONCILE_CADENCES.get(self.reconcile_cadence, self.reconcile_cadence)

    def resolved_base_url(self) -> str:
        """The base URL in force: the override variable when set, else the configured vendor URL."""
        return (os.environ.get(self.base_url_env) or self.base_url).rstrip("/")


class SyncConfig(_Strict):
    """How every connector talks to its API."""

    page_size: int = Field(100, ge=1, le=1000)
    timeout_seconds: float = Field(30.0, gt=0)
    max_retries: int = Field(6, ge=0, le=20)
    backoff_seconds: float = Field(1.0, ge=0)
    max_backoff_seconds: float = Field(60.0, ge=0)
    overlap_minutes: int = Field(10, ge=0, description="incremental syncs re-read this window to miss nothing")


class AlertsConfig(_Strict):
    """Where alerts go. Tokens are environment-variable names; with neither set, alerts stay in the outbox."""

    slack_channel: str = "#customer-hub-alerts"
    slack_base_url: str = "https://slack.com/api"
    slack_base_url_env: str = "SLACK_API_URL"
    bot_token_env: str = "SLACK_BOT_TOKEN"
    webhook_url_env: str = "SLACK_WEBHOOK_URL"
    public_ui_url: str | None = Field(
        None, description="the Dagster UI as people open it (https://dagster.example.com): alerts link there"
    )
    public_ui_url_env: str = Field(
        "CUSTOMER_HUB_PUBLIC_UI_URL", description="environment variable that wins over public_ui_url"
    )

    @field_validator("public_ui_url")
    @classmethod
    def _ui_url(cls, value: str | None) -> str | None:
        return optional_http_url(value, "public_ui_url")

    @field_validator("public_ui_url_env", "slack_base_url_env", "bot_token_env", "webhook_url_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError(f"{value!r} is not an environment-variable name (use UPPER_CASE)")
        return value


class HubSettings(_Strict):
    """Hub-wide settings."""

    name: str = "customer hub"
    owner: str = Field(
        "team:customer-hub",
        description="email or team:name that owns what the hub derives (golden records, quality): shown in Dagster",
    )

    @field_validator("owner")
    @classmethod
    def _owner_is_email_or_team(cls, value: str) -> str:
        if problem := _owner_problem(value):
            raise ValueError(problem)
        return value


class HubConfig(_Strict):
    """The whole of `hub.yaml`. Sections owned by one part of the hub are kept as validated mappings there."""

    hub: HubSettings = HubSettings()
    systems: dict[str, SystemConfig]
    sync: SyncConfig = SyncConfig()
    field_ownership: dict[str, str | list[str]] = Field(default_factory=dict)
    matching: dict[str, Any] = Field(default_factory=dict)
    quality: dict[str, Any] = Field(default_factory=dict)
    alerts: AlertsConfig = AlertsConfig()
    automation: dict[str, Any] = Field(default_factory=dict)
    export: dict[str, Any] = Field(default_factory=dict)
    webhooks: dict[str, Any] = Field(default_factory=dict)
    writeback: dict[str, Any] = Field(default_factory=dict)
    change_control: dict[str, Any] = Field(default_factory=dict)
    shadow_it: dict[str, Any] = Field(default_factory=dict)
    customer_health: dict[str, Any] = Field(default_factory=dict)
    mrr: dict[str, Any] = Field(default_factory=dict)
    path: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _known_tools(self) -> HubConfig:
        unknown = sorted(set(self.systems) - set(TOOLS))
        if unknown:
            raise ValueError(f"systems: unknown tool(s) {unknown}; known tools are {list(TOOLS)}")
        for tool, system in self.systems.items():
            strange = [obj for obj in system.objects if obj not in OBJECTS[tool]]
            if strange:
                raise ValueError(
                    f"systems.{tool}.objects: unknown object(s) {strange}; {tool} serves {list(OBJECTS[tool])}"
                )
        for field, owners in self.field_ownership.items():
            for tool in [owners] if isinstance(owners, str) else owners:
                if tool not in TOOLS:
                    raise ValueError(f"field_ownership.{field}: {tool!r} is not a tool; use one of {list(TOOLS)}")
        return self

    @property
    def data_dir(self) -> Path:
        """Where the embedded database, Dagster's local storage, the outbox and exports live."""
        if os.environ.get(HOME_ENV):
            return Path(os.environ[HOME_ENV]).resolve()
        base = self.path.parent if self.path else Path.cwd()
        return (base / "var").resolve()

    def enabled_systems(self) -> dict[str, SystemConfig]:
        return {name: system for name, system in self.systems.items() if system.enabled}


def default_config_path() -> Path:
    """`$CUSTOMER_HUB_CONFIG`, else `hub.yaml` in the working directory, else the one beside the package."""
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    cwd = Path.cwd() / "hub.yaml"
    return cwd if cwd.exists() else Path(__file__).resolve().parent.parent / "hub.yaml"


# Sections validated by the package that owns them, imported only when a file is loaded (they import this module).
_SECTION_MODELS = {
    "matching": ("customer_hub.resolution.settings", "ResolutionSettings"),
    "quality": ("customer_hub.quality.settings", "QualitySettings"),
    "automation": ("customer_hub.automation.settings", "AutomationSettings"),
    "export": ("customer_hub.export.settings", "ExportSettings"),
    "webhooks": ("customer_hub.webhooks.settings", "WebhookSettings"),
    "writeback": ("customer_hub.writeback.settings", "WritebackSettings"),
    "change_control": ("customer_hub.change_control.settings", "ChangeControlSettings"),
    "shadow_it": ("customer_hub.spend.settings", "ShadowItSettings"),
    "customer_health": ("customer_hub.customer_health.settings", "HealthSettings"),
    "mrr": ("customer_hub.mrr.settings", "MrrSettings"),
}


def _describe(error: ValidationError, path: Path, section: str | None = None) -> str:
    lines = [f"{path}: invalid configuration"]
    for item in error.errors():
        key = ".".join(str(part) for part in ([section] if section else []) + list(item["loc"]))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key: remove it or check its spelling against the README's configuration reference"
        elif item["type"] == "missing":
            message = "required key is missing: add it (see the README's configuration reference)"
        lines.append(f"  - {key}: {message}" if key else f"  - {message}")  # model checks name their key
    return "\n".join(lines)


def parse_config(data: Any, path: Path, *, sections: bool = True) -> HubConfig:
    """Validate already-parsed YAML; raises ConfigError naming each bad key and its fix.

    `sections=False` skips the sections owned by other packages (matching, quality, automation, export): their
    models pull in pandas, which a one-second command-line answer cannot afford and does not need.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level with at least a 'systems' key")
    try:
        config = HubConfig.model_validate({**data, "path": path})
    except ValidationError as error:
        raise ConfigError(_describe(error, path)) from None
    for section, (module, model) in _SECTION_MODELS.items() if sections else ():
        try:
            getattr(importlib.import_module(module), model).model_validate(getattr(config, section))
        except ValidationError as error:
            raise ConfigError(_describe(error, path, section)) from None
    if sections:
        _check_writeback(config, path)
    return config


def _check_writeback(config: HubConfig, path: Path) -> None:
    """Write-back rules that need the rest of the file: a field is never written into the tool that owns it."""
    from customer_hub.writeback.settings import problems, writeback_settings

    found = problems(writeback_settings(config.writeback), config.field_ownership)
    if found:
        raise ConfigError("\n".join([f"{path}: invalid configuration", *(f"  - {line}" for line in found)]))


def load_config(path: str | Path | None = None, *, sections: bool = True) -> HubConfig:
    """Read and validate `hub.yaml` (see `parse_config` for `sections`)."""
    path = Path(path) if path else default_config_path()
    if not path.exists():
        raise ConfigError(f"{path}: no such file; set {CONFIG_ENV} or run from the project folder")
    try:
        data = yaml.load(path.read_text(), Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    return parse_config(data, path.resolve(), sections=sections)


@lru_cache(maxsize=1)
def cached_config() -> HubConfig:
    """The configuration for this process (Dagster code locations load it once)."""
    return load_config()
