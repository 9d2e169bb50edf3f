"""The `mrr` section of `hub.yaml`: when the daily snapshot runs and how currencies add up to one total.

MRR in two currencies cannot be added without an exchange rate, and the hub fetches none: the rates are
configuration. A currency without a rate is reported on its own and named as left out of the total, never summed
at a guessed rate.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from customer_hub.config import checked_cron

_CURRENCY = re.compile(r"^[A-Z]{3}$")


class MrrSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cron: str = Field("45 23 * * *", description="the daily snapshot (in automation.schedules.timezone)")
    currency: str = Field("USD", description="ISO code of `total_mrr`")
    exchange_rates: dict[str, float] = Field(
        default_factory=dict, description="ISO code -> how many `currency` units one unit is worth"
    )

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        return checked_cron(value)

    @field_validator("currency")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CURRENCY.match(value.strip().upper()):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (three letters, e.g. USD)")
        return value.strip().upper()

    @field_validator("exchange_rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        rates = {}
        for code, rate in value.items():
            if not _CURRENCY.match(code.strip().upper()):
                raise ValueError(f"{code!r} is not an ISO 4217 currency code (three letters, e.g. EUR)")
            if not rate > 0:
                raise ValueError(f"the rate of {code} must be above 0, not {rate}")
            rates[code.strip().upper()] = float(rate)
        return rates

    def rate(self, currency: str) -> float | None:
        """What one unit of `currency` is worth in the reporting currency, or None when no rate is configured."""
        return 1.0 if currency == self.currency else self.exchange_rates.get(currency)


def mrr_settings(section: dict | None) -> MrrSettings:
    """The validated section; `{}` gives a total in USD and no exchange rates."""
    return MrrSettings.model_validate(section or {})
