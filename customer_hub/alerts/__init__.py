"""Slack alerts: Block Kit messages, the incident lifecycle, the outbox and its delivery."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from customer_hub.alerts.delivery import DeliveryReport, deliver_pending
from customer_hub.alerts.digest import duplicate_digest, queue_duplicate_digest
from customer_hub.alerts.incidents import observe, observe_all
from customer_hub.alerts.run_failure import alert_on_run_failure
from customer_hub.alerts.slack import SlackTarget, slack_target
from customer_hub.store import alert_store


def posted_alerts(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """The newest alerts, newest first: when, what kind, about what, the text, and whether Slack has it."""
    return [
        {
            "id": row["id"],
            "created_at": row["created_at"],
            "kind": row["kind"],
            "incident_key": row["incident_key"],
            "status": row["status"],
            "text": row["message"].get("text", ""),
            "slack_ts": row["slack_ts"],
            "attempts": row["attempts"],
            "last_error": row["last_error"],
        }
        for row in alert_store.recent_alerts(engine, limit)
    ]


__all__ = [
    "DeliveryReport",
    "SlackTarget",
    "alert_on_run_failure",
    "deliver_pending",
    "duplicate_digest",
    "observe",
    "observe_all",
    "posted_alerts",
    "queue_duplicate_digest",
    "slack_target",
]
