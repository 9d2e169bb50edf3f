"""Asana: projects of one workspace, the onboarding projects among them, creating one from a template, and the
tasks change control keeps in a project (one per schema change).

Incremental reads: Asana's `/events` needs a task, project or goal as its resource (its spec says so), not a
workspace, so it cannot report new projects without one sync token per project. The projects list has no
modified-since filter either, and `modified_at` does not move when a status update is posted (the project's
`current_status_update` changes, its `modified_at` does not), so filtering on it drops status changes. Every read
therefore lists every project and is complete: the sync engine lands by content hash, so only changed projects
are written, and projects that vanished are marked deleted on every run.

Onboarding naming convention (written by `onboarding_project_name`, read by `parse_project_name`):
    "Onboarding: <Company> [deal <HubSpot deal id>]"
e.g. "Onboarding: Acme Corp [deal 9876]". Asana has no idempotency key, so the deal marker in the name is what
find-before-create looks for. Projects created by hand before the hub existed follow looser habits, which are
read too: "<Company> – Onboarding", "<Company> onboarding" and "[Impl] <Company>".
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from customer_hub.config import SyncConfig, SystemConfig
from customer_hub.spokes.base import ConnectorBase, Page, StreamRead, next_page
from customer_hub.spokes.canonical import canonical, join_keys, shared_key
from customer_hub.spokes.http import ToolError, ToolResponseError, bearer_client
from customer_hub.timestamps import format_utc, later, parse_iso

log = logging.getLogger(__name__)

PAGE_LIMIT = 100
"""Asana's largest page."""
PROJECT_FIELDS = (
    "name",
    "created_at",
    "modified_at",
    "archived",
    "completed",
    "completed_at",
    "notes",
    "permalink_url",
    "team.name",
    "owner",
    "current_status_update.title",
    "custom_fields.name",
    "custom_fields.display_value",
)
TASK_FIELDS = ("name", "notes", "completed", "completed_at", "permalink_url")
"""What find-before-create reads of a project's tasks: the marker may be in the name or the notes."""
JOB_TIMEOUT_SECONDS = 120.0
"""How long template instantiation may take before the flow gives up (Asana usually needs a few seconds)."""

_NAME_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^\s*onboarding\s*:\s*(?P<company>.+?)\s*(?:\[\s*deal\s+(?P<deal>[^\]\s]+)\s*\])?\s*$",
        r"^\s*(?P<company>.+?)\s*[-\u2013\u2014:]\s*onboarding\s*$",
        r"^\s*(?P<company>.+?)\s+onboarding\s*$",
        r"^\s*\[\s*impl(?:ementation)?\s*\]\s*(?P<company>.+?)\s*$",
    )
)
_DEAL_FIELD = re.compile(r"\bdeal\b", re.IGNORECASE)
_DOMAIN_FIELD = re.compile(r"\b(domain|website)\b", re.IGNORECASE)


def onboarding_project_name(company: str, deal_id: str | int) -> str:
    """The name the onboarding flow gives a new project, e.g. 'Onboarding: Acme Corp [deal 9876]'."""
    return f"Onboarding: {company.strip()} {deal_marker(deal_id)}"


def deal_marker(deal_id: str | int) -> str:
    """The part of the name that identifies the deal, what find-before-create searches for."""
    return f"[deal {deal_id}]"


def parse_project_name(name: str) -> tuple[str | None, str | None]:
    """(company, deal id) of an onboarding project name; (None, None) for other projects."""
    for pattern in _NAME_PATTERNS:
        match = pattern.match(name or "")
        if match:
            return match.group("company"), match.groupdict().get("deal")
    return None, None


class AsanaConnector(ConnectorBase):
    """Reads a workspace's projects and instantiates onboarding projects from a template."""

    tool = "asana"
    objects = ("projects",)

    def __init__(
        self,
        config: SystemConfig,
        sync: SyncConfig,
        credentials: Mapping[str, str],
        engine: Engine | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.sync = sync
        self.workspace_gid = str(config.settings.get("workspace_gid") or "")
        self.team_gid = str(config.settings.get("team_gid") or "")
        self._sleep = sleep
        self.client = bearer_client(
            self.tool,
            config,
            sync,
            credentials,
            credential="access_token",
            default_env="ASANA_ACCESS_TOKEN",
        )

    # --- reads -------------------------------------------------------------------------------------------------

    def read_full(self, obj: str) -> StreamRead:
        """Every project of the workspace, archived ones included; the cursor is the newest `modified_at`."""
        self._check(obj)
        read = StreamRead(pages=iter(()), complete=True)
        started = datetime.now(UTC)

        def pages() -> Iterator[Page]:
            newest: datetime | None = None
            for records in self._project_pages(PROJECT_FIELDS):
                for record in records:
                    newest = later(newest, self.source_updated_at(obj, record))
                yield Page(records)
            read.cursor_after = format_utc(newest or started)

        read.pages = pages()
        return read

    def read_incremental(self, obj: str, cursor: str) -> StreamRead:
        """Every project again (see the module): there is no change feed `modified_at` could stand in for."""
        return self.read_full(obj)

    def count(self, obj: str) -> int | None:
        """Asana reports no totals; every read is a complete listing, which the sync engine counts instead."""
        self._check(obj)
        return None

    # --- writes for the onboarding flow ------------------------------------------------------------------------

    def find_project(self, name_or_marker: str) -> dict[str, Any] | None:
        """The first project whose name equals `name_or_marker` or contains it (e.g. a `deal_marker`).

        Archived projects count too: an archived onboarding project for the deal means it was done, not missing.
        """
        wanted = name_or_marker.strip().casefold()
        partial: dict[str, Any] | None = None
        for records in self._project_pages(("name", "archived", "permalink_url")):
            for record in records:
                name = str(record.get("name") or "").strip().casefold()
                if name == wanted:
                    return record
                if partial is None and wanted in name:
                    partial = record
        return partial

    def instantiate_template(self, template_gid: str, name: str, team_gid: str | None = None) -> dict[str, Any]:
        """A new project from a project template; waits for Asana's asynchronous job and returns the project.

        Not idempotent (Asana has no idempotency key): call `find_project` first. For the same reason a 5xx or a
        timeout is not retried here, since Asana may have started the job before failing.
        """
        data: dict[str, Any] = {"name": name, "is_strict": False}  # template date variables default to today
        team = team_gid or self.team_gid
        if team:
            data["team"] = team
        path = f"/project_templates/{template_gid}/instantiateProject"
        hint = "the onboarding template gid (automation section of hub.yaml)"
        body = self.client.post_json(path, json={"data": data}, setting_hint=hint, idempotent=False)
        job = _data(body, self.tool, f"POST {path}")
        return self._await_job(job, name)

    # --- tasks (change control's tickets) ------------------------------------------------------------------------

    def project_tasks(self, project_gid: str) -> Iterator[dict[str, Any]]:
        """Every task of a project, completed ones included (no `completed_since`): a completed ticket is found
        again instead of being created a second time."""
        params = {"limit": PAGE_LIMIT, "opt_fields": ",".join(TASK_FIELDS)}
        for records in self._pages(f"/projects/{project_gid}/tasks", params, "change_control.asana_project_gid"):
            yield from records

    def create_task(self, project_gid: str, name: str, notes: str) -> dict[str, Any]:
        """A task in the project. Not idempotent (no idempotency key) and so never retried after a timeout or a
        5xx: find it by its marker (`project_tasks`) before creating it again."""
        body = self.client.post_json(
            "/tasks",
            json={"data": {"name": name, "notes": notes, "projects": [project_gid]}},
            setting_hint="change_control.asana_project_gid",
            idempotent=False,
        )
        return _data(body, self.tool, "POST /tasks")

    def set_task_completed(self, task_gid: str, completed: bool) -> dict[str, Any]:
        """Complete (or reopen) a task; setting the same value twice is harmless, so this one is retried."""
        response = self.client.request("PUT", f"/tasks/{task_gid}", json={"data": {"completed": completed}})
        try:
            body = response.json()
        except ValueError:
            raise ToolResponseError(self.tool, "PUT /tasks/{gid}", "answer is not JSON") from None
        return _data(body, self.tool, "PUT /tasks/{gid}")

    # --- mapping -----------------------------------------------------------------------------------------------

    def source_id(self, obj: str, payload: dict[str, Any]) -> str:
        return str(payload["gid"])

    def source_updated_at(self, obj: str, payload: dict[str, Any]) -> datetime | None:
        return parse_iso(payload.get("modified_at"))

    def to_canonical(self, obj: str, payload: dict[str, Any]) -> dict[str, Any]:
        self._check(obj)
        return project_to_canonical(payload)

    # --- internals ---------------------------------------------------------------------------------------------

    def _project_pages(self, fields: tuple[str, ...]) -> Iterator[list[dict[str, Any]]]:
        params: dict[str, Any] = {"workspace": self.workspace_gid, "limit": PAGE_LIMIT, "opt_fields": ",".join(fields)}
        return self._pages("/projects", params, "systems.asana.settings.workspace_gid")

    def _pages(self, path: str, params: dict[str, Any], hint: str) -> Iterator[list[dict[str, Any]]]:
        """The `data` of every page of a list endpoint, following `next_page.offset`."""
        endpoint = f"GET {path}"
        while True:
            body = self.client.get_json(path, params=params, setting_hint=hint)
            records = body.get("data") if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise ToolResponseError(self.tool, endpoint, "page has no 'data' list")
            yield records
            following = (body.get("next_page") or {}).get("offset")
            offset = next_page(self.tool, endpoint, params.get("offset"), following)
            if not offset:  # an empty page that names a next one is followed, not taken for the end
                return
            params = {**params, "offset": offset}

    def _await_job(self, job: dict[str, Any], name: str) -> dict[str, Any]:
        """Poll the job until it succeeds (returning its new project) or fails, backing off up to 5 s a poll."""
        waited, pause = 0.0, 0.5
        while True:
            status = job.get("status")
            if status == "succeeded":
                project = job.get("new_project")
                if not isinstance(project, dict) or not project.get("gid"):
                    raise ToolResponseError(self.tool, "GET /jobs/{gid}", "job succeeded but names no new_project")
                log.info("asana: project %r created (gid %s)", name, project["gid"])
                return project
            if status == "failed":
                raise ToolError(
                    self.tool,
                    "GET /jobs/{gid}",
                    f"instantiating {name!r} failed (job {job.get('gid')})",
                    hint="check the template in Asana (it may need date variables or roles) and re-run the flow",
                )
            if waited >= JOB_TIMEOUT_SECONDS:
                raise ToolError(
                    self.tool,
                    "GET /jobs/{gid}",
                    f"job {job.get('gid')} still {status!r} after {waited:.0f} s",
                    hint="Asana is slow; the project may still appear: the next run finds it before creating another",
                )
            self._sleep(pause)
            waited += pause
            pause = min(pause * 2, 5.0)
            body = self.client.get_json(f"/jobs/{job.get('gid')}")
            job = _data(body, self.tool, "GET /jobs/{gid}")


def project_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """A project describes an account; onboarding projects name the company and the HubSpot deal."""
    company, deal = parse_project_name(payload.get("name") or "")
    custom_fields = payload.get("custom_fields") or []
    deal = deal or _custom_field(custom_fields, _DEAL_FIELD)
    if payload.get("archived"):
        status = "archived"
    elif payload.get("completed"):
        status = "completed"
    else:
        status = "active"
    return canonical(
        company_name=company,
        company_domain=_custom_field(custom_fields, _DOMAIN_FIELD),
        shared_keys=join_keys(shared_key("hubspot_deal", deal) if deal else None),
        is_account_only=True,
        project_name=payload.get("name"),
        project_status=status,
        status_update=(payload.get("current_status_update") or {}).get("title"),
        is_onboarding=company is not None,
        hubspot_deal_id=deal,
        team=(payload.get("team") or {}).get("name"),
        created_at=payload.get("created_at"),
        modified_at=payload.get("modified_at"),
        permalink_url=payload.get("permalink_url"),
    )


def _custom_field(fields: list[Any], name: re.Pattern[str]) -> str | None:
    """The value of the first custom field whose name matches, e.g. 'Customer domain' or 'HubSpot deal ID'."""
    for field in fields:
        if isinstance(field, dict) and name.search(str(field.get("name") or "")):
            value = str(field.get("display_value") or "").strip()
            if value:
                return value
    return None


def _data(body: Any, tool: str, endpoint: str) -> dict[str, Any]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise ToolResponseError(tool, endpoint, "answer has no 'data' object")
    return data
