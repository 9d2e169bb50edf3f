"""The nightly duplicate report: everything the steward should look at, in one message rather than one per record."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from customer_hub.alerts.links import links_for
from customer_hub.alerts.messages import digest_message
from customer_hub.config import HubConfig, cached_config
from customer_hub.golden.review import auto_merge_threshold
from customer_hub.quality.reports import double_billing_report, duplicate_groups, open_pairs
from customer_hub.quality.settings import quality_settings
from customer_hub.store import alert_store


def duplicate_digest(engine: Engine, config: HubConfig | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The digest message (text + blocks): duplicates within tools, open match candidates, customers billed twice."""
    config = config or cached_config()
    settings = quality_settings(config)
    return digest_message(
        duplicate_groups(engine, settings),
        open_pairs(engine, auto_merge_threshold(config)),
        double_billing_report(engine),
        links_for(config),
        now or datetime.now(UTC),
    )


def queue_duplicate_digest(engine: Engine, config: HubConfig, now: datetime) -> int:
    """Put tonight's digest in the outbox; returns its id. Delivery is the outbox's job, as for every alert."""
    message = duplicate_digest(engine, config, now)
    with engine.begin() as conn:
        return alert_store.enqueue(conn, "digest", message, now, incident_key=f"digest:{now:%Y-%m-%d}")
