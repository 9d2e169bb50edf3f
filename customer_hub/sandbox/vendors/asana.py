"""Asana REST API 1.0: offset-paged projects and tasks, template instantiation as an async job, creating and
completing tasks (change control's tickets), and sync-token events."""

from datetime import UTC, datetime
from typing import Any

from customer_hub.sandbox.clock import iso_ms
from customer_hub.sandbox.ids import SANDBOX_IDS, TOOL_PATHS
from customer_hub.sandbox.rate_limits import RateDecision
from customer_hub.sandbox.routing import Call, Reply, Route, VendorApi, decode_cursor, encode_cursor, int_arg
from customer_hub.sandbox.seeding.asana import OWNERS, TEAM, TEMPLATE, WORKSPACE, new_project
from customer_hub.sandbox.seeding.common import hex_id
from customer_hub.sandbox.store import Record

HELP = (
    "For more information on API status codes and how to handle them, read the docs on errors: "
    "https://developers.asana.com/docs/errors"
)
UNPAGINATED_MAX = 1000
EVENTS_PER_CALL = 100
COMPACT_FIELDS = ("gid", "resource_type", "name")
TASK_COMPACT_FIELDS = ("gid", "resource_type", "name", "resource_subtype")
TASK_WRITABLE = {"name", "notes", "completed", "due_on"}


def _error(status: int, message: str, **extra: Any) -> Reply:
    return Reply({"errors": [{"message": message, "help": HELP}]} | extra, status)


def _fields(record: Record, opt_fields: str | None, compact: tuple[str, ...] = COMPACT_FIELDS) -> Record:
    """The compact record, or gid and resource_type plus the fields named in opt_fields."""
    if not opt_fields:
        return {key: record[key] for key in compact}
    wanted = {name.split(".")[0] for name in opt_fields.split(",") if name}
    return {key: value for key, value in record.items() if key in wanted or key in ("gid", "resource_type")}


class AsanaApi(VendorApi):
    """app.asana.com/api/1.0 under /asana/api/1.0."""

    tool = "asana"
    prefix = TOOL_PATHS["asana"]

    def routes(self) -> list[Route]:
        base = self.prefix
        return [
            Route(f"{base}/projects", self.list_projects),
            Route(f"{base}/workspaces/<workspace_gid>/projects", self.list_projects),
            Route(f"{base}/teams/<team_gid>/projects", self.list_projects),
            Route(f"{base}/projects/<project_gid>", self.get_project),
            Route(f"{base}/project_templates/<template_gid>/instantiateProject", self.instantiate, ("POST",)),
            Route(f"{base}/jobs/<job_gid>", self.get_job),
            Route(f"{base}/events", self.events),
            Route(f"{base}/tasks", self.list_tasks),
            Route(f"{base}/projects/<project_gid>/tasks", self.list_tasks),
            Route(f"{base}/tasks", self.create_task, ("POST",)),
            Route(f"{base}/tasks/<task_gid>", self.get_task),
            Route(f"{base}/tasks/<task_gid>", self.update_task, ("PUT",), writes=True),
        ]

    def unauthorized(self, call: Call, revoked: bool) -> Reply:
        return _error(401, "Not Authorized")

    def rate_limited(self, decision: RateDecision | None) -> Reply:
        reply = _error(429, "You have made too many requests recently. Please, be chill.")
        reply.headers["Retry-After"] = str(decision.retry_after if decision else 1)
        return reply

    def server_error(self, status: int) -> Reply:
        return Reply({"errors": [{"message": "Server Error", "phrase": "6 sad squid snuggle softly"}]}, status)

    def not_found(self, call: Call) -> Reply:
        return _error(404, "Not Found")

    def list_projects(self, call: Call, workspace_gid: str | None = None, team_gid: str | None = None) -> Reply:
        args = call.request.args
        workspace = workspace_gid or args.get("workspace")
        team = team_gid or args.get("team")
        if workspace is None and team is None:
            return _error(400, "Must specify exactly one of workspace or team")
        if (workspace and workspace != SANDBOX_IDS["asana_workspace_gid"]) or (team and team != TEAM["gid"]):
            return _error(404, f"workspace: Unknown object: {workspace or team}")
        archived = args.get("archived")
        projects = [
            project
            for project in call.state.stream("asana", "projects")
            if archived is None or project["archived"] == (archived.lower() == "true")
        ]
        return self._paged(call, projects, COMPACT_FIELDS)

    def _paged(self, call: Call, records: list[Record], compact: tuple[str, ...]) -> Reply:
        """One page of a list endpoint: `limit` and `offset` as Asana pages, or everything when no limit is given."""
        args = call.request.args
        limit = int_arg(args.get("limit"), 0)
        if limit is None or (args.get("limit") is not None and not 1 <= limit <= 100):
            return _error(400, "limit: Value must be between 1 and 100")
        opt_fields = args.get("opt_fields")
        if not limit:
            if len(records) > UNPAGINATED_MAX:
                return _error(
                    400, "The result is too large. You should use pagination (may require specifying a workspace)!"
                )
            return Reply({"data": [call.drift(_fields(record, opt_fields, compact)) for record in records]}, page=True)
        try:
            start = decode_cursor(args["offset"])[0] if args.get("offset") else 0
        except (ValueError, TypeError, IndexError):
            return _error(400, "offset: Your pagination token is invalid.")
        empty = start < len(records) and call.state.faults.take_empty_page(self.tool)
        page = [] if empty else records[start : start + limit]
        next_page = None
        if empty or start + limit < len(records):
            token = encode_cursor([start, call.state.clock.now_ms()] if empty else [start + limit])
            query = "&".join(f"{key}={value}" for key, value in args.items() if key != "offset")
            path = f"{call.request.path.removeprefix(self.prefix)}?{query}&offset={token}"
            next_page = {"offset": token, "path": path, "uri": f"{call.base_url}{path}"}
        return Reply(
            {"data": [call.drift(_fields(record, opt_fields, compact)) for record in page], "next_page": next_page},
            page=True,
        )

    def get_project(self, call: Call, project_gid: str) -> Reply:
        project = call.state.stream("asana", "projects").get(project_gid)
        if project is None:
            return _error(404, f"project: Unknown object: {project_gid}")
        opt_fields = call.request.args.get("opt_fields")
        return Reply({"data": call.drift(_fields(project, opt_fields) if opt_fields else project)})

    def instantiate(self, call: Call, template_gid: str) -> Reply:
        if template_gid != TEMPLATE["gid"]:
            return _error(404, f"project_template: Unknown object: {template_gid}")
        body = call.json_body()
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not data.get("name"):
            return _error(400, "name: Missing input")
        if data.get("team") != TEAM["gid"]:
            return _error(
                400, "team: Missing input" if not data.get("team") else f"team: Not a recognized ID: {data['team']}"
            )
        state = call.state
        now_ms = state.clock.now_ms()
        gid = state.next_id("asana", "projects")
        project = new_project(
            gid,
            str(data["name"]),
            now_ms // 1000,
            now_ms // 1000,
            OWNERS[0],
            "Onboarding checklist: kickoff, data migration, training, go-live.",
            True,
            None,
            False,
        )
        project["public"] = bool(data.get("public", False))
        state.stream("asana", "projects").add(gid, project, now_ms)
        state.written["asana_projects"].append(project)
        job_gid = str(1207000000000001 + len(state.asana_jobs))
        job = {
            "gid": job_gid,
            "resource_type": "job",
            "resource_subtype": "instantiate_project",
            "status": "in_progress",
            "new_project": {"gid": gid, "name": project["name"], "resource_type": "project"},
            "new_task": None,
        }
        state.asana_jobs[job_gid] = job
        return Reply({"data": dict(job)}, 201)

    def get_job(self, call: Call, job_gid: str) -> Reply:
        job = call.state.asana_jobs.get(job_gid)
        if job is None:
            return _error(404, f"job: Unknown object: {job_gid}")
        job["status"] = "succeeded"
        return Reply({"data": dict(job)})

    def events(self, call: Call) -> Reply:
        state = call.state
        resource = call.request.args.get("resource")
        if not resource or state.stream("asana", "projects").get(resource) is None:
            return _error(400, f"resource: Not a recognized ID: {resource}")
        sync = call.request.args.get("sync")
        if sync not in state.asana_sync_tokens:
            return _error(
                412,
                "Sync token invalid or too old. If you are attempting to keep resources in sync, you "
                "must fetch the full dataset for this query now and use the new sync token for the "
                "next sync.",
                sync=self._issue_token(call, len(state.asana_events)),
            )
        seen = state.asana_sync_tokens[sync]
        found: list[Record] = []
        position = seen
        while position < len(state.asana_events) and len(found) < EVENTS_PER_CALL:
            gid, event = state.asana_events[position]
            if gid == resource:
                found.append(event)
            position += 1
        has_more = any(gid == resource for gid, _ in state.asana_events[position:])
        return Reply({"data": found, "sync": self._issue_token(call, position), "has_more": has_more})

    def _issue_token(self, call: Call, position: int) -> str:
        token = hex_id(call.state.rng, 32)
        call.state.asana_sync_tokens[token] = position
        return token

    # --- tasks -------------------------------------------------------------------------------------------------

    def list_tasks(self, call: Call, project_gid: str | None = None) -> Reply:
        """A project's tasks in creation order; `completed_since` keeps the open ones and those completed since."""
        args = call.request.args
        project_gid = project_gid or args.get("project")
        if not project_gid:
            return _error(
                400, "Must specify exactly one of project, tag, section, user task list, or assignee + workspace"
            )
        if call.state.stream("asana", "projects").get(project_gid) is None:
            return _error(404, f"project: Unknown object: {project_gid}")
        tasks = [task for task in call.state.asana_tasks.values() if project_gid in _project_gids(task)]
        since = args.get("completed_since")
        if since:
            try:
                cutoff = datetime.now(UTC) if since == "now" else _moment(since)
            except ValueError:
                return _error(400, f"completed_since: Not a valid date-time: {since}")
            tasks = [
                task
                for task in tasks
                if not task["completed"]
                or datetime.fromisoformat(task["completed_at"].replace("Z", "+00:00")) >= cutoff
            ]
        return self._paged(call, tasks, TASK_COMPACT_FIELDS)

    def create_task(self, call: Call) -> Reply:
        """A task in the projects named; the answer can arrive late (the `late_replies` fault), after it was made."""
        body = call.json_body()
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            return _error(400, "data: Missing input")
        projects = data.get("projects") or []
        if not isinstance(projects, list) or not projects:
            return _error(400, "workspace: Missing input")
        stream = call.state.stream("asana", "projects")
        unknown = [gid for gid in projects if stream.get(str(gid)) is None]
        if unknown:
            return _error(400, f"projects: [0]: Not a recognized ID: {unknown[0]}")
        extra = sorted(set(data) - TASK_WRITABLE - {"projects", "workspace"})
        if extra:
            return _error(400, f"{extra[0]}: Unknown property")
        state = call.state
        now = iso_ms(state.clock.now_ms())
        state.asana_task_gid += 1
        gid = str(state.asana_task_gid)
        compact = [{key: stream.get(str(p))[key] for key in COMPACT_FIELDS} for p in projects]
        task = {
            "gid": gid,
            "resource_type": "task",
            "resource_subtype": "default_task",
            "name": str(data.get("name") or ""),
            "notes": str(data.get("notes") or ""),
            "completed": bool(data.get("completed", False)),
            "completed_at": now if data.get("completed") else None,
            "created_at": now,
            "modified_at": now,
            "due_on": data.get("due_on"),
            "assignee": None,
            "projects": compact,
            "workspace": WORKSPACE,
            "permalink_url": f"https://app.asana.com/0/{projects[0]}/{gid}",
        }
        state.asana_tasks[gid] = task
        state.written["asana_tasks"].append(task)
        late = state.faults.take_late_reply(self.tool)  # made already: a client that gave up may send it again
        return Reply({"data": dict(task)}, 201, late_seconds=late)

    def get_task(self, call: Call, task_gid: str) -> Reply:
        task = call.state.asana_tasks.get(task_gid)
        if task is None:
            return _error(404, f"task: Unknown object: {task_gid}")
        return Reply({"data": dict(task)})

    def update_task(self, call: Call, task_gid: str) -> Reply:
        """Change a task's name, notes, due date or completion; completing sets `completed_at`."""
        task = call.state.asana_tasks.get(task_gid)
        if task is None:
            return _error(404, f"task: Unknown object: {task_gid}")
        body = call.json_body()
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            return _error(400, "data: Missing input")
        extra = sorted(set(data) - TASK_WRITABLE)
        if extra:
            return _error(400, f"{extra[0]}: Unknown property")
        now = iso_ms(call.state.clock.now_ms())
        if "completed" in data and bool(data["completed"]) != task["completed"]:
            task["completed_at"] = now if data["completed"] else None
        task.update({key: value for key, value in data.items() if key != "completed"}, modified_at=now)
        task["completed"] = bool(data.get("completed", task["completed"]))
        return Reply({"data": dict(task)})


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _project_gids(task: Record) -> set[str]:
    return {project["gid"] for project in task["projects"]}
