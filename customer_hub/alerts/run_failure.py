"""One alert per failed Dagster run: the job, the step that failed and the error, with secrets removed."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine

from customer_hub.alerts.links import links_for
from customer_hub.alerts.messages import run_failure_message
from customer_hub.alerts.redact import redact, secret_values
from customer_hub.config import HubConfig
from customer_hub.store import alert_store

log = logging.getLogger("customer_hub.alerts")

ERROR_LIMIT = 1500


def alert_on_run_failure(
    engine: Engine,
    config: HubConfig,
    *,
    run_id: str,
    job_name: str,
    step_key: str | None,
    error: str,
    now: datetime,
) -> int | None:
    """Queue the alert for a failed run; returns its outbox id, or None when this run was already alerted
    (a sensor that restarts may see the same failure twice)."""
    key = f"run_failure:{run_id}"
    if alert_store.has_alert(engine, key):
        return None
    clean = redact(error, secret_values(config))[:ERROR_LIMIT]
    message = run_failure_message(job_name, run_id, step_key, clean, links_for(config), now)
    with engine.begin() as conn:
        alert_id = alert_store.enqueue(conn, "run_failure", message, now, incident_key=key)
    log.info("alert queued: run failure of %s (run %s, step %s)", job_name, run_id, step_key)
    return alert_id
