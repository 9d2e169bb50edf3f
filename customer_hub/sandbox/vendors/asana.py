"""Asana REST API 1.0: offset-paged projects, template instantiation as an async job, and sync-token events."""

from typing import Any

from customer_hub.sandbox.ids import SANDBOX_IDS, TOOL_PATHS
from customer_hub.sandbox.rate_limits import RateDecision
from customer_hub.sandbox.routing import Call, Reply, Route, VendorApi, decode_cursor, encode_cursor, int_arg
from customer_hub.sandbox.seeding.asana import OWNERS, TEAM, TEMPLATE, new_project
from customer_hub.sandbox.seeding.common import hex_id
from customer_hub.sandbox.store import Record

HELP = (
    "For more information on API status codes and how to handle them, read the docs on errors: "
    "https://developers.asana.com/docs/errors"
)
UNPAGINATED_MAX = 1000
EVENTS_PER_CALL = 100
COMPACT_FIELDS = ("gid", "resource_type", "name")


def _error(status: int, message: str, **extra: Any) -> Reply:
    return Reply({"errors": [{"message": message, "help": HELP}]} | extra, status)


def _fields(record: Record, opt_fields: str | None) -> Record:
    """The compact record, or gid and resource_type plus the fields named in opt_fields."""
    if not opt_fields:
        return {key: record[key] for key in COMPACT_FIELDS}
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
        limit = int_arg(args.get("limit"), 0)
        if limit is None or (args.get("limit") is not None and not 1 <= limit <= 100):
            return _error(400, "limit: Value must be between 1 and 100")
        opt_fields = args.get("opt_fields")
        if not limit:
            if len(projects) > UNPAGINATED_MAX:
                return _error(
                    400, "The result is too large. You should use pagination (may require specifying a workspace)!"
                )
            return Reply({"data": [call.drift(_fields(project, opt_fields)) for project in projects]}, page=True)
        try:
            start = decode_cursor(args["offset"])[0] if args.get("offset") else 0
        except (ValueError, TypeError, IndexError):
            return _error(400, "offset: Your pagination token is invalid.")
        empty = start < len(projects) and call.state.faults.take_empty_page(self.tool)
        page = [] if empty else projects[start : start + limit]
        next_page = None
        if empty or start + limit < len(projects):
            token = encode_cursor([start, call.state.clock.now_ms()] if empty else [start + limit])
            query = "&".join(f"{key}={value}" for key, value in args.items() if key != "offset")
            path = f"{call.request.path.removeprefix(self.prefix)}?{query}&offset={token}"
            next_page = {"offset": token, "path": path, "uri": f"{call.base_url}{path}"}
        return Reply(
            {"data": [call.drift(_fields(project, opt_fields)) for project in page], "next_page": next_page}, page=True
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
