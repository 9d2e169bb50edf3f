"""The daily health run: score every golden customer from its 360 view and keep the day in the history.

The scoring rules are in `scoring` (pure); this module only feeds them from the hub store and saves the result, so
the Dagster asset, the demo and the tests run the same code.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from customer_hub.automation.settings import automation_settings
from customer_hub.config import HubConfig
from customer_hub.customer_health.scoring import Health, score_customer
from customer_hub.customer_health.settings import BANDS, health_settings
from customer_hub.store import customer_health_store
from customer_hub.store.golden_store import all_360


@dataclass(frozen=True)
class HealthRun:
    """One day's scores and the bands the customers were in on the day scored before."""

    day: str
    scores: list[Health]
    previous: dict[str, str]

    def band_counts(self) -> dict[str, int]:
        counts = Counter(health.band for health in self.scores)
        return {band: counts.get(band, 0) for band in BANDS}

    def newly_at_risk(self) -> list[Health]:
        """Customers at risk today that were not the day before (a customer new to the hub counts as new)."""
        return [
            health
            for health in self.scores
            if health.band == "at_risk" and self.previous.get(health.golden_customer_id) != "at_risk"
        ]

    def signal_counts(self) -> dict[str, int]:
        """How many customers each signal hit: which problem costs the book most health."""
        return dict(Counter(signal.name for health in self.scores for signal in health.signals).most_common())


def score_customers(engine: Engine, config: HubConfig, now: datetime | None = None) -> HealthRun:
    """Score every customer in customer_360 as of `now`, save the scores and the day's history, return them."""
    now = now or datetime.now(UTC)
    day = now.date().isoformat()
    settings = health_settings(config.customer_health)
    limit = automation_settings(config.automation).onboarding.latency_max_minutes
    flows = customer_health_store.onboarding_flows_by_customer(engine)
    scores = [
        score_customer(
            view,
            settings,
            now,
            onboarding_flows=flows.get(view["golden_customer_id"], ()),
            onboarding_limit_minutes=limit,
        )
        for view in all_360(engine)
    ]
    previous = customer_health_store.previous_bands(engine, day)
    customer_health_store.save_scores(engine, day, scores, previous, now)
    return HealthRun(day=day, scores=scores, previous=previous)
