"""HubSpot CRM v3: objects (list with `after` paging, search with filters, read one, update and create, one or a
batch), the associations batch read, and HubSpot's error bodies."""

import uuid
from typing import Any

from customer_hub.sandbox.clock import iso_ms, parse_iso
from customer_hub.sandbox.rate_limits import RateDecision
from customer_hub.sandbox.routing import Call, Reply, Route, VendorApi, int_arg
from customer_hub.sandbox.seeding.hubspot import ASSOCIATION_TYPES, MODIFIED_PROPERTY
from customer_hub.sandbox.store import Record, Stream
from customer_hub.sandbox.writes import (
    HUBSPOT_BATCH_LIMIT,
    hubspot_conflict,
    hubspot_create,
    hubspot_properties_problem,
    hubspot_update,
)

OBJECT_TYPES = {
    "contacts": "contacts",
    "companies": "companies",
    "deals": "deals",
    "0-1": "contacts",
    "0-2": "companies",
    "0-3": "deals",
    "contact": "contacts",
    "company": "companies",
    "deal": "deals",
}
DEFAULT_PROPERTIES = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
}
DATE_PROPERTIES = {"createdate", "lastmodifieddate", "hs_lastmodifieddate", "closedate"}
NUMERIC_PROPERTIES = {"amount", "hs_object_id", "numberofemployees"}
SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal"}
LIST_LIMIT, SEARCH_LIMIT = 100, 200
BATCH_READ_LIMIT = 1000
"""Ids per associations batch read; HubSpot rejects larger bodies since February 2025."""
V3_ASSOCIATIONS_PER_ID = 100
"""The v3 associations batch read serves at most this many associations per id and no paging: the rest are lost."""
V4_TYPE_IDS = {
    ("contacts", "companies"): 279,
    ("contacts", "deals"): 4,
    ("companies", "contacts"): 280,
    ("companies", "deals"): 342,
    ("deals", "companies"): 341,
    ("deals", "contacts"): 3,
}
"""HubSpot-defined (unlabeled) association type ids, as v4 answers them."""
TEXT_SEARCHED = ("firstname", "lastname", "email", "phone", "company", "name", "domain", "dealname")


def _error(status: int, category: str, message: str, **extra: Any) -> Reply:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}
    return Reply(body | extra, status)


def _conflict(existing: str) -> Reply:
    if existing == "batch":
        return _error(409, "CONFLICT", "Duplicate emails found in the batch input.")
    return _error(409, "CONFLICT", f"Contact already exists. Existing ID: {existing}")


def _split(values: list[str]) -> list[str]:
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def present(record: Record, object_type: str, properties: list[str] | None, associations: list[str] | None) -> Record:
    """A stored record as HubSpot returns it: requested properties (plus ids and times) and associations."""
    stored = record["properties"]
    names = list(properties) if properties else list(DEFAULT_PROPERTIES[object_type])
    names += ["hs_object_id", "createdate", MODIFIED_PROPERTY[object_type]]
    result: Record = {
        "id": record["id"],
        "properties": {name: stored[name] for name in dict.fromkeys(names) if name in stored},
        "createdAt": record["createdAt"],
        "updatedAt": record["updatedAt"],
        "archived": bool(record.get("archived")),
    }
    linked = {}
    for wanted in associations or ():
        target = OBJECT_TYPES.get(wanted)
        ids = record["associations"].get(target or "", [])
        if target and ids:
            kind = ASSOCIATION_TYPES[(object_type, target)]
            linked[target] = {"results": [{"id": linked_id, "type": kind} for linked_id in ids]}
    if record.get("archived"):
        result["archivedAt"] = record["archivedAt"]
    if linked:
        result["associations"] = linked
    return result


class HubSpotApi(VendorApi):
    """api.hubapi.com under /hubspot."""

    tool = "hubspot"

    def routes(self) -> list[Route]:
        base = "/hubspot/crm/v3/objects/<object_type>"
        return [
            Route(base, self.list_objects),
            Route(base, self.create_object, ("POST",), writes=True),
            Route(f"{base}/batch/create", self.batch_create, ("POST",), writes=True),
            Route(f"{base}/search", self.search, ("POST",)),
            Route(f"{base}/<object_id>", self.read_object),
            Route(f"{base}/<object_id>", self.update_object, ("PATCH",), writes=True),
            Route(f"{base}/batch/update", self.batch_update, ("POST",), writes=True),
            Route(
                "/hubspot/crm/v3/associations/<from_type>/<to_type>/batch/read",
                self.read_associations,
                ("POST",),
            ),
            Route(
                "/hubspot/crm/v4/associations/<from_type>/<to_type>/batch/read",
                self.read_associations_v4,
                ("POST",),
            ),
        ]

    def unauthorized(self, call: Call, revoked: bool) -> Reply:
        if revoked:
            return _error(
                401,
                "INVALID_AUTHENTICATION",
                "The access token provided is invalid or has been revoked. Reauthorize the app.",
            )
        return _error(
            401,
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
            "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        )

    def rate_limited(self, decision: RateDecision | None) -> Reply:
        reply = _error(
            429,
            "RATE_LIMITS",
            "You have reached your secondly limit.",
            errorType="RATE_LIMIT",
            policyName="SECONDLY",
            groupName="publicapi:private-app:sandbox",
        )
        if decision:
            reply.headers.update(self.rate_headers(decision))
        return reply

    def rate_headers(self, decision: RateDecision) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Secondly": str(decision.limit),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(decision.remaining),
        }

    def server_error(self, status: int) -> Reply:
        category = {500: "INTERNAL_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE"}.get(status, "ERROR")
        return _error(
            status,
            category,
            "internal error" if status == 500 else "The service is temporarily unavailable, try again later.",
        )

    def not_found(self, call: Call) -> Reply:
        return _error(404, "OBJECT_NOT_FOUND", "resource not found")

    def _object_type(self, name: str) -> str | None:
        return OBJECT_TYPES.get(name)

    def list_objects(self, call: Call, object_type: str) -> Reply:
        kind = self._object_type(object_type)
        if kind is None:
            return _error(400, "VALIDATION_ERROR", f"Unable to infer object type from: {object_type}")
        args = call.request.args
        limit = int_arg(args.get("limit"), 10)
        after = int_arg(args.get("after"), 0)
        if limit is None or not 1 <= limit <= LIST_LIMIT:
            return _error(400, "VALIDATION_ERROR", f"limit must be between 1 and {LIST_LIMIT}")
        if after is None:
            return _error(400, "VALIDATION_ERROR", f"Invalid paging cursor: {args.get('after')}")
        stream = call.state.stream("hubspot", kind)
        ids = _page_ids(stream, after, limit + 1, archived=args.get("archived", "false").lower() == "true")
        properties = _split(args.getlist("properties"))
        associations = _split(args.getlist("associations"))
        results = [
            call.drift(present(stream.records[record_id], kind, properties, associations)) for record_id in ids[:limit]
        ]
        body: Record = {"results": results}
        if len(ids) > limit:
            cursor = ids[limit]
            body["paging"] = {
                "next": {"after": cursor, "link": f"{call.base_url}/crm/v3/objects/{object_type}?after={cursor}"}
            }
        return Reply(body, page=True)

    def read_object(self, call: Call, object_type: str, object_id: str) -> Reply:
        kind = self._object_type(object_type)
        record = call.state.stream("hubspot", kind).get(object_id) if kind else None
        args = call.request.args
        wants_archived = args.get("archived", "false").lower() == "true"
        if record is None or bool(record.get("archived")) != wants_archived:
            return _error(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
        return Reply(
            call.drift(present(record, kind, _split(args.getlist("properties")), _split(args.getlist("associations"))))
        )

    def update_object(self, call: Call, object_type: str, object_id: str) -> Reply:
        """PATCH one object's properties (the write-back's fallback when a batch is refused as a whole)."""
        kind = self._object_type(object_type)
        record = call.state.stream("hubspot", kind).get(object_id) if kind else None
        if record is None or record.get("archived"):
            return _error(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.", context={})
        properties = (call.json_body() or {}).get("properties")
        problem = hubspot_properties_problem(properties)
        if problem:
            return _error(400, "VALIDATION_ERROR", problem)
        hubspot_update(call.state, kind, record, properties)
        return Reply(present(record, kind, list(properties), None))

    def batch_update(self, call: Call, object_type: str) -> Reply:
        """Update up to 100 objects; ids HubSpot cannot find come back as a 207 multi-status error."""
        kind = self._object_type(object_type)
        inputs = (call.json_body() or {}).get("inputs") if kind else None
        if not isinstance(inputs, list):
            return _error(400, "VALIDATION_ERROR", "inputs must be a list of {id, properties}")
        if len(inputs) > HUBSPOT_BATCH_LIMIT:
            return _error(400, "VALIDATION_ERROR", f"Batch input limit exceeded: {len(inputs)} > {HUBSPOT_BATCH_LIMIT}")
        for item in inputs:
            problem = hubspot_properties_problem(item.get("properties") if isinstance(item, dict) else None)
            if problem or not isinstance(item.get("id"), str):
                return _error(400, "VALIDATION_ERROR", problem or "each input needs a string id")
        started = iso_ms(call.state.clock.now_ms())
        stream = call.state.stream("hubspot", kind)
        results, missing = [], []
        for item in inputs:
            record = stream.get(item["id"])
            if record is None or record.get("archived"):
                missing.append(item["id"])
                continue
            hubspot_update(call.state, kind, record, item["properties"])
            results.append(present(record, kind, list(item["properties"]), None))
        body: Record = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": started}
        if not missing:
            return Reply(body)
        error = {
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "message": "Could not get some objects, they may be deleted or not exist.",
            "context": {"ids": missing},
            "errors": [],
            "links": {},
        }
        return Reply(body | {"numErrors": len(missing), "errors": [error]}, status=207)

    def create_object(self, call: Call, object_type: str) -> Reply:
        """POST one new object (201); a contact whose email another live contact has is a 409 CONFLICT."""
        kind = self._object_type(object_type)
        body = call.json_body() if kind else None
        properties = body.get("properties") if isinstance(body, dict) else None
        problem = hubspot_properties_problem(properties) if kind else f"Unable to infer object type from: {object_type}"
        if problem:
            return _error(400, "VALIDATION_ERROR", problem)
        existing = hubspot_conflict(call.state, kind, [properties])
        if existing:
            return _conflict(existing)
        record = hubspot_create(call.state, kind, properties)
        return Reply(present(record, kind, list(properties), None), 201)

    def batch_create(self, call: Call, object_type: str) -> Reply:
        """Create up to 100 objects (201). As in HubSpot, one contact email already taken (or sent twice) refuses
        the whole batch with a 409 CONFLICT and creates nothing."""
        kind = self._object_type(object_type)
        inputs = (call.json_body() or {}).get("inputs") if kind else None
        if not isinstance(inputs, list):
            return _error(400, "VALIDATION_ERROR", "inputs must be a list of {properties, associations}")
        if len(inputs) > HUBSPOT_BATCH_LIMIT:
            return _error(400, "VALIDATION_ERROR", f"Batch input limit exceeded: {len(inputs)} > {HUBSPOT_BATCH_LIMIT}")
        for item in inputs:
            problem = hubspot_properties_problem(item.get("properties") if isinstance(item, dict) else None)
            if problem:
                return _error(400, "VALIDATION_ERROR", problem)
        existing = hubspot_conflict(call.state, kind, [item["properties"] for item in inputs])
        if existing:
            return _conflict(existing)
        started = iso_ms(call.state.clock.now_ms())
        results = []
        for item in inputs:
            record = hubspot_create(call.state, kind, item["properties"])
            results.append(present(record, kind, list(item["properties"]), None))
        body = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": started}
        return Reply(body, 201)

    def search(self, call: Call, object_type: str) -> Reply:
        kind = self._object_type(object_type)
        if kind is None:
            return _error(400, "VALIDATION_ERROR", f"Unable to infer object type from: {object_type}")
        body = call.json_body()
        if not isinstance(body, dict):
            return _error(
                400, "VALIDATION_ERROR", "Invalid input JSON on line 1, column 1: request body is not a JSON object"
            )
        limit, offset = body.get("limit", 10), body.get("after") or "0"
        if not isinstance(limit, int) or not 1 <= limit <= SEARCH_LIMIT:
            return _error(400, "VALIDATION_ERROR", f"limit must be between 1 and {SEARCH_LIMIT}")
        if not str(offset).isdigit():
            return _error(400, "VALIDATION_ERROR", f"Invalid after value: {offset}")
        offset = int(offset)
        cap = call.state.hubspot_search_cap
        if offset >= cap:
            return _error(
                400,
                "VALIDATION_ERROR",
                f"There was a problem with the request. Search results are limited to {cap} "
                "records per query; narrow the query (for example by a time window) to page further.",
            )
        stream = call.state.stream("hubspot", kind)
        try:
            text = str(body.get("query") or "").lower()
            matches = [
                record
                for record in stream
                if not record.get("archived")
                and _matches(record, stream, body.get("filterGroups") or [])
                and (not text or _mentions(record, text))
            ]
            matches = _sorted(matches, stream, body.get("sorts") or [])
        except ValueError as error:
            return _error(400, "VALIDATION_ERROR", str(error))
        page = matches[offset : offset + limit]
        properties = [name for name in body.get("properties") or [] if isinstance(name, str)]
        result: Record = {
            "total": len(matches),
            "results": [call.drift(present(record, kind, properties, None)) for record in page],
        }
        if offset + limit < len(matches):
            result["paging"] = {"next": {"after": str(offset + limit)}}
        return Reply(result, page=True)

    def read_associations(self, call: Call, from_type: str, to_type: str) -> Reply:
        """`POST /crm/v3/associations/{from}/{to}/batch/read`: the associations the list endpoints serve.

        As HubSpot does, an id without associations (or unknown, or archived) is not an empty result but an
        error entry, and any such entry turns the answer into a 207 Multi-Status.
        """
        started = iso_ms(call.state.clock.now_ms())
        request = _association_request(call, from_type, to_type, paged=False)
        if isinstance(request, Reply):
            return request
        source, target, inputs = request
        stream = call.state.stream("hubspot", source)
        kind = ASSOCIATION_TYPES.get((source, target))
        results, errors = [], []
        for object_id in dict.fromkeys(str(item["id"]) for item in inputs):
            record = stream.get(object_id)
            linked = record["associations"].get(target, []) if record and not record.get("archived") else []
            if linked and kind:
                served = linked[:V3_ASSOCIATIONS_PER_ID]  # silently cut: v3 has no paging here
                results.append({"from": {"id": object_id}, "to": [{"id": i, "type": kind} for i in served]})
            else:
                errors.append(_no_associations(source, target, object_id))
        return _batch_answer(call, started, results, errors)

    def read_associations_v4(self, call: Call, from_type: str, to_type: str) -> Reply:
        """`POST /crm/v4/associations/{from}/{to}/batch/read`: associations per id, paged per id.

        Each input may carry the `after` its previous page named; an id with more associations than one page holds
        (`state.hubspot_association_page`, 500 as in HubSpot) answers with `paging.next.after`. Ids without any
        are per-id errors in a 207, as in v3.
        """
        started = iso_ms(call.state.clock.now_ms())
        request = _association_request(call, from_type, to_type, paged=True)
        if isinstance(request, Reply):
            return request
        source, target, inputs = request
        stream = call.state.stream("hubspot", source)
        size = call.state.hubspot_association_page
        kind = {"category": "HUBSPOT_DEFINED", "typeId": V4_TYPE_IDS[(source, target)]}  # unlabeled: no label
        results, errors = [], []
        for item in inputs:
            object_id, start = str(item["id"]), int(item.get("after") or 0)
            record = stream.get(object_id)
            linked = record["associations"].get(target, []) if record and not record.get("archived") else []
            if not linked:
                errors.append(_no_associations(source, target, object_id))
                continue
            result: Record = {
                "from": {"id": object_id},
                "to": [{"toObjectId": str(i), "associationTypes": [kind]} for i in linked[start : start + size]],
            }
            if start + size < len(linked):
                result["paging"] = {"next": {"after": str(start + size)}}
            results.append(result)
        return _batch_answer(call, started, results, errors)


def _association_request(call: Call, from_type: str, to_type: str, *, paged: bool) -> tuple[str, str, list] | Reply:
    """The object types and inputs of an associations batch read, or HubSpot's 400 for a bad one. v4 inputs may
    carry the `after` of their previous page (`paged`)."""
    source, target = OBJECT_TYPES.get(from_type), OBJECT_TYPES.get(to_type)
    if source is None or target is None:
        unknown = from_type if source is None else to_type
        return _error(400, "VALIDATION_ERROR", f"Unable to infer object type from: {unknown}")
    body = call.json_body()
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(
        isinstance(item, dict)
        and isinstance(item.get("id"), str | int)
        and (not paged or item.get("after") is None or str(item["after"]).isdigit())
        for item in inputs
    ):
        expected = '{"id": "...", "after": "..."}' if paged else '{"id": "..."}'
        return _error(
            400, "VALIDATION_ERROR", f'Invalid input JSON on line 1, column 1: expected {{"inputs": [{expected}]}}'
        )
    if len(inputs) > BATCH_READ_LIMIT:
        return _error(
            400, "VALIDATION_ERROR", f"Batch read accepts at most {BATCH_READ_LIMIT} inputs, got {len(inputs)}."
        )
    return source, target, inputs


def _batch_answer(call: Call, started: str, results: list, errors: list) -> Reply:
    """A batch answer as HubSpot gives it: per-id errors listed beside the results, and 207 when there are any."""
    answer: Record = {"status": "COMPLETE", "results": results}
    if errors:
        answer |= {"numErrors": len(errors), "errors": errors}
    answer |= {"startedAt": started, "completedAt": iso_ms(call.state.clock.now_ms())}
    return Reply(answer, 207 if errors else 200)


def _no_associations(source: str, target: str, object_id: str) -> Record:
    """HubSpot's per-id error for a record without associations of the asked type."""
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
        "message": f"No {SINGULAR[target]} is associated with {SINGULAR[source]} {object_id}.",
        "context": {
            "fromObjectId": [object_id],
            "fromObjectType": [SINGULAR[source]],
            "toObjectType": [SINGULAR[target]],
        },
        "errors": [],
        "links": {},
    }


def _page_ids(stream: Stream, first_id: int, count: int, archived: bool) -> list[str]:
    """Up to `count` ids from `first_id` on, of archived or of live records only."""
    found: list[str] = []
    while len(found) < count:
        batch = stream.ids_from(first_id, count)
        if not batch:
            break
        found += [record_id for record_id in batch if bool(stream.records[record_id].get("archived")) == archived]
        first_id = int(batch[-1]) + 1
    return found[:count]


def _value(record: Record, stream: Stream, name: str) -> Any:
    if name in ("lastmodifieddate", "hs_lastmodifieddate"):
        return stream.updated_ms[record["id"]]
    raw = record["properties"].get(name)
    if raw is None:
        return None
    if name in DATE_PROPERTIES:
        return int(parse_iso(raw) * 1000)
    if name in NUMERIC_PROPERTIES:
        return float(raw)
    return raw.lower()


def _operand(name: str, raw: Any) -> Any:
    text = str(raw)
    if name in DATE_PROPERTIES:
        return int(text) if text.lstrip("-").isdigit() else int(parse_iso(text) * 1000)
    if name in NUMERIC_PROPERTIES:
        return float(text)
    return text.lower()


def _test(record: Record, stream: Stream, condition: dict[str, Any]) -> bool:
    name, operator = condition.get("propertyName"), condition.get("operator")
    if not isinstance(name, str) or not isinstance(operator, str):
        raise ValueError("Each filter needs propertyName and operator")
    actual = _value(record, stream, name)
    if operator == "HAS_PROPERTY":
        return actual is not None
    if operator == "NOT_HAS_PROPERTY":
        return actual is None
    if operator in ("IN", "NOT_IN"):
        wanted = {_operand(name, item) for item in condition.get("values") or []}
        return (actual in wanted) == (operator == "IN")
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        found = actual is not None and str(condition.get("value", "")).lower().strip("*") in str(actual)
        return found == (operator == "CONTAINS_TOKEN")
    try:
        value = _operand(name, condition.get("value"))
    except ValueError as error:
        raise ValueError(f"Invalid value for {name}: {condition.get('value')!r}") from error
    if operator == "NEQ":
        return actual != value
    if actual is None:
        return False
    comparisons = {
        "EQ": actual == value,
        "GT": actual > value,
        "GTE": actual >= value,
        "LT": actual < value,
        "LTE": actual <= value,
    }
    if operator == "BETWEEN":
        return value <= actual <= _operand(name, condition.get("highValue"))
    if operator not in comparisons:
        raise ValueError(f"Unsupported operator {operator}")
    return comparisons[operator]


def _mentions(record: Record, text: str) -> bool:
    """Free-text `query`: a word of one of the default searchable properties starts with the text."""
    for name in TEXT_SEARCHED:
        value = record["properties"].get(name, "").lower()
        if value.startswith(text) or any(word.startswith(text) for word in value.replace("@", " ").split()):
            return True
    return False


def _matches(record: Record, stream: Stream, groups: list[dict[str, Any]]) -> bool:
    if not groups:
        return True
    return any(all(_test(record, stream, condition) for condition in group.get("filters") or []) for group in groups)


def _sorted(records: list[Record], stream: Stream, sorts: list[Any]) -> list[Record]:
    ordered = sorted(records, key=lambda record: int(record["id"]))
    for sort in reversed(sorts):
        if isinstance(sort, dict):
            name, descending = sort.get("propertyName", ""), sort.get("direction") == "DESCENDING"
        else:
            name, descending = str(sort).lstrip("-"), str(sort).startswith("-")
        present_first = [r for r in ordered if _value(r, stream, name) is not None]
        missing = [r for r in ordered if _value(r, stream, name) is None]
        ordered = sorted(present_first, key=lambda r: _value(r, stream, name), reverse=descending) + missing
    return ordered
