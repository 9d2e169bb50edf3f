"""The `customer_health` section of `hub.yaml`: what each churn signal costs a customer's score, and the bands.

Weights are configuration, not code, because what predicts churn differs from one company to the next: a team that
invoices by hand cares less about an open Stripe invoice than one that charges cards. Validated at load time like
every other section, so a typo in a signal's name fails the code location naming the key.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from customer_hub.config import checked_cron

BANDS = ("healthy", "watch", "at_risk")
"""From best to worst. A customer whose score falls below `bands.watch` is at risk."""
FULL_SCORE = 100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SignalWeight(_Strict):
    """One signal: the points it takes off the score of 100 when present; 0 switches the signal off."""

    points: int = Field(ge=0, le=FULL_SCORE)


class GraceWeight(SignalWeight):
    """A signal that counts only once something has been late for `grace_days`."""

    grace_days: int = Field(0, ge=0, le=365)


class AgeingWeight(SignalWeight):
    days: int = Field(7, ge=1, le=365, description="an open conversation older than this counts")


class CountWeight(SignalWeight):
    at_least: int = Field(1, ge=1, le=1000, description="this many open conversations or more count")


def _folded(statuses: tuple[str, ...]) -> tuple[str, ...]:
    """Statuses as compared: people type "On hold", "on hold " and "ON HOLD" into one sheet."""
    return tuple(status.strip().lower() for status in statuses if status.strip())


class StalledWeight(SignalWeight):
    statuses: tuple[str, ...] = Field(min_length=1, description="implementation statuses (any case) that mean stalled")

    @field_validator("statuses")
    @classmethod
    def _fold(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _folded(value)


class OverdueWeight(SignalWeight):
    live_statuses: tuple[str, ...] = Field(
        min_length=1, description="implementation statuses (any case) that mean live: a past go-live date is fine"
    )

    @field_validator("live_statuses")
    @classmethod
    def _fold(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _folded(value)


class OnboardingWeight(SignalWeight):
    within_days: int = Field(90, ge=1, le=3650, description="only deals closed this recently are judged")


class Signals(_Strict):
    """Every signal the hub can see, with its default weight. The names appear in `customer-hub lookup`."""

    past_due_subscription: SignalWeight = SignalWeight(points=30)
    unpaid_stripe_invoice: GraceWeight = GraceWeight(points=15, grace_days=3)
    overdue_balance: GraceWeight = GraceWeight(points=20, grace_days=0)
    open_conversations: CountWeight = CountWeight(points=10, at_least=2)
    ageing_conversation: AgeingWeight = AgeingWeight(points=15, days=7)
    implementation_overdue: OverdueWeight = OverdueWeight(
        points=20, live_statuses=("live", "go-live", "completed", "done")
    )
    implementation_stalled: StalledWeight = StalledWeight(points=20, statuses=("blocked", "on hold", "paused"))
    onboarding_slow: OnboardingWeight = OnboardingWeight(points=10)
    double_billing: SignalWeight = SignalWeight(points=25)

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, data: Any) -> Any:
        """A signal given in part (`overdue_balance: {points: 30}`) keeps the defaults of the keys not given."""
        if not isinstance(data, dict):
            return data
        merged = {}
        for name, value in data.items():
            field = cls.model_fields.get(name)
            if field is not None and isinstance(value, dict) and isinstance(field.default, BaseModel):
                value = {**field.default.model_dump(), **value}
            merged[name] = value
        return merged


class Bands(_Strict):
    """Lowest score of each band: at or above `healthy` is healthy, at or above `watch` is watch, below is at_risk."""

    healthy: int = Field(75, ge=1, le=FULL_SCORE)
    watch: int = Field(50, ge=1, le=FULL_SCORE)

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.watch >= self.healthy:
            raise ValueError(f"bands.watch ({self.watch}) must be below bands.healthy ({self.healthy})")
        return self

    def band_of(self, score: int) -> str:
        if score >= self.healthy:
            return "healthy"
        return "watch" if score >= self.watch else "at_risk"


class HealthSettings(_Strict):
    """The whole `customer_health` section."""

    cron: str = Field("15 6 * * *", description="the daily scoring run (in automation.schedules.timezone)")
    bands: Bands = Bands()
    signals: Signals = Signals()

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        return checked_cron(value)


def health_settings(section: dict | None) -> HealthSettings:
    """The validated section; `{}` gives every default."""
    return HealthSettings.model_validate(section or {})
