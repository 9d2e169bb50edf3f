"""The `quality` section of `hub.yaml`: goals, thresholds and how loudly each check fails.

Validated at load time so that a typo in a threshold fails the code location naming the key, instead of a check
silently comparing against a default nobody chose.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from customer_hub.config import ConfigError, HubConfig, checked_tools

Severity = Literal["WARN", "ERROR"]

CHECKS = (
    "completeness",
    "latency",
    "duplicates",
    "double_billing",
    "unmatched_invoices",
    "uptime",
    "error_rate",
    "row_count_parity",
    "schema_drift",
)
"""Every check the hub evaluates; `severity` overrides are keyed by these names."""

_DEFAULT_SEVERITY: dict[str, Severity] = {
    "completeness": "WARN",
    "latency": "WARN",
    "duplicates": "WARN",
    "double_billing": "WARN",
    "unmatched_invoices": "WARN",
    "uptime": "ERROR",
    "error_rate": "WARN",
    "row_count_parity": "ERROR",
    "schema_drift": "ERROR",
}

_DEFAULT_DUPLICATE_OBJECTS = {
    "hubspot": ["contacts", "companies"],
    "stripe": ["customers"],
    "intercom": ["contacts"],
    "quickbooks": ["customers"],
    "sheets": ["implementations"],
}


class QualitySettings(BaseModel):
    """Goals for the hub's data; every figure a check compares against comes from here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    completeness_min: float = Field(0.95, ge=0, le=1, description="share of golden customers complete on the fields")
    completeness_fields: list[str] = Field(
        default_factory=lambda: ["email", "company_name", "phone"],
        min_length=1,
        description="golden fields a customer needs to count as complete",
    )
    latency_max_minutes: float = Field(15.0, gt=0, description="source change to golden record, 95th percentile")
    duplicates_max: int = Field(0, ge=0, description="duplicate records within a tool plus open match candidates")
    duplicate_objects: dict[str, list[str]] = Field(
        default_factory=lambda: {tool: list(objects) for tool, objects in _DEFAULT_DUPLICATE_OBJECTS.items()},
        description="objects whose records stand for one customer or person each (invoices, deals do not)",
    )
    duplicates_error_share: float = Field(
        0.10,
        ge=0,
        le=1,
        description="duplicates above this share of the records of duplicate_objects fail at ERROR, which stops "
        "customer_360 and write-back (a resolver merging too much, an import run twice); below it, at `severity`",
    )
    unmatched_invoices_max: int = Field(0, ge=0, description="invoices whose customer is unknown to the hub")
    double_billing_max: int = Field(0, ge=0, description="golden customers paying twice for one product")
    double_billing_error_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="customers billed twice above this share of paying customers fail at ERROR, which stops "
        "quality_metrics (a billing migration that duplicated subscriptions); below it, at `severity`",
    )
    parity_tolerance: int = Field(0, ge=0, description="allowed difference between the tool's count and the hub's")
    drift_ignore: list[str] = Field(
        default_factory=lambda: ["metadata.*", "*.metadata.*", "custom_attributes.*", "custom_fields.*"],
        description="field-path patterns whose keys are free-form data, not schema (Stripe metadata, ...)",
    )
    drift_added_severity: Severity = Field(
        "WARN", description="severity when fields were only added: new fields break no mapping, removed ones do"
    )
    uptime_min: float = Field(0.99, ge=0, le=1, description="share of the window each integration was healthy")
    error_rate_max: float = Field(0.05, ge=0, le=1, description="share of failed runs in the window")
    window_hours: float = Field(24.0, gt=0, description="look-back window for uptime, error rate and latency")
    offenders_limit: int = Field(20, ge=1, le=200, description="offending records listed per check")
    severity: dict[str, Severity] = Field(default_factory=dict, description="check name -> WARN or ERROR")

    @field_validator("severity")
    @classmethod
    def _known_checks(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        unknown = sorted(set(value) - set(CHECKS))
        if unknown:
            raise ValueError(f"unknown check(s) {unknown}; checks are {list(CHECKS)}")
        return value

    @field_validator("duplicate_objects")
    @classmethod
    def _known_tools(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return checked_tools(value)

    def severity_of(self, check: str) -> Severity:
        return self.severity.get(check, _DEFAULT_SEVERITY[check])

    def escalated(self, check: str, share: float) -> Severity:
        """The severity of a failing blocking check (duplicates, double billing): ERROR when its figure is above the
        check's `<check>_error_share`, else the check's everyday severity. Only ERROR blocks downstream assets, so
        the everyday mess a steward works through never stops the pipeline; a jump to many times that does."""
        return "ERROR" if share > getattr(self, f"{check}_error_share") else self.severity_of(check)


def quality_settings(config: HubConfig) -> QualitySettings:
    """The validated `quality` section; raises ConfigError naming `quality.<key>` and the fix."""
    try:
        return QualitySettings.model_validate(config.quality)
    except ValidationError as error:
        where = config.path or "hub.yaml"
        lines = [f"{where}: invalid configuration"]
        for item in error.errors():
            key = ".".join(["quality", *(str(part) for part in item["loc"])])
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = f"unknown key: the quality keys are {sorted(QualitySettings.model_fields)}"
            lines.append(f"  - {key}: {message}")
        raise ConfigError("\n".join(lines)) from None
