"""QuickBooks Online v3: SQL-like query, change data capture, idempotent creates and sparse Customer updates (both
replayed per `requestid`), and the OAuth token endpoint."""

import copy
import re
import time
from typing import Any

from customer_hub.sandbox.clock import iso_date, parse_iso, qbo_time
from customer_hub.sandbox.ids import SANDBOX_IDS
from customer_hub.sandbox.rate_limits import RateDecision
from customer_hub.sandbox.routing import Call, Reply, Route, VendorApi
from customer_hub.sandbox.seeding.quickbooks import new_customer, new_invoice, unique_display_name
from customer_hub.sandbox.store import Record, Stream
from customer_hub.sandbox.writes import QUICKBOOKS_CUSTOMER_FIELDS, log_created, quickbooks_customer_update

ENTITIES = {
    "customer": ("Customer", "customers"),
    "invoice": ("Invoice", "invoices"),
    "purchase": ("Purchase", "purchases"),
    "bill": ("Bill", "bills"),
    "vendor": ("Vendor", "vendors"),
}
CREATABLE = ("customer", "invoice")
"""Entities the sandbox creates (what the hub writes); the spend entities are read-only here."""
MIN_MINOR_VERSION = 75
CDC_LOOKBACK_SECONDS = 30 * 86400
CDC_MAX_OBJECTS = 1000
MAX_RESULTS = 1000
QUERY = re.compile(
    r"^\s*select\s+(?P<what>\*|count\(\s*\*\s*\))\s+from\s+(?P<entity>\w+)"
    r"(?:\s+where\s+(?P<where>.+?))?"
    r"(?:\s+orderby\s+(?P<order>[\w.]+)(?:\s+(?P<direction>asc|desc))?)?"
    r"(?:\s+startposition\s+(?P<start>\d+))?(?:\s+maxresults\s+(?P<max>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
CONDITION = re.compile(
    r"^\s*(?P<field>[\w.]+)\s*(?P<op><=|>=|!=|=|<|>|\s+in\s+|\s+like\s+)\s*"
    r"(?P<value>'(?:[^'\\]|\\.)*'|\([^)]*\)|[\w.:+-]+)\s*$",
    re.IGNORECASE,
)
TIME_FIELDS = {"metadata.lastupdatedtime": "LastUpdatedTime", "metadata.createtime": "CreateTime"}
EXTRA_CREATE_FIELDS = QUICKBOOKS_CUSTOMER_FIELDS - {
    "DisplayName", "CompanyName", "GivenName", "FamilyName", "PrimaryEmailAddr", "PrimaryPhone", "BillAddr", "Active"
}  # fmt: skip
"""Customer fields a create takes beyond those `new_customer` shapes (Notes, WebAddr, ...), stored as sent."""
CREATE_FIELDS = QUICKBOOKS_CUSTOMER_FIELDS | {"domain", "sparse"}


def _server_time(call: Call) -> str:
    """The answer's "time" on the sandbox clock: a safe next changedSince, never before a change already made."""
    return qbo_time(call.state.clock.now())


def _now() -> str:
    return qbo_time(time.time())


def fault(status: int, fault_type: str, code: str, message: str, detail: str, element: str | None = None) -> Reply:
    """QuickBooks' Fault body, as in IntuitResponse/Fault of the XSD."""
    error: Record = {"Message": message, "Detail": detail, "code": code}
    if element:
        error["element"] = element
    return Reply({"Fault": {"Error": [error], "type": fault_type}, "time": _now()}, status)


def _validation(message: str, detail: str, code: str = "4000") -> Reply:
    return fault(400, "ValidationFault", code, message, detail)


class QueryError(ValueError):
    """A query QuickBooks' parser would reject."""


def _entity_value(record: Record, field: str, stream: Stream) -> Any:
    lowered = field.lower()
    if lowered == "metadata.lastupdatedtime":
        return stream.updated_ms[record["Id"]] / 1000
    if lowered in TIME_FIELDS:
        return parse_iso(record["MetaData"][TIME_FIELDS[lowered]])
    value: Any = record
    for part in field.split("."):
        if not isinstance(value, dict):
            return None
        value = next((item for key, item in value.items() if key.lower() == part.lower()), None)
    if isinstance(value, dict):
        value = value.get("value", value.get("Address", value.get("FreeFormNumber")))
    return value


def _literal(field: str, text: str) -> Any:
    text = text.strip()
    if text.startswith("'"):
        text = text[1:-1].replace("\\'", "'")
    if field.lower() in TIME_FIELDS:
        try:
            return parse_iso(text)
        except ValueError as error:
            raise QueryError(f"Invalid date-time {text!r}") from error
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _condition_holds(actual: Any, operator: str, expected: Any) -> bool:
    operator = operator.strip().lower()
    if operator == "in":
        return str(actual).lower() in {str(item).lower() for item in expected}
    if operator == "like":
        pattern = "^" + re.escape(str(expected).lower()).replace("%", ".*") + "$"
        return actual is not None and re.match(pattern, str(actual).lower()) is not None
    if actual is None:
        return False
    if isinstance(actual, (int, float)) and not isinstance(actual, bool) and not isinstance(expected, bool):
        try:
            expected = float(expected)
        except (TypeError, ValueError) as error:
            raise QueryError(f"Invalid number {expected!r}") from error
    elif isinstance(actual, str):
        actual, expected = actual.lower(), str(expected).lower()
    return {
        "=": actual == expected,
        "!=": actual != expected,
        "<": actual < expected,
        ">": actual > expected,
        "<=": actual <= expected,
        ">=": actual >= expected,
    }[operator]


def _parse_where(where: str | None) -> list[tuple[str, str, Any]]:
    if not where:
        return []
    conditions = []
    for part in re.split(r"\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)", where, flags=re.IGNORECASE):
        match = CONDITION.match(part)
        if not match:
            raise QueryError(f'Encountered "{part.strip()}"')
        field, operator, raw = match["field"], match["op"], match["value"]
        if operator.strip().lower() == "in":
            expected: Any = [_literal(field, item) for item in raw.strip("()").split(",")]
        else:
            expected = _literal(field, raw)
        conditions.append((field, operator, expected))
    return conditions


class QuickBooksApi(VendorApi):
    """quickbooks.api.intuit.com (and the Intuit token endpoint) under /quickbooks."""

    tool = "quickbooks"

    def routes(self) -> list[Route]:
        company = "/quickbooks/v3/company/<realm_id>"
        return [
            Route("/quickbooks/oauth2/v1/tokens/bearer", self.token, ("POST",), authenticated=False),
            Route(f"{company}/query", self.query, ("GET", "POST")),
            Route(f"{company}/cdc", self.cdc),
            Route(f"{company}/<entity>", self.create, ("POST",), writes=True),
            Route(f"{company}/<entity>/<entity_id>", self.read),
        ]

    def authenticate(self, call: Call) -> Reply | None:
        access = call.bearer_token()
        if access is None or not call.state.quickbooks_tokens.access_is_valid(access):
            return self.unauthorized(call, revoked=False)
        if call.state.faults.tools[self.tool].revoked_token:
            return self.unauthorized(call, revoked=True)
        realm = call.route_args.get("realm_id")
        if realm is not None and realm != SANDBOX_IDS["quickbooks_realm_id"]:
            return fault(
                403,
                "AuthorizationFault",
                "3100",
                "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                f"The application is not authorized for realm {realm}",
            )
        version = call.request.args.get("minorversion")
        if version is not None and (not version.isdigit() or int(version) < MIN_MINOR_VERSION):
            return _validation(
                "Invalid minor version",
                f"minorversion {version} is no longer supported; use {MIN_MINOR_VERSION} or later",
                code="2170",
            )
        return None

    def unauthorized(self, call: Call, revoked: bool) -> Reply:
        return fault(
            401,
            "AUTHENTICATION",
            "3200",
            "message=AuthenticationFailed; errorCode=003200; statusCode=401",
            "Token revoked" if revoked else "Authentication Failed",
        )

    def rate_limited(self, decision: RateDecision | None) -> Reply:
        return fault(
            429,
            "SERVICE",
            "3001",
            "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "The request limit was reached.",
        )

    def server_error(self, status: int) -> Reply:
        return fault(
            status,
            "SystemFault",
            "10000",
            "An application error has occurred while processing your request",
            "System Failure Error: An unexpected error occurred while accessing or saving your "
            "data. Please wait a few minutes and try again.",
        )

    def not_found(self, call: Call) -> Reply:
        return fault(404, "ValidationFault", "610", "Object Not Found", f"Unknown resource {call.request.path}")

    def token(self, call: Call) -> Reply:
        if call.basic_credentials() is None:
            return Reply({"error": "invalid_client"}, 401)
        form = call.request.form
        if form.get("grant_type") != "refresh_token":
            return Reply({"error": "unsupported_grant_type"}, 400)
        issued = None
        faults = call.state.faults
        if not faults.tools[self.tool].revoked_token:
            grace = faults.tools[self.tool].token_grace_seconds
            issued = call.state.quickbooks_tokens.refresh(form.get("refresh_token", ""), grace)
        if issued is None:
            return Reply({"error": "invalid_grant"}, 400)
        # rotated already: a reply arriving after the client gave up is a lost refresh token
        late = faults.take_late_reply(self.tool)
        return Reply(issued, headers={"Cache-Control": "no-store"}, late_seconds=late)

    def query(self, call: Call, realm_id: str) -> Reply:
        text = call.request.args.get("query") or call.request.get_data(as_text=True)
        match = QUERY.match(text or "")
        if not match:
            return _validation("Error parsing query", f'QueryParserError: Encountered "{(text or "")[:40]}"')
        entity = ENTITIES.get(match["entity"].lower())
        if entity is None:
            return _validation(
                "Invalid query", f"QueryValidationError: value {match['entity']} is not a valid entity", code="4001"
            )
        name, stream_name = entity
        stream = call.state.stream("quickbooks", stream_name)
        try:
            conditions = _parse_where(match["where"])
            records = [
                record
                for record in stream
                if all(
                    _condition_holds(_entity_value(record, field, stream), operator, expected)
                    for field, operator, expected in conditions
                )
            ]
        except QueryError as error:
            return _validation("Error parsing query", f"QueryParserError: {error}")
        if match["what"] != "*":
            return Reply({"QueryResponse": {"totalCount": len(records)}, "time": _server_time(call)})
        # Without ORDERBY QuickBooks promises no order; like the real service this one answers in last-change order,
        # so a record changed while a client pages moves to a later page (read twice, and another one skipped).
        records.sort(key=lambda record: (stream.updated_ms[record["Id"]], int(record["Id"])))
        if match["order"]:
            records.sort(
                key=lambda record: _entity_value(record, match["order"], stream) or 0,
                reverse=(match["direction"] or "").lower() == "desc",
            )
        start, count = int(match["start"] or 1), int(match["max"] or 100)
        if count > MAX_RESULTS or start < 1:
            return _validation(
                "Invalid query",
                f"QueryValidationError: MAXRESULTS can be at most {MAX_RESULTS} and STARTPOSITION at least 1",
                code="4001",
            )
        page = records[start - 1 : start - 1 + count]
        body: Record = {}
        if page:
            body = {name: [call.drift(record) for record in page], "startPosition": start, "maxResults": len(page)}
        return Reply({"QueryResponse": body, "time": _server_time(call)}, page=True)

    def cdc(self, call: Call, realm_id: str) -> Reply:
        args = call.request.args
        try:
            since = parse_iso(args.get("changedSince", ""))
        except ValueError:
            return _validation(
                "Invalid changedSince", "changedSince must be an ISO 8601 date or date-time", code="2010"
            )
        if since < time.time() - CDC_LOOKBACK_SECONDS:
            return _validation(
                "Invalid changedSince",
                "changedSince must be within the last 30 days; do a full query instead",
                code="2010",
            )
        wanted = [
            ENTITIES[name.strip().lower()]
            for name in args.get("entities", "").split(",")
            if name.strip().lower() in ENTITIES
        ]
        if not wanted:
            return _validation("Required param missing", "entities must name at least one entity", code="2020")
        changed = []
        for name, stream_name in wanted:
            stream = call.state.stream("quickbooks", stream_name)
            changed += [
                (stream.updated_ms[record_id], name, stream.records[record_id])
                for record_id in stream.changed_since(int(since * 1000) - 1)
            ]
        changed.sort(key=lambda item: item[0])
        kept = changed[:CDC_MAX_OBJECTS]
        responses = []
        for name, _ in wanted:
            entities = [call.drift(record) for _, kind, record in kept if kind == name]
            response: Record = {"startPosition": 1, "maxResults": len(entities)}
            if entities:
                response[name] = entities
            responses.append(response)
        return Reply({"CDCResponse": [{"QueryResponse": responses}], "time": _server_time(call)}, page=True)

    def read(self, call: Call, realm_id: str, entity: str, entity_id: str) -> Reply:
        kind = ENTITIES.get(entity.lower())
        record = call.state.stream("quickbooks", kind[1]).get(entity_id) if kind else None
        if kind is None or record is None:
            return fault(
                400,
                "ValidationFault",
                "610",
                "Object Not Found",
                f"Object Not Found : Something you're trying to use has been made inactive. Check the "
                f"fields with accounts, customers, items, vendors or employees. ({entity} {entity_id})",
            )
        return Reply({kind[0]: call.drift(record), "time": _server_time(call)})

    def create(self, call: Call, realm_id: str, entity: str) -> Reply:
        kind = ENTITIES.get(entity.lower()) if entity.lower() in CREATABLE else None
        if kind is None:
            return self.not_found(call)
        request_id = call.request.args.get("requestid")
        key = (f"{realm_id}/{kind[0]}", request_id or "")
        if request_id and key in call.state.idempotent_replies:
            return Reply(call.state.idempotent_replies[key])
        body = call.json_body()
        if not isinstance(body, dict):
            return _validation(
                "Request has invalid or unsupported property", "Request body must be a JSON object", code="2010"
            )
        if kind[0] == "Customer" and "Id" in body:
            reply = self._update_customer(call, body)
        elif kind[0] == "Invoice":
            reply = self._create_invoice(call, body)
        else:
            reply = self._create_customer(call, body)
        if request_id and reply.status == 200:
            call.state.idempotent_replies[key] = copy.deepcopy(reply.body)  # the answer as it was, not the record now
        return reply

    def _update_customer(self, call: Call, body: Record) -> Reply:
        """POST .../customer with Id, SyncToken and `sparse: true`: only the fields sent change. A SyncToken other
        than the current one is QuickBooks' "Stale Object Error" (5010): someone changed the customer since it was
        read. A full update (sparse false) would empty every field left out; the sandbox serves sparse updates only.
        """
        state = call.state
        customer_id = str(body.get("Id"))
        record = state.stream("quickbooks", "customers").get(customer_id)
        if record is None:
            return _validation(
                "Object Not Found",
                f"Object Not Found : Something you're trying to use has been made inactive. (Customer {customer_id})",
                code="610",
            )
        if body.get("sparse") is not True:
            return _validation(
                "Request has invalid or unsupported property",
                'The sandbox serves sparse updates only: send "sparse": true',
                code="2010",
            )
        if "SyncToken" not in body:
            return _validation(
                "Required param missing, need to supply the required value for the API",
                "Required parameter SyncToken is missing in the request",
                code="2020",
            )
        if str(body["SyncToken"]) != str(record.get("SyncToken")):
            return _validation(
                "Stale Object Error",
                f"Stale Object Error : You and another user were working on this at the same time. The other user "
                f"finished before you did, so your work was not saved. (Customer {customer_id} is at SyncToken "
                f"{record.get('SyncToken')}, the request sent {body['SyncToken']})",
                code="5010",
            )
        unknown = quickbooks_customer_update(state, record, body)
        if unknown:
            return _validation(
                "Request has invalid or unsupported property",
                f"Property Name:{unknown} specified is unsupported or invalid",
                code="2010",
            )
        return Reply({"Customer": call.drift(record), "time": _server_time(call)})

    def _create_invoice(self, call: Call, body: Record) -> Reply:
        state = call.state
        customers = state.stream("quickbooks", "customers")
        customer_id = str((body.get("CustomerRef") or {}).get("value", ""))
        customer = customers.get(customer_id)
        if customer is None:
            return _validation(
                "Invalid Reference Id", f"Invalid Reference Id : Customer {customer_id!r} does not exist", code="2500"
            )
        lines = [line for line in body.get("Line") or [] if line.get("DetailType") != "SubTotalLineDetail"]
        if not lines or any(not isinstance(line.get("Amount"), (int, float)) for line in lines):
            return _validation(
                "Required param missing, need to supply the required value for the API",
                "Required parameter Line.Amount is missing in the request",
                code="2020",
            )
        now_ms = state.clock.now_ms()
        invoice_id = state.next_id("quickbooks", "invoices")
        total = round(sum(float(line["Amount"]) for line in lines), 2)
        record = new_invoice(
            invoice_id,
            str(body.get("DocNumber") or state.next_id("quickbooks", "doc_numbers")),
            customer,
            [(str(line.get("Description", "")), float(line["Amount"])) for line in lines],
            str(body.get("TxnDate") or iso_date(now_ms / 1000)),
            str(body.get("DueDate") or iso_date(now_ms / 1000 + 30 * 86400)),
            total,
            now_ms // 1000,
            now_ms // 1000,
            body.get("PrivateNote"),
        )
        state.stream("quickbooks", "invoices").add(invoice_id, record, now_ms)
        customer["Balance"] = customer["BalanceWithJobs"] = round(customer["Balance"] + total, 2)
        state.written["quickbooks_invoices"].append(record)
        return Reply({"Invoice": record, "time": _server_time(call)})

    def _create_customer(self, call: Call, body: Record) -> Reply:
        state = call.state
        display = str(body.get("DisplayName") or "").strip()
        if not display:
            return _validation(
                "Required param missing, need to supply the required value for the API",
                "Required parameter DisplayName is missing in the request",
                code="2020",
            )
        unknown = next((key for key in body if key not in CREATE_FIELDS), None)
        if unknown:
            return _validation(
                "Request has invalid or unsupported property",
                f"Property Name:{unknown} specified is unsupported or invalid",
                code="2010",
            )
        customers = state.stream("quickbooks", "customers")
        used = {record["DisplayName"].lower() for record in customers}
        if display.lower() in used:
            return _validation(
                "Duplicate Name Exists Error",
                "The name supplied already exists. : Another customer, "
                "vendor or employee is already using this name. Please use a different name.",
                code="6240",
            )
        now_ms = state.clock.now_ms()
        customer_id = state.next_id("quickbooks", "customers")
        record = new_customer(
            customer_id,
            unique_display_name(display, used),
            body.get("CompanyName"),
            body.get("GivenName"),
            body.get("FamilyName"),
            (body.get("PrimaryEmailAddr") or {}).get("Address"),
            (body.get("PrimaryPhone") or {}).get("FreeFormNumber"),
            body.get("BillAddr"),
            now_ms // 1000,
            now_ms // 1000,
        )
        extras = {key: value for key, value in body.items() if key in EXTRA_CREATE_FIELDS and value not in (None, "")}
        record.update(copy.deepcopy(extras))
        customers.add(customer_id, record, now_ms)
        log_created(state, "quickbooks", "customers", record, record, body)
        return Reply({"Customer": record, "time": _server_time(call)})
