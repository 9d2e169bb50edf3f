"""The `shadow_it` section of `hub.yaml`: how recurring charges are recognised and when the scan runs.

Validated when the configuration loads, so a tool name that is not in the inventory or a malformed cron fails the
code location naming the key.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from customer_hub.config import checked_cron, checked_tools


class ShadowItSettings(BaseModel):
    """What counts as a recurring charge, how closely vendors must match, and the quarterly schedule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scan_cron: str = Field("0 7 2 1,4,7,10 *", description="when the scan runs (quarterly by default)")
    cost_tolerance: float = Field(
        0.15, ge=0, le=10, description="share by which a tool's real monthly spend may differ from monthly_cost_usd"
    )
    amount_tolerance: float = Field(
        0.1, ge=0, le=1, description="share by which one subscription's charges may differ from their median"
    )
    min_monthly_charges: int = Field(3, ge=2, description="charges about a month apart that make a monthly series")
    min_annual_charges: int = Field(2, ge=2, description="charges about a year apart that make an annual series")
    active_grace_days: int = Field(
        15, ge=0, description="days past the expected next charge before a series counts as ended (cancelled)"
    )
    name_min_score: float = Field(
        90, ge=50, le=100, description="rapidfuzz score (0-100) a vendor name needs to match a catalogue name"
    )
    vendors: dict[str, list[str]] = Field(
        default_factory=dict,
        description="tool -> vendor names the books use for it, when the catalogue does not know them",
    )
    known_vendors: list[str] = Field(
        default_factory=list,
        description="SaaS vendors approved outside the inventory (the books' name or the catalogue's): never reported",
    )

    @field_validator("scan_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        return checked_cron(value)

    @field_validator("vendors")
    @classmethod
    def _tools(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return checked_tools(value)


def shadow_it_settings(section: dict | None) -> ShadowItSettings:
    """The validated section; `{}` gives every default."""
    return ShadowItSettings.model_validate(section or {})
