"""Stripe: cursor-paged lists (newest first) of customers, subscriptions, invoices and events; customer update and
create (Idempotency-Key replay)."""

import copy
import time
from collections.abc import Callable

from werkzeug.datastructures import MultiDict

from customer_hub.sandbox.rate_limits import RateDecision
from customer_hub.sandbox.routing import Call, Reply, Route, VendorApi, int_arg
from customer_hub.sandbox.store import Record, Stream
from customer_hub.sandbox.writes import stripe_customer_create, stripe_customer_update, stripe_remember, stripe_replay

EVENT_RETENTION_SECONDS = 30 * 86400
PAYMENT_METHOD_PATH = "invoice_settings.default_payment_method"
"""The one expansion the sandbox serves (`expand[]=data.invoice_settings.default_payment_method` on lists,
`expand[]=invoice_settings.default_payment_method` on a retrieve): the id becomes the payment method object."""
OBJECT_NAMES = {"customers": "customer", "subscriptions": "subscription", "invoices": "invoice", "events": "event"}
Filter = Callable[[Record], bool]


def _error(
    status: int, message: str, kind: str = "invalid_request_error", code: str | None = None, param: str | None = None
) -> Reply:
    error: Record = {"message": message, "type": kind}
    if code:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        error["param"] = param
    return Reply({"error": error}, status)


def page_newest_first(
    stream: Stream, keep: Filter, limit: int, starting_after: str | None, ending_before: str | None
) -> tuple[list[Record], bool]:
    """One page of a newest-first list and whether more follow, walking only as far as needed."""
    order = stream.order
    if ending_before is not None:
        index, step = stream.position[ending_before] + 1, 1
    else:
        index = stream.position[starting_after] - 1 if starting_after is not None else len(order) - 1
        step = -1
    found: list[Record] = []
    while 0 <= index < len(order) and len(found) <= limit:
        record = stream.records[order[index]]
        if keep(record):
            found.append(record)
        index += step
    has_more = len(found) > limit
    found = found[:limit]
    return (found[::-1] if step == 1 else found), has_more


def _created_filter(args: MultiDict[str, str]) -> Filter:
    bounds = []
    for key, test in (("gt", int.__gt__), ("gte", int.__ge__), ("lt", int.__lt__), ("lte", int.__le__)):
        if f"created[{key}]" in args:
            bounds.append((test, int(args[f"created[{key}]"])))
    if "created" in args:
        bounds.append((int.__eq__, int(args["created"])))
    return lambda record: all(test(record["created"], value) for test, value in bounds)


def _customer_filter(customer: str) -> Filter:
    return lambda record: record.get("customer") == customer


def _status_filter(status: str | None) -> Filter:
    """Subscriptions: no status means every status except canceled, as in Stripe."""

    def keep(record: Record) -> bool:
        if status == "all":
            return True
        if status == "ended":
            return record["status"] in ("canceled", "incomplete_expired")
        return record["status"] == status if status else record["status"] != "canceled"

    return keep


def _event_types(args: MultiDict[str, str]) -> list[str]:
    """Event types from `type`, `types[]=...` or `types[0]=...` parameters."""
    return [value for key, value in args.items(multi=True) if key == "type" or key.startswith("types[")]


def _event_filter(types: list[str], cutoff: int) -> Filter:
    def matches(event_type: str) -> bool:
        return any(
            event_type == wanted or (wanted.endswith("*") and event_type.startswith(wanted[:-1])) for wanted in types
        )

    return lambda event: event["created"] >= cutoff and (not types or matches(event["type"]))


class StripeApi(VendorApi):
    """api.stripe.com under /stripe."""

    tool = "stripe"

    def routes(self) -> list[Route]:
        return [
            *(Route(f"/stripe/v1/{name}", self.list_objects, defaults={"name": name}) for name in OBJECT_NAMES),
            Route("/stripe/v1/customers", self.create_customer, ("POST",), writes=True),
            Route("/stripe/v1/payment_methods/<object_id>", self.retrieve_payment_method),
            Route("/stripe/v1/products/<object_id>", self.retrieve_product),
            *(Route(f"/stripe/v1/{name}/<object_id>", self.retrieve, defaults={"name": name}) for name in OBJECT_NAMES),
            Route("/stripe/v1/customers/<object_id>", self.update_customer, ("POST",), writes=True),
        ]

    def authenticate(self, call: Call) -> Reply | None:
        basic = call.basic_credentials()
        key = call.bearer_token() or (basic[0] if basic else None)
        if not key:
            return self.unauthorized(call, revoked=False)
        if call.state.faults.tools[self.tool].revoked_token:
            return _error(401, f"Expired API Key provided: {key[:8]}*********{key[-4:]}", code="api_key_expired")
        return None

    def unauthorized(self, call: Call, revoked: bool) -> Reply:
        return _error(
            401,
            "You did not provide an API key. You need to provide your API key in the Authorization "
            "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
            "https://stripe.com/docs/api#authentication for details, or we can help at "
            "https://support.stripe.com/.",
        )

    def rate_limited(self, decision: RateDecision | None) -> Reply:
        return _error(
            429,
            "Request rate limit exceeded. You can learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )

    def server_error(self, status: int) -> Reply:
        return _error(status, "An unknown error occurred", kind="api_error")

    def not_found(self, call: Call) -> Reply:
        request = call.request
        real_path = request.path.removeprefix("/stripe")
        return _error(
            404,
            f"Unrecognized request URL ({request.method}: {real_path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        )

    def list_objects(self, call: Call, name: str) -> Reply:
        args = call.request.args
        limit = int_arg(args.get("limit"), 10)
        if limit is None or not 1 <= limit <= 100:
            return _error(
                400, "This value must be greater than or equal to 1 and less than or equal to 100.", param="limit"
            )
        stream = call.state.stream("stripe", name)
        cursors = {key: args.get(key) for key in ("starting_after", "ending_before") if args.get(key)}
        for key, value in cursors.items():
            if value not in stream.position:
                return _error(400, f"No such {OBJECT_NAMES[name]}: '{value}'", code="resource_missing", param=key)
        try:
            filters = [_created_filter(args)]
        except ValueError:
            return _error(400, "Invalid integer", param="created")
        if args.get("customer"):
            filters.append(_customer_filter(args["customer"]))
        if name == "subscriptions":
            filters.append(_status_filter(args.get("status")))
        if name == "events":
            filters.append(_event_filter(_event_types(args), int(time.time()) - EVENT_RETENTION_SECONDS))
        records, has_more = page_newest_first(
            stream,
            lambda record: all(keep(record) for keep in filters),
            limit,
            cursors.get("starting_after"),
            cursors.get("ending_before"),
        )
        return Reply(
            {
                "object": "list",
                "data": [call.drift(_expanded(call, record, "data.")) for record in records],
                "has_more": has_more,
                "url": f"/v1/{name}",
            },
            page=True,
        )

    def retrieve(self, call: Call, name: str, object_id: str) -> Reply:
        record = call.state.stream("stripe", name).get(object_id)
        if record is None:
            return _error(404, f"No such {OBJECT_NAMES[name]}: '{object_id}'", code="resource_missing", param="id")
        return Reply(call.drift(_expanded(call, record, "")))

    def update_customer(self, call: Call, object_id: str) -> Reply:
        """POST /v1/customers/{id}: form-encoded fields and `metadata[key]`; a repeated Idempotency-Key replays the
        first answer without applying the update again."""
        key = call.request.headers.get("Idempotency-Key")
        replay = stripe_replay(call, key)
        if replay is not None:
            return replay
        record = call.state.stream("stripe", "customers").get(object_id)
        if record is None:
            return _error(404, f"No such customer: '{object_id}'", code="resource_missing", param="id")
        unknown = stripe_customer_update(call, record)
        if unknown:
            return _error(400, f"Received unknown parameter: {unknown}", param=unknown)
        stripe_remember(call, key, record)
        return Reply(call.drift(record))

    def create_customer(self, call: Call) -> Reply:
        """POST /v1/customers: a repeated Idempotency-Key replays the first answer instead of creating another."""
        key = call.request.headers.get("Idempotency-Key")
        replay = stripe_replay(call, key)
        if replay is not None:
            return replay
        created = stripe_customer_create(call)
        if isinstance(created, str):
            return _error(400, f"Received unknown parameter: {created}", param=created)
        stripe_remember(call, key, created)
        return Reply(call.drift(created))

    def retrieve_payment_method(self, call: Call, object_id: str) -> Reply:
        method = call.state.extras.get("stripe_payment_methods", {}).get(object_id)
        if method is None:
            return _error(404, f"No such PaymentMethod: '{object_id}'", code="resource_missing", param="payment_method")
        return Reply(method)

    def retrieve_product(self, call: Call, object_id: str) -> Reply:
        product = _product(call, object_id)
        if product is None:
            return _error(404, f"No such product: '{object_id}'", code="resource_missing", param="id")
        return Reply(product)


def _product(call: Call, product_id: str) -> Record | None:
    """A product of the seeded catalogue (the sandbox lists no products; subscriptions name them by id)."""
    catalogue = call.state.extras.get("stripe_catalogue", ())
    return next((product for product, _ in catalogue if product["id"] == product_id), None)


def _expanded(call: Call, record: Record, prefix: str) -> Record:
    """The record with its default payment method expanded when the request asks for it (`expand[]`)."""
    wanted = {value for key, value in call.request.args.items(multi=True) if key.startswith("expand")}
    method_id = (record.get("invoice_settings") or {}).get("default_payment_method")
    if prefix + PAYMENT_METHOD_PATH not in wanted or not isinstance(method_id, str):
        return record
    method = call.state.extras.get("stripe_payment_methods", {}).get(method_id)
    shaped = copy.deepcopy(record)
    shaped["invoice_settings"]["default_payment_method"] = copy.deepcopy(method) if method else method_id
    return shaped
