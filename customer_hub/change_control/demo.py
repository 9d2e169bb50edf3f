"""What `make demo` shows of change control, against the sandbox.

A tool changes its schema (the sandbox's schema_drift fault renames an Asana project field and adds one), the
stream syncs and its drift check alerts; `schema_change_tickets` opens one Asana task per changed field and names
it in the alert's Slack thread; the weekly digest lists the open changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from customer_hub.alerts import deliver_pending, slack_target
from customer_hub.change_control.digest import patch_digest
from customer_hub.config import HubConfig
from customer_hub.store import change_store

DRIFT = {"asana": {"schema_drift": {"rename": {"notes": "notes_text"}, "add": {"priority": "high"}}}}
"""What the demo's vendor changes: Asana renames a project field and adds one."""

RunAssets = Callable[[list[str], str], bool]
"""Materialize asset keys (with their checks) as one run and print a line: the demo's `_run_assets`."""


def run_change_control_demo(sandbox: Any, engine: Engine, config: HubConfig, run_assets: RunAssets) -> bool:
    """Drift in Asana → its check's Slack alert → one ticket per changed field → the digest. True when every run
    succeeded (the drift check itself is meant to fail)."""
    sandbox.state.set_faults(DRIFT)
    try:
        print("Asana renames the project field notes → notes_text and adds priority (the sandbox's schema_drift fault)")
        run_assets(["asana_projects"], "asana_projects sync and its checks")
        ok = run_assets(["schema_change_tickets"], "schema_change_tickets")
    finally:
        sandbox.state.clear_faults()
    for row in change_store.read_changes(engine, change_store.OPEN):
        print(f"  ticket for {row['tool']} {row['object']}: {row['summary']} → {row['ticket_url'] or 'none'}")
    print(f"  Asana project 'Integration patches' now holds {len(sandbox.state.asana_tasks)} task(s)")
    delivered = deliver_pending(engine, slack_target(config.alerts))
    notes = [m for m in sandbox.state.slack_log()["messages"] if str(m.get("text", "")).startswith("Schema change")]
    print(f"  alerts delivered: {delivered.summary()}; ticket notes in the drift alert's thread: {len(notes)}")
    digest = patch_digest(engine, config, datetime.now(UTC))
    print(f"  weekly digest (Mondays): {digest['text']}")
    return ok
