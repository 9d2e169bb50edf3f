"""Intercom 2.x: cursor-paged contacts and conversations, their day-granular search, contact update and create."""

import math
import uuid
from typing import Any

from customer_hub.sandbox.rate_limits import RateDecision
from customer_hub.sandbox.routing import Call, Reply, Route, VendorApi, decode_cursor, encode_cursor, int_arg
from customer_hub.sandbox.store import Record
from customer_hub.sandbox.writes import intercom_conflict, intercom_contact_create, intercom_contact_update

VERSIONS = {
    "1.0",
    "1.1",
    "1.2",
    "1.3",
    "1.4",
    "2.0",
    "2.1",
    "2.2",
    "2.3",
    "2.4",
    "2.5",
    "2.6",
    "2.7",
    "2.8",
    "2.9",
    "2.10",
    "2.11",
    "2.12",
    "2.13",
    "2.14",
    "2.15",
    "2.16",
    "Unstable",
}
DATE_FIELDS = {
    "created_at",
    "updated_at",
    "signed_up_at",
    "last_seen_at",
    "last_contacted_at",
    "last_replied_at",
    "last_email_opened_at",
    "last_email_clicked_at",
    "waiting_since",
    "snoozed_until",
}
DAY = 86400
MAX_PER_PAGE = 150
LISTS = {"contacts": ("list", "data", 50), "conversations": ("conversation.list", "conversations", 20)}


class QueryError(ValueError):
    """A search query Intercom would refuse."""


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(
        {"type": "error.list", "request_id": str(uuid.uuid4()), "errors": [{"code": code, "message": message}]}, status
    )


def _field(record: Record, name: str) -> Any:
    if name == "contact_ids" and "contacts" in record:
        return [contact["id"] for contact in record["contacts"]["contacts"]]
    value: Any = record
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _compare_date(actual: Any, operator: str, value: Any) -> bool:
    """Intercom truncates the searched timestamp to its UTC day: '>' starts at the next day."""
    if operator not in ("=", ">", "<"):
        raise QueryError(f"Operator {operator} is not supported for date fields; use =, > or <")
    try:
        day = int(value) // DAY * DAY
    except (TypeError, ValueError) as error:
        raise QueryError(f"Date fields take a UNIX timestamp, got {value!r}") from error
    if actual is None:
        return False
    if operator == "=":
        return day <= actual < day + DAY
    return actual >= day + DAY if operator == ">" else actual < day


def _compare(actual: Any, operator: str, value: Any) -> bool:
    if isinstance(actual, list):
        return (
            any(_compare(item, operator, value) for item in actual)
            if operator not in ("!=", "NIN")
            else all(_compare(item, operator, value) for item in actual)
        )
    if operator in ("IN", "NIN"):
        wanted = {str(item).lower() for item in (value or [])}
        return (str(actual).lower() in wanted) == (operator == "IN")
    left, right = ("" if actual is None else str(actual).lower()), ("" if value is None else str(value).lower())
    if isinstance(actual, (int, float)) and not isinstance(actual, bool) and operator in ("<", ">", "<=", ">="):
        left_number, right_number = float(actual), float(value)
        return {
            "<": left_number < right_number,
            ">": left_number > right_number,
            "<=": left_number <= right_number,
            ">=": left_number >= right_number,
        }[operator]
    tests = {
        "=": left == right,
        "!=": left != right,
        "~": right in left,
        "!~": right not in left,
        "^": left.startswith(right),
        "$": left.endswith(right),
        "<": left < right,
        ">": left > right,
        "<=": left <= right,
        ">=": left >= right,
    }
    if operator not in tests:
        raise QueryError(f"Unsupported operator {operator}")
    return tests[operator]


def evaluate(query: Any, record: Record) -> bool:
    """Whether a record satisfies an Intercom search query (single filter or AND/OR of filters)."""
    if not isinstance(query, dict):
        raise QueryError("query must be an object")
    operator = query.get("operator")
    if operator in ("AND", "OR"):
        parts = query.get("value")
        if not isinstance(parts, list):
            raise QueryError(f"{operator} takes a list of filters")
        results = (evaluate(part, record) for part in parts)
        return all(results) if operator == "AND" else any(results)
    name = query.get("field")
    if not isinstance(name, str) or not isinstance(operator, str):
        raise QueryError("each filter needs field, operator and value")
    actual = _field(record, name)
    if name in DATE_FIELDS:
        return _compare_date(actual, operator, query.get("value"))
    return _compare(actual, operator, query.get("value"))


class IntercomApi(VendorApi):
    """api.intercom.io under /intercom."""

    tool = "intercom"

    def routes(self) -> list[Route]:
        routes = []
        for name in LISTS:
            routes += [
                Route(f"/intercom/{name}", self.list_objects, defaults={"name": name}),
                Route(f"/intercom/{name}/search", self.search, ("POST",), defaults={"name": name}),
                Route(f"/intercom/{name}/<object_id>", self.retrieve, defaults={"name": name}),
            ]
        return routes + [
            Route("/intercom/contacts/<object_id>", self.update_contact, ("PUT",), writes=True),
            Route("/intercom/contacts", self.create_contact, ("POST",), writes=True),
        ]

    def authenticate(self, call: Call) -> Reply | None:
        version = call.request.headers.get("Intercom-Version")
        if version is not None and version not in VERSIONS:
            return _error(400, "intercom_version_invalid", "The requested version could not be found")
        return super().authenticate(call)

    def unauthorized(self, call: Call, revoked: bool) -> Reply:
        return _error(401, "unauthorized", "Access Token Invalid")

    def rate_limited(self, decision: RateDecision | None) -> Reply:
        reply = _error(429, "rate_limit_exceeded", "You have exceeded the rate limit. Please try again later.")
        if decision:
            reply.headers.update(self.rate_headers(decision))
        return reply

    def rate_headers(self, decision: RateDecision) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(decision.limit),
            "X-RateLimit-Remaining": str(decision.remaining),
            "X-RateLimit-Reset": str(int(decision.reset_at)),
        }

    def server_error(self, status: int) -> Reply:
        return _error(
            status,
            "server_error" if status == 500 else "service_unavailable",
            "Server Error" if status == 500 else "Service Unavailable",
        )

    def not_found(self, call: Call) -> Reply:
        return _error(404, "not_found", "Resource Not Found")

    def _page(self, call: Call, name: str, records: list[Record], per_page: int, cursor: str | None) -> Reply:
        list_type, key, _ = LISTS[name]
        offset, page = 0, 1
        if cursor:
            try:
                offset, page = decode_cursor(cursor)[:2]
            except (ValueError, TypeError):
                return _error(400, "parameter_invalid", "starting_after is invalid")
        if offset < len(records) and call.state.faults.take_empty_page(self.tool):
            pages = {
                "type": "pages",
                "page": page,
                "per_page": per_page,
                "total_pages": math.ceil(len(records) / per_page),
            }
            pages["next"] = {"page": page, "starting_after": encode_cursor([offset, page, call.state.clock.now_ms()])}
            return Reply({"type": list_type, key: [], "total_count": len(records), "pages": pages}, page=True)
        chunk = records[offset : offset + per_page]
        pages: Record = {
            "type": "pages",
            "page": page,
            "per_page": per_page,
            "total_pages": math.ceil(len(records) / per_page),
        }
        if offset + per_page < len(records):
            pages["next"] = {"page": page + 1, "starting_after": encode_cursor([offset + per_page, page + 1])}
        return Reply(
            {
                "type": list_type,
                key: [call.drift(record) for record in chunk],
                "total_count": len(records),
                "pages": pages,
            },
            page=True,
        )

    def list_objects(self, call: Call, name: str) -> Reply:
        per_page = int_arg(call.request.args.get("per_page"), LISTS[name][2])
        if per_page is None or not 1 <= per_page <= MAX_PER_PAGE:
            return _error(400, "parameter_invalid", f"per_page must be between 1 and {MAX_PER_PAGE}")
        records = list(call.state.stream("intercom", name))
        return self._page(call, name, records, per_page, call.request.args.get("starting_after"))

    def search(self, call: Call, name: str) -> Reply:
        body = call.json_body()
        if not isinstance(body, dict) or "query" not in body:
            return _error(400, "parameter_not_found", "query parameter is required")
        pagination = body.get("pagination") or {}
        per_page = pagination.get("per_page", 50)
        if not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
            return _error(400, "parameter_invalid", f"per_page must be between 1 and {MAX_PER_PAGE}")
        try:
            records = [record for record in call.state.stream("intercom", name) if evaluate(body["query"], record)]
        except QueryError as error:
            return _error(400, "parameter_invalid", str(error))
        sort = body.get("sort") or {}
        if sort.get("field"):
            records.sort(
                key=lambda record: (_field(record, sort["field"]) is None, _field(record, sort["field"]) or 0),
                reverse=sort.get("order", "descending") == "descending",
            )
        return self._page(call, name, records, per_page, pagination.get("starting_after"))

    def retrieve(self, call: Call, name: str, object_id: str) -> Reply:
        record = call.state.stream("intercom", name).get(object_id)
        if record is None:
            return _error(404, "not_found", "Resource Not Found")
        return Reply(call.drift(record))

    def update_contact(self, call: Call, object_id: str) -> Reply:
        """PUT /contacts/{id}: top-level attributes and `custom_attributes`."""
        record = call.state.stream("intercom", "contacts").get(object_id)
        if record is None:
            return _error(404, "not_found", "User Not Found")
        body = call.json_body()
        if not isinstance(body, dict):
            return _error(400, "parameter_invalid", "Body must be a JSON object")
        unknown = intercom_contact_update(call.state, record, body)
        if unknown:
            return _error(400, "parameter_invalid", f"{unknown} is not a contact attribute")
        return Reply(call.drift(record))

    def create_contact(self, call: Call) -> Reply:
        """POST /contacts: a user (or lead) with an email or external id; one taken already is a 409 conflict."""
        body = call.json_body()
        if not isinstance(body, dict):
            return _error(400, "parameter_invalid", "Body must be a JSON object")
        if not (body.get("email") or body.get("external_id") or body.get("role") == "lead"):
            return _error(400, "parameter_not_found", "email or external_id is required for a user")
        existing = intercom_conflict(call.state, body)
        if existing:
            return _error(409, "conflict", f"A contact matching those details already exists with id={existing}")
        created = intercom_contact_create(call.state, body)
        if isinstance(created, str):
            return _error(400, "parameter_invalid", f"{created} is not a contact attribute")
        return Reply(call.drift(created))
