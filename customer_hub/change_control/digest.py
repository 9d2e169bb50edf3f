"""The weekly integration-patch digest: the schema changes still open, with their age and owner, in one Slack
message through the alert outbox (so a Slack outage delays it instead of losing it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from customer_hub.alerts.change_control import patch_digest_message
from customer_hub.alerts.links import links_for
from customer_hub.change_control.changes import digest_lines
from customer_hub.change_control.tickets import track_changes
from customer_hub.config import HubConfig
from customer_hub.store import alert_store, change_store


def patch_digest(engine: Engine, config: HubConfig, now: datetime) -> dict[str, Any]:
    """The digest message (text + blocks) of the open changes as the hub store tracks them."""
    owners = {tool: system.owner for tool, system in config.systems.items()}
    lines = digest_lines(change_store.read_changes(engine, change_store.OPEN), owners, now)
    return patch_digest_message(lines, links_for(config), now)


def queue_patch_digest(engine: Engine, config: HubConfig, now: datetime) -> int:
    """Track the changes drift finds now, then queue this week's digest; returns its outbox id."""
    track_changes(engine, config, now)
    message = patch_digest(engine, config, now)
    with engine.begin() as conn:
        return alert_store.enqueue(conn, "digest", message, now, incident_key=f"patch_digest:{now:%Y-%m-%d}")
