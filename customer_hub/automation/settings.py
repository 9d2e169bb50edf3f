"""The `automation` section of `hub.yaml`: the closed-won onboarding flow and the housekeeping schedules.

Validated by the configuration loader at load time, so a missing Asana template fails the code location with
the key to fix instead of failing the first onboarding run after a deal closes.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from customer_hub.config import checked_cron


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OnboardingSettings(_Strict):
    """What happens when a HubSpot deal moves to closed-won."""

    enabled: bool = Field(True, description="false stops the closed-won sensor from requesting onboarding runs")
    asana_template_gid: str | None = Field(None, description="Asana project template the onboarding project is from")
    asana_team_gid: str | None = Field(
        None, description="Asana team that owns new projects; empty means systems.asana.settings.team_gid"
    )
    quickbooks_description: str = Field(
        "Onboarding and first term: {deal_name}",
        description="invoice line description ({deal_name}, {deal_id}); the line's item is "
        "systems.quickbooks.settings.invoice_item_id",
    )
    sensor_interval_seconds: int = Field(30, ge=5, le=3600, description="how often the closed-won sensor polls")
    latency_max_minutes: float = Field(15.0, gt=0, description="deal closed to invoice drafted; slower alerts")
    lookback_hours: int = Field(
        24, ge=1, description="on the sensor's first tick, deals closed this long ago are still onboarded"
    )

    @field_validator("quickbooks_description")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        try:
            value.format(deal_name="", deal_id="")
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"quickbooks_description may use only {{deal_name}} and {{deal_id}} ({error})") from None
        return value


class ScheduleSettings(_Strict):
    """When the housekeeping jobs run (cron, in `timezone`)."""

    timezone: str = "UTC"
    duplicate_report_cron: str = "0 7 * * *"
    parity_cron: str = "30 6 * * *"
    export_cron: str = "0 3 1 * *"

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        """A typo is reported against this hub.yaml key when the configuration loads, not as a schedule error."""
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. UTC, Europe/Berlin)") from None
        return value.strip()

    @field_validator("duplicate_report_cron", "parity_cron", "export_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        return checked_cron(value)


class AutomationSettings(_Strict):
    """The whole `automation` section."""

    onboarding: OnboardingSettings = OnboardingSettings()
    schedules: ScheduleSettings = ScheduleSettings()


def automation_settings(section: dict | None) -> AutomationSettings:
    """The validated section; `{}` (the default in hub.yaml) gives every default."""
    return AutomationSettings.model_validate(section or {})
