"""The incident lifecycle: a failing check alerts once, again (in its thread) only when it changes, and says so
when it recovers.

Called right after a check is evaluated, in the same place the check result is produced, so the decision uses the
result itself rather than a later reading of Dagster's event log. The decision and the queued alert are written in
one transaction: a crash cannot leave an incident marked as alerted without its alert in the outbox.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine

from customer_hub.alerts.links import Links
from customer_hub.alerts.messages import check_message
from customer_hub.quality.checks import CheckResult
from customer_hub.store import alert_store

log = logging.getLogger("customer_hub.alerts")


def _last(incident: dict) -> dict:
    """The stored last alerted state: {"state": ..., "figure": ...}."""
    try:
        value = json.loads(incident.get("last_value") or "{}")
    except json.JSONDecodeError:
        return {"state": incident.get("last_value"), "figure": incident.get("last_value")}
    return value if isinstance(value, dict) else {}


def observe(engine: Engine, result: CheckResult, links: Links, channel: str, now: datetime) -> str | None:
    """Update the incident of one check result; returns the kind of alert queued (opened, updated, resolved) or
    None when nothing is worth saying (still passing, still failing unchanged, or nothing was measured)."""
    if not result.alert:
        return None
    key = result.incident_key
    last_value = json.dumps({"state": result.state, "figure": result.figure})
    with engine.begin() as conn:
        incident = alert_store.get_incident(conn, key)
        is_open = incident is not None and incident["status"] == "open"
        if result.passed and not is_open:
            return None
        if not result.passed and not is_open:
            kind, message = "opened", check_message("opened", result, links, now)
            alert_store.save_incident(
                conn,
                key,
                status="open",
                opened_at=now,
                resolved_at=None,
                last_value=last_value,
                thread_ts=None,
                channel=channel,
            )
        elif not result.passed:
            previous = _last(incident)
            if previous.get("state") == result.state:
                return None
            kind = "updated"
            message = check_message("updated", result, links, now, previous_figure=previous.get("figure"))
            alert_store.save_incident(conn, key, last_value=last_value)
        else:
            kind, message = "resolved", check_message("resolved", result, links, now)
            alert_store.save_incident(conn, key, status="resolved", resolved_at=now, last_value=last_value)
        alert_store.enqueue(conn, kind, message, now, incident_key=key)
    log.info("alert queued: %s %s (%s)", kind, key, result.figure)
    return kind


def observe_all(
    engine: Engine, results: Iterable[CheckResult], links: Links, channel: str, now: datetime
) -> dict[str, str]:
    """Observe several results; returns incident key -> kind for those that queued an alert."""
    queued = {}
    for result in results:
        kind = observe(engine, result, links, channel, now)
        if kind:
            queued[result.incident_key] = kind
    return queued
