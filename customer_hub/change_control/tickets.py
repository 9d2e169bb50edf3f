"""Change control over the hub store and Asana: track the schema changes drift finds, keep one ticket per change.

`track_changes` reconciles the changes drift finds now with those the hub tracks (new ones open, gone ones
resolve, returning ones reopen). `sync_tickets` then brings Asana in line, one change at a time, writing each
outcome to the hub store straight after the call that caused it:
- an open change without a ticket: the project's tasks are searched for its marker first (a create whose answer
  was lost did create the task), and a task is created only when none carries it;
- a resolved change whose ticket is open: the task is completed; a change that comes back reopens its task;
- a task a person deleted in Asana is forgotten: a resolved change needs none, a returning one gets a new one.
Asana offers no idempotency key for tasks, so a create is never retried blindly: a timeout is recorded and the
next run finds the task by its marker. The sync runs in the `asana` pool, one at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine

from customer_hub.alerts.change_control import TICKET_KIND, ticket_note
from customer_hub.alerts.links import ui_address
from customer_hub.change_control.changes import (
    Reconciliation,
    changes_of,
    find_ticket,
    marker_of,
    reconcile,
    ticket_name,
    ticket_notes,
)
from customer_hub.config import HubConfig
from customer_hub.quality.reports import schema_drifts
from customer_hub.quality.settings import quality_settings
from customer_hub.spokes.http import ToolError, ToolNotFoundError
from customer_hub.store import alert_store, change_store

log = logging.getLogger(__name__)

NO_TICKET = "none"
"""ticket_state of a change resolved before any task was made for it: nothing to complete, nothing to look up."""


class TaskClient(Protocol):
    """What change control needs of Asana (`customer_hub.spokes.asana.AsanaConnector` provides it)."""

    def project_tasks(self, project_gid: str) -> Iterable[dict[str, Any]]: ...

    def create_task(self, project_gid: str, name: str, notes: str) -> dict[str, Any]: ...

    def set_task_completed(self, task_gid: str, completed: bool) -> dict[str, Any]: ...


@dataclass
class TicketReport:
    """What one ticket sync did in Asana, by change summary."""

    created: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    """Changes whose task a person deleted in Asana: a closed one needs none, an open one got a new one."""
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"{len(getattr(self, name))} {name}" for name in ("created", "found", "completed", "reopened", "deleted")
        ]
        text = "tickets: " + ", ".join(parts)
        return text + (f"; {len(self.errors)} failed, first: {self.errors[0]}" if self.errors else "")


def track_changes(engine: Engine, config: HubConfig, now: datetime) -> Reconciliation:
    """Reconcile the field changes schema drift finds now with the tracked ones, in the hub store."""
    drifts = schema_drifts(engine, ignore=quality_settings(config).drift_ignore)
    found = reconcile(changes_of(drifts), change_store.read_changes(engine))
    change_store.save_changes(
        engine,
        [change.row() for change in found.opened],
        [change.row() for change in found.reopened],
        [change.row() for change in found.seen],
        found.resolved,
        now,
    )
    return found


def _needs_asana(row: Mapping[str, Any]) -> bool:
    if row["status"] == change_store.OPEN:
        return row["ticket_gid"] is None or row["ticket_state"] != "open"
    return row["ticket_state"] not in ("completed", NO_TICKET)


def _title(row: Mapping[str, Any]) -> str:
    return f"{row['tool']} {row['object']}: {row['summary']}"


def sync_tickets(engine: Engine, asana: TaskClient, project_gid: str, config: HubConfig, now: datetime) -> TicketReport:
    """Bring the Asana tickets in line with the tracked changes (see the module). A failure is recorded on its
    change and in the report; the other changes go on."""
    report = TicketReport()
    work = [row for row in change_store.read_changes(engine) if _needs_asana(row)]
    tasks: list[dict[str, Any]] = []
    if any(row["ticket_gid"] is None for row in work):
        try:
            tasks = list(asana.project_tasks(project_gid))
        except ToolError as error:
            for row in work:
                if row["ticket_gid"] is None:
                    change_store.record_ticket_error(engine, row["change_key"], f"listing the project: {error}", now)
            report.errors.append(f"listing the tasks of project {project_gid}: {error}")
            work = [row for row in work if row["ticket_gid"] is not None]
    for row in work:
        try:
            _sync_one(engine, asana, project_gid, config, row, tasks, now, report)
        except ToolError as error:
            change_store.record_ticket_error(engine, row["change_key"], str(error), now)
            report.errors.append(f"{_title(row)}: {error}")
            log.warning("change control: %s: %s", _title(row), error)
    return report


def _sync_one(
    engine: Engine,
    asana: TaskClient,
    project_gid: str,
    config: HubConfig,
    row: Mapping[str, Any],
    tasks: list[dict[str, Any]],
    now: datetime,
    report: TicketReport,
) -> None:
    key, title = row["change_key"], _title(row)
    is_open = row["status"] == change_store.OPEN
    gid = row["ticket_gid"]
    if gid is None:
        task = find_ticket(tasks, marker_of(row))
        if task is None and not is_open:
            change_store.record_ticket(engine, key, None, None, NO_TICKET, now)
            return
        created = task is None
        if task is None:
            task = asana.create_task(project_gid, ticket_name(row), ticket_notes(row, _owner(config, row), _ui(config)))
            tasks.append(task)
        (report.created if created else report.found).append(title)
        gid, url = str(task["gid"]), task.get("permalink_url")
        if bool(task.get("completed")) != (not is_open):
            asana.set_task_completed(gid, not is_open)
            (report.reopened if is_open else report.completed).append(title)
        change_store.record_ticket(engine, key, gid, url, "open" if is_open else "completed", now)
        if is_open:
            _note_in_incident(engine, config, row, url, created, now)
        return
    try:
        asana.set_task_completed(gid, not is_open)
    except ToolNotFoundError:  # a person deleted the task: forgotten; a closed change needs none, an open one a new one
        log.info("change control: %s: task %s was deleted in Asana%s", title, gid, "; a new one" if is_open else "")
        report.deleted.append(title)
        change_store.record_ticket(engine, key, None, None, None if is_open else NO_TICKET, now)
        if is_open:
            forgotten = {**row, "ticket_gid": None, "ticket_url": None, "ticket_state": None}
            tasks = list(asana.project_tasks(project_gid))  # the marker may be on a task a lost answer created
            _sync_one(engine, asana, project_gid, config, forgotten, tasks, now, report)
        return
    (report.reopened if is_open else report.completed).append(title)
    change_store.record_ticket(engine, key, gid, row["ticket_url"], "open" if is_open else "completed", now)


def _owner(config: HubConfig, row: Mapping[str, Any]) -> str:
    system = config.systems.get(row["tool"])
    return system.owner if system else config.hub.owner


def _ui(config: HubConfig) -> str:
    return ui_address(config.alerts).url


def _note_in_incident(
    engine: Engine, config: HubConfig, row: Mapping[str, Any], url: str | None, created: bool, now: datetime
) -> None:
    """Name the ticket in the thread of the stream's open schema-drift incident, so the Slack alert and the task
    point at each other; without an open incident there is no thread to answer in."""
    key = f"schema_drift:{row['tool']}_{row['object']}"
    with engine.begin() as conn:
        incident = alert_store.get_incident(conn, key)
        if incident is None or incident["status"] != "open":
            return
        message = ticket_note(row, url, _owner(config, row), created)
        alert_store.enqueue(conn, TICKET_KIND, message, now, incident_key=key)
