"""Delivering the outbox: every alert not yet in Slack, oldest first, thread replies after their opening message.

A pass stops at the first failure that would hit every next message too (Slack down, token or channel wrong);
those alerts stay queued with the error and are retried on the next pass, in the same order. A reply whose opening
message is still queued waits for it, so it lands in the right thread once Slack is back. With no Slack
configured, alerts stay in the outbox marked `not_configured` and are written to the log once, clearly marked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from customer_hub.alerts.slack import SendOutcome, SlackSender, SlackTarget
from customer_hub.store import alert_store

log = logging.getLogger("customer_hub.alerts")

REPLIES = ("updated", "resolved", "ticket")
"""Kinds posted in their incident's thread (`ticket`: change control naming the Asana task of a schema change)."""


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    target: str
    delivered: int = 0
    failed: int = 0
    waiting: int = 0
    not_configured: int = 0
    undeliverable: int = 0
    errors: list[str] = field(default_factory=list)
    delivered_ids: list[int] = field(default_factory=list)
    """The outbox ids this pass delivered, oldest first (the demo prints those messages)."""

    def summary(self) -> str:
        parts = [f"{self.delivered} delivered"]
        for name in ("failed", "waiting", "not_configured", "undeliverable"):
            if getattr(self, name):
                parts.append(f"{getattr(self, name)} {name.replace('_', ' ')}")
        text = ", ".join(parts) + f" (to {self.target})"
        return text + (f"; last error: {self.errors[-1]}" if self.errors else "")


def _log_unconfigured(row: dict[str, Any], target: SlackTarget) -> None:
    log.warning(
        "SLACK NOT CONFIGURED: alert #%d (%s %s) kept in the outbox, not sent. Set $%s or $%s to deliver it. "
        "Alert text: %s",
        row["id"],
        row["kind"],
        row["incident_key"] or "",
        target.token_env,
        target.webhook_env,
        row["message"].get("text", ""),
    )


def _thread_of(engine: Engine, row: dict[str, Any]) -> tuple[bool, str | None]:
    """(ready, thread_ts) for an alert: replies wait until their opening message is delivered."""
    if row["kind"] not in REPLIES or not row["incident_key"]:
        return True, None
    opening = alert_store.opening_alert(engine, row["incident_key"], row["id"])
    if opening is None or opening["status"] == alert_store.UNDELIVERABLE:
        return True, None
    if opening["status"] != alert_store.DELIVERED:
        return False, None
    return True, opening["slack_ts"]


def deliver_pending(
    engine: Engine, target: SlackTarget, now: datetime | None = None, sender: SlackSender | None = None
) -> DeliveryReport:
    """Send every queued alert that can be sent now; returns what happened. One pass at a time per hub store:
    a second caller waits for the first (up to 30 s), then sends whatever is still queued."""
    report = DeliveryReport(target=target.describe())
    with alert_store.delivery_lock(engine) as locked:
        if not locked:
            report.errors.append("another delivery pass is still running; alerts stay queued for the next pass")
            return report
        if target.mode == "none":
            _keep_unconfigured(engine, target, report)
        else:
            _deliver(engine, target, sender or SlackSender(target), now, report)
    return report


def _keep_unconfigured(engine: Engine, target: SlackTarget, report: DeliveryReport) -> None:
    for row in alert_store.to_deliver(engine):
        report.not_configured += 1
        if row["status"] != alert_store.NOT_CONFIGURED:
            _log_unconfigured(row, target)
            alert_store.mark_attempt(engine, row["id"], alert_store.NOT_CONFIGURED, "no Slack configured", False)


def _deliver(
    engine: Engine, target: SlackTarget, sender: SlackSender, now: datetime | None, report: DeliveryReport
) -> None:
    rows = alert_store.to_deliver(engine)
    for index, row in enumerate(rows):
        ready, thread_ts = _thread_of(engine, row)
        if not ready:
            report.waiting += 1
            continue
        earlier = _earlier_post(sender, row, thread_ts)
        if earlier:
            log.warning("alert #%d was already in Slack (an earlier reply was lost): not posted again", row["id"])
            alert_store.mark_delivered(engine, row["id"], earlier, target.channel, now or datetime.now(UTC))
            report.delivered += 1
            report.delivered_ids.append(row["id"])
            continue
        outcome = _send(sender, row, thread_ts)
        if outcome.ok:
            alert_store.mark_delivered(engine, row["id"], outcome.ts, target.channel, now or datetime.now(UTC))
            report.delivered += 1
            report.delivered_ids.append(row["id"])
            continue
        report.errors.append(outcome.error or "unknown error")
        if outcome.rejected:
            alert_store.mark_attempt(engine, row["id"], alert_store.UNDELIVERABLE, outcome.error)
            report.undeliverable += 1
            log.error("alert #%d rejected by Slack and dropped from delivery: %s", row["id"], outcome.error)
            continue
        alert_store.mark_attempt(engine, row["id"], alert_store.FAILED, outcome.error)
        report.failed += 1
        log.error(
            "alert #%d not delivered: %s. %d alerts stay queued for the next pass.",
            row["id"],
            outcome.error,
            len(rows) - index,
        )
        if outcome.stop:
            break


def alert_id(row: dict[str, Any]) -> str:
    """The id an alert carries in Slack's message metadata: the outbox id and when it was raised (unique even when
    two hubs share a channel and their outbox ids collide)."""
    return f"{row['id']}@{row['created_at'].isoformat()}"


def _earlier_post(sender: SlackSender, row: dict[str, Any], thread_ts: str | None) -> str | None:
    """For an alert an earlier attempt may have posted (its reply lost), the ts Slack gave that post, or None."""
    if not row["attempts"]:
        return None
    return sender.find_posted(alert_id(row), thread_ts, row["created_at"].timestamp() - 60)


def _send(sender: SlackSender, row: dict[str, Any], thread_ts: str | None) -> SendOutcome:
    """Post one alert; a message Slack rejects for its blocks is sent once more as plain text. Should that retry
    fail for another reason (Slack gone, token revoked), its outcome counts, so the alert stays queued."""
    message = row["message"]
    outcome = sender.send(message, thread_ts, alert_id(row))
    if outcome.rejected and message.get("blocks"):
        retry = sender.send({"text": message["text"]}, thread_ts, alert_id(row))
        if retry.ok or not retry.rejected:
            return retry
    return outcome
