"""The `webhooks` section of `hub.yaml`: receiver, event sensor and silence check settings.

Validated when the configuration loads, so a typo fails the code location naming the key, not the first delivery.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from customer_hub.config import _ENV_NAME, optional_http_url

WEBHOOK_TOOLS = ("hubspot", "stripe", "intercom")
"""The tools whose webhooks the receiver understands (each has its own signature scheme)."""


class WebhookSettings(BaseModel):
    """How vendor webhooks are received and turned into work."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secrets_env: dict[str, str] = Field(
        default_factory=lambda: {
            "hubspot": "HUBSPOT_CLIENT_SECRET",
            "stripe": "STRIPE_WEBHOOK_SECRET",
            "intercom": "INTERCOM_CLIENT_SECRET",
        },
        description="tool -> NAME of the environment variable holding its signing secret (never the value)",
    )
    public_url: str | None = Field(
        None,
        description="the receiver's URL as the vendor calls it (https://hooks.example.com) when a reverse proxy "
        "rewrites the host or scheme: HubSpot signs the full URI, so it must match what HubSpot called",
    )
    sensor_interval_seconds: int = Field(5, ge=1, le=3600, description="how often stored events become runs")
    batch_limit: int = Field(1000, ge=1, description="events one sensor tick turns into work, oldest first")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="larger deliveries are refused with 413")
    silence_hours: float = Field(
        24.0, gt=0, description="a tool that has sent events and then none for this long raises an alert"
    )
    silence_hours_by_tool: dict[str, float] = Field(
        default_factory=dict, description="per-tool override of silence_hours (a quiet Intercom, say)"
    )

    @field_validator("secrets_env")
    @classmethod
    def _secret_names(cls, value: dict[str, str]) -> dict[str, str]:
        for tool, name in value.items():
            if tool not in WEBHOOK_TOOLS:
                raise ValueError(f"{tool!r} sends no webhooks the hub understands; use {list(WEBHOOK_TOOLS)}")
            if not _ENV_NAME.match(name):
                raise ValueError(f"{tool}: {name!r} must be an environment-variable NAME such as HUBSPOT_CLIENT_SECRET")
        return value

    @field_validator("silence_hours_by_tool")
    @classmethod
    def _silence_tools(cls, value: dict[str, float]) -> dict[str, float]:
        for tool, hours in value.items():
            if tool not in WEBHOOK_TOOLS or hours <= 0:
                raise ValueError(f"{tool}: {hours!r}: a webhook tool ({list(WEBHOOK_TOOLS)}) and positive hours")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return optional_http_url(value, "public_url")

    def silence_window_hours(self, tool: str) -> float:
        return self.silence_hours_by_tool.get(tool, self.silence_hours)


def webhook_settings(section: dict | None) -> WebhookSettings:
    """The validated section; `{}` gives every default."""
    return WebhookSettings.model_validate(section or {})
