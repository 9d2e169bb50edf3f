"""Stripe: customers, subscriptions and invoices; the hub's source of payment methods, MRR and billing dates.

Full reads page the list endpoints (`limit`, `starting_after`, `has_more`; subscriptions with `status=all` so
cancelled ones are kept). Stripe has no "updated since" filter, so incremental reads replay `GET /v1/events`
from the cursor (minus the overlap). Events come newest first: every page is collected, the newest event per
object wins, and the objects are landed oldest change first. Events carry each object in the API version in force
when the event was created (the account's), not the pinned `Stripe-Version`: since 2025-03-31 an invoice's
subscription is under `parent.subscription_details` and a subscription's period is on its items. Event objects are
put back into the pinned shape for the fields the hub reads (`pinned_shape`), so a record hashes the same whichever
way it was read and a live change never looks like schema drift; the mapping reads both shapes all the same.
Events are kept for 30 days; an older cursor falls back to a full read. `customer.deleted` and `invoice.deleted`
mark records deleted; `customer.subscription.deleted` is a cancellation (the subscription stays listed with
`status=canceled`), so it lands as an update.

A subscription names its product by id only, and a list cannot expand it (`data.items.data.price.product` is five
levels; Stripe expands four). Each product is therefore read once per connector (`GET /v1/products/{id}`) and put in
place of its id, as an expansion would, so the hub can say "Pro plan" where Stripe says `prod_...`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from customer_hub.config import SyncConfig, SystemConfig
from customer_hub.spokes.base import ConnectorBase, EmptyRule, Page, StreamRead, next_page
from customer_hub.spokes.canonical import canonical, join_keys, shared_key
from customer_hub.spokes.http import ToolNotFoundError, ToolResponseError, bearer_client
from customer_hub.timestamps import from_epoch_seconds, iso_from_epoch_seconds

log = logging.getLogger(__name__)

API_VERSION = "2020-08-27"
"""Pinned so responses keep the shape of the spec the hub is checked against; `settings.api_version` overrides."""
DEFAULT_REQUESTS_PER_SECOND = 25.0
"""Stripe's test-mode limit and a safe pace in live mode (100/s); `settings.requests_per_second` overrides (0: off).
Stripe sends no rate-limit headers, so the client spaces its requests instead of provoking 429s."""
EVENT_RETENTION = timedelta(days=30)
MAX_PAGE_SIZE = 100
PAYMENT_METHOD_FIELD = "invoice_settings.default_payment_method"
ZERO_DECIMAL = frozenset(
    ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
)  # amounts in these currencies are already in major units
ACTIVE_STATUSES = frozenset({"active", "trialing", "past_due"})
"""Subscription statuses that bring in revenue, so count towards MRR."""


def billing_ended(fields: Mapping[str, Any]) -> bool:
    """Whether a subscription's canonical status says it bills no more, which is why its mapping gives no next
    billing date. An empty status explains nothing: it may be the very field Stripe renamed."""
    status = fields.get("subscription_status")
    return bool(status) and status not in ACTIVE_STATUSES


_LIST_PATHS = {"customers": "/v1/customers", "subscriptions": "/v1/subscriptions", "invoices": "/v1/invoices"}
_OBJECT_TYPES = {"customers": "customer", "subscriptions": "subscription", "invoices": "invoice"}
_EVENT_TYPES = {
    "customers": ("customer.created", "customer.updated", "customer.deleted"),
    "subscriptions": (
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "customer.subscription.trial_will_end",
        "customer.subscription.pending_update_applied",
        "customer.subscription.pending_update_expired",
    ),
    "invoices": (
        "invoice.created",
        "invoice.updated",
        "invoice.deleted",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.payment_succeeded",
        "invoice.voided",
        "invoice.marked_uncollectible",
        "invoice.sent",
    ),
}
_DELETION_EVENTS = frozenset({"customer.deleted", "invoice.deleted"})
_INTERVAL_PER_MONTH = {"day": 365 / 12, "week": 52 / 12, "month": 1.0, "year": 1 / 12}


class StripeConnector(ConnectorBase):
    """Reads Stripe customers, subscriptions and invoices."""

    tool = "stripe"
    objects = ("customers", "subscriptions", "invoices")
    empty_by_rule: Mapping[str, Mapping[str, EmptyRule]] = {"subscriptions": {"next_billing_date": billing_ended}}

    def __init__(
        self,
        config: SystemConfig,
        sync: SyncConfig,
        credentials: Mapping[str, str],
        engine: Engine | None = None,
    ):
        self.sync = sync
        self.page_size = min(sync.page_size, MAX_PAGE_SIZE)
        self._products: dict[str, dict[str, Any] | str] = {}
        self.client = bearer_client(
            self.tool,
            config,
            sync,
            credentials,
            credential="api_key",
            default_env="STRIPE_API_KEY",
            default_headers={"Stripe-Version": str(config.settings.get("api_version", API_VERSION))},
            requests_per_second=float(config.settings.get("requests_per_second", DEFAULT_REQUESTS_PER_SECOND)) or None,
        )

    # --- reads -------------------------------------------------------------------------------------------------

    def read_full(self, obj: str) -> StreamRead:
        """Every record via the list endpoint. The cursor is the newest event before the read began (Stripe's
        clock), so the next incremental read replays whatever changed while this one was paging."""
        path = self._path(obj)
        read = StreamRead(pages=iter(()), complete=True)

        def pages() -> Iterator[Page]:
            cursor = self._newest_event_time(obj)
            params: dict[str, Any] = {"limit": self.page_size}
            if obj == "subscriptions":
                params["status"] = "all"
            if obj == "customers":  # the card's brand and last digits, not just its id
                params["expand[]"] = f"data.{PAYMENT_METHOD_FIELD}"
            while True:
                body = self.client.get_json(path, params=params)
                records = _list_data(body, path)
                yield Page([self._with_product(record) for record in records])
                if not body.get("has_more"):
                    break
                following = next_page(self.tool, f"GET {path}", params.get("starting_after"), _last_id(records, path))
                params = {**params, "starting_after": following}
            read.cursor_after = str(cursor)

        read.pages = pages()
        return read

    def read_incremental(self, obj: str, cursor: str) -> StreamRead:
        """Objects changed since the cursor, replayed from events; a cursor past event retention reads in full."""
        self._path(obj)
        since = _parse_cursor(cursor) - timedelta(minutes=self.sync.overlap_minutes)
        if datetime.now(UTC) - since >= EVENT_RETENTION:
            log.warning(
                "stripe %s: cursor %s is older than Stripe's %d-day event retention, so events cannot say what "
                "changed; reading the stream in full instead",
                obj,
                since.isoformat(),
                EVENT_RETENTION.days,
            )
            return self.read_full(obj)
        read = StreamRead(pages=iter(()), complete=False)

        def pages() -> Iterator[Page]:
            events = self._events_since(obj, int(since.timestamp()))
            newest_per_object: dict[str, dict[str, Any]] = {}
            for event in events:  # newest first: the first event seen for an object is its latest state
                target = (event.get("data") or {}).get("object") or {}
                if target.get("object") != _OBJECT_TYPES[obj] or "id" not in target:
                    continue
                newest_per_object.setdefault(target["id"], event)
            ordered = sorted(newest_per_object.values(), key=lambda e: (e.get("created") or 0, e.get("id") or ""))
            for start in range(0, len(ordered), self.page_size):
                chunk = ordered[start : start + self.page_size]
                yield Page(
                    records=[
                        self._with_product(self._with_payment_method(pinned_shape(e["data"]["object"])))
                        for e in chunk
                        if e.get("type") not in _DELETION_EVENTS
                    ],
                    deleted_ids=[e["data"]["object"]["id"] for e in chunk if e.get("type") in _DELETION_EVENTS],
                )
            newest = max((int(e.get("created") or 0) for e in events), default=None)
            read.cursor_after = str(max(newest, int(_parse_cursor(cursor).timestamp()))) if newest else cursor

        read.pages = pages()
        return read

    def count(self, obj: str) -> int | None:
        """Stripe lists have no total count; counting would mean reading everything again."""
        self._path(obj)
        return None

    # --- mapping -----------------------------------------------------------------------------------------------

    def source_id(self, obj: str, payload: dict[str, Any]) -> str:
        return str(payload["id"])

    def source_updated_at(self, obj: str, payload: dict[str, Any]) -> datetime | None:
        """Stripe objects carry no last-modified time; the hub's `last_changed_at` stands in for it."""
        return None

    def to_canonical(self, obj: str, payload: dict[str, Any]) -> dict[str, Any]:
        self._path(obj)
        return {
            "customers": customer_to_canonical,
            "subscriptions": subscription_to_canonical,
            "invoices": invoice_to_canonical,
        }[obj](payload)

    # --- internals ---------------------------------------------------------------------------------------------

    def _path(self, obj: str) -> str:
        self._check(obj)
        return _LIST_PATHS[obj]

    def _with_payment_method(self, obj: dict[str, Any]) -> dict[str, Any]:
        """A customer from an event with its default payment method expanded, as the full read lists it: events
        cannot expand, so the method is read by id (one request per changed customer that has one)."""
        settings = obj.get("invoice_settings") or {}
        method_id = settings.get("default_payment_method")
        if obj.get("object") != "customer" or not isinstance(method_id, str) or not method_id:
            return obj
        method = self.client.get_json(f"/v1/payment_methods/{method_id}")
        return {**obj, "invoice_settings": {**settings, "default_payment_method": method}}

    def _with_product(self, obj: dict[str, Any]) -> dict[str, Any]:
        """A subscription with each price's (and the legacy plan's) product id replaced by the product object, read
        once per product; other objects, and products already expanded, are returned as they are."""
        if obj.get("object") != "subscription":
            return obj
        items = (obj.get("items") or {}).get("data") or []
        prices = [item.get(key) for item in items for key in ("price", "plan")] + [obj.get("plan")]
        if not any(isinstance(price, dict) and isinstance(price.get("product"), str) for price in prices):
            return obj

        def expanded(price: Any) -> Any:
            if not isinstance(price, dict) or not isinstance(price.get("product"), str):
                return price
            return {**price, "product": self._product(price["product"])}

        shaped = dict(obj)
        if items:
            keys = ("price", "plan")
            data = [{**item, **{key: expanded(item[key]) for key in keys if key in item}} for item in items]
            shaped["items"] = {**obj["items"], "data": data}
        if "plan" in obj:
            shaped["plan"] = expanded(obj["plan"])
        return shaped

    def _product(self, product_id: str) -> dict[str, Any] | str:
        """The product object, read once per connector (a catalogue has a handful, every subscription names one).
        A product Stripe no longer has stays an id: the subscription still lands, only without the product's name."""
        if product_id not in self._products:
            try:
                self._products[product_id] = self.client.get_json(f"/v1/products/{product_id}")
            except ToolNotFoundError:
                log.warning("stripe product %s is gone: its subscriptions land without a product name", product_id)
                self._products[product_id] = product_id
        return self._products[product_id]

    def _events_since(self, obj: str, since_epoch: int) -> list[dict[str, Any]]:
        """Every event of the stream's types created at or after `since_epoch`, newest first."""
        events: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": self.page_size, "created[gte]": since_epoch, "types[]": _EVENT_TYPES[obj]}
        while True:
            body = self.client.get_json("/v1/events", params=params)
            page = _list_data(body, "/v1/events")
            events.extend(page)
            if not body.get("has_more"):
                return events
            following = next_page(
                self.tool, "GET /v1/events", params.get("starting_after"), _last_id(page, "/v1/events")
            )
            params = {**params, "starting_after": following}

    def _newest_event_time(self, obj: str) -> int:
        """`created` of the newest event of the stream's types, or now when there is none."""
        body = self.client.get_json("/v1/events", params={"limit": 1, "types[]": _EVENT_TYPES[obj]})
        data = _list_data(body, "/v1/events")
        return int(data[0].get("created") or 0) if data else int(datetime.now(UTC).timestamp())


# --- canonical mapping -----------------------------------------------------------------------------------------


def customer_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """A Stripe customer is a billing account; `name` is what the account is billed as (often the company)."""
    address = payload.get("address") or {}
    metadata = payload.get("metadata") or {}
    name = _clean(payload.get("name"))
    return canonical(
        full_name=name,
        company_name=name,
        email=_clean(payload.get("email")),
        phone=_clean(payload.get("phone")),
        street=" ".join(p for p in (_clean(address.get("line1")), _clean(address.get("line2"))) if p) or None,
        city=_clean(address.get("city")),
        postcode=_clean(address.get("postal_code")),
        country=_clean(address.get("country")),
        shared_keys=join_keys(
            shared_key("stripe_customer", payload["id"]),
            shared_key("hubspot_company", metadata["hubspot_company_id"])
            if _clean(metadata.get("hubspot_company_id"))
            else None,
        ),
        payment_method=payment_method(payload),
        currency=_clean(payload.get("currency")),
        balance=_major(payload.get("balance"), payload.get("currency")),
        delinquent=payload.get("delinquent"),
        created_at=iso_from_epoch_seconds(payload.get("created")),
    )


def payment_method(customer: dict[str, Any]) -> str | None:
    """The default payment method as a person reads it on a receipt: "visa •••• 4242".

    Needs the method expanded (a payment method, or a legacy card source); a bare `pm_`/`card_` id says nothing
    to a person, so it maps to None rather than being shown as if it were a payment method.
    """
    default = (customer.get("invoice_settings") or {}).get("default_payment_method") or customer.get("default_source")
    if not isinstance(default, dict):
        return None
    kind = str(default.get("type") or default.get("object") or "")
    details = default.get(kind) if isinstance(default.get(kind), dict) else default  # a card source is flat
    name = details.get("brand") or details.get("bank_name") or kind.replace("_", " ")
    last4 = details.get("last4")
    return f"{str(name).lower()} •••• {last4}" if last4 else _clean(name)


def subscription_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """A subscription belongs to its customer's account; MRR counts only statuses that bring in revenue."""
    items = ((payload.get("items") or {}).get("data")) or []
    first_price = (items[0].get("price") or items[0].get("plan") or {}) if items else (payload.get("plan") or {})
    product = first_price.get("product")
    monthly = monthly_amount(payload)
    status = _clean(payload.get("status"))
    period_end = payload.get("current_period_end") or (items[0].get("current_period_end") if items else None)
    recurring = first_price.get("recurring") or {}
    return canonical(
        is_account_only=True,
        shared_keys=join_keys(_customer_key(payload.get("customer"))),
        subscription_status=status,
        product_id=product.get("id") if isinstance(product, dict) else _clean(product),
        product_name=(product.get("name") if isinstance(product, dict) else None)
        or _clean(first_price.get("nickname")),
        plan_interval=recurring.get("interval") or first_price.get("interval"),
        currency=_clean(first_price.get("currency") or payload.get("currency")),
        monthly_amount=monthly,
        mrr=monthly if status in ACTIVE_STATUSES else 0.0,
        next_billing_date=_iso_date(period_end) if status in ACTIVE_STATUSES else None,
        cancel_at_period_end=payload.get("cancel_at_period_end"),
        started_at=iso_from_epoch_seconds(payload.get("start_date") or payload.get("created")),
        created_at=iso_from_epoch_seconds(payload.get("created")),
    )


def monthly_amount(subscription: dict[str, Any]) -> float:
    """Sum over items of unit amount x quantity, per month, in major currency units (cents / 100)."""
    total = 0.0
    items = ((subscription.get("items") or {}).get("data")) or []
    for item in items:
        price = item.get("price") or item.get("plan") or {}
        unit = price.get("unit_amount")
        if unit is None:
            unit = price.get("amount")
        if unit is None and price.get("unit_amount_decimal") is not None:
            unit = float(price["unit_amount_decimal"])
        if unit is None:
            continue
        recurring = price.get("recurring") or {}
        interval = recurring.get("interval") or price.get("interval") or "month"
        count = recurring.get("interval_count") or price.get("interval_count") or 1
        per_month = _INTERVAL_PER_MONTH.get(interval, 1.0) / count
        quantity = item.get("quantity") if item.get("quantity") is not None else 1
        total += (_major(unit, price.get("currency")) or 0.0) * quantity * per_month
    return round(total, 2)


def invoice_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """An invoice belongs to its customer's account."""
    currency = payload.get("currency")
    return canonical(
        is_account_only=True,
        email=_clean(payload.get("customer_email")),
        shared_keys=join_keys(_customer_key(payload.get("customer"))),
        invoice_number=_clean(payload.get("number")),
        invoice_status=_clean(payload.get("status")),
        amount_due=_major(payload.get("amount_due"), currency),
        amount_paid=_major(payload.get("amount_paid"), currency),
        amount_remaining=_major(payload.get("amount_remaining"), currency),
        currency=_clean(currency),
        due_date=_iso_date(payload.get("due_date")),
        subscription_id=invoice_subscription_id(payload),
        created_at=iso_from_epoch_seconds(payload.get("created")),
    )


def pinned_shape(obj: dict[str, Any]) -> dict[str, Any]:
    """An event's object with the fields that moved in API version 2025-03-31 back where the pinned version has them.

    Only the moves the hub reads are undone: invoice `parent.subscription_details.subscription` -> `subscription`
    (the `parent` is dropped when that is all it says), subscription items' `current_period_*` -> the subscription.
    An object already in the pinned shape is returned unchanged.
    """
    shaped = dict(obj)
    parent = shaped.get("parent")
    if shaped.get("object") == "invoice" and "subscription" not in shaped and "parent" in shaped:
        details = (parent or {}).get("subscription_details") or {}
        shaped["subscription"] = details.get("subscription")
        if not parent or parent.get("type") == "subscription_details":
            del shaped["parent"]
    items = (shaped.get("items") or {}).get("data") or []
    if shaped.get("object") == "subscription" and "current_period_end" not in shaped and items:
        moved = ("current_period_start", "current_period_end")
        shaped.update({key: items[0].get(key) for key in moved})
        shaped["items"] = {
            **shaped["items"],
            "data": [{key: value for key, value in item.items() if key not in moved} for item in items],
        }
    return shaped


def invoice_subscription_id(invoice: dict[str, Any]) -> str | None:
    """The subscription an invoice bills, in either shape Stripe serves.

    Lists answer in the pinned version (top-level `subscription`), but `/v1/events` renders each object in the
    version in force when the event was created: since 2025-03-31 that is `parent.subscription_details`.
    """
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription = invoice.get("subscription") or details.get("subscription")
    if isinstance(subscription, dict):  # expanded
        subscription = subscription.get("id")
    return _clean(subscription)


# --- helpers ---------------------------------------------------------------------------------------------------


def _list_data(body: Any, path: str) -> list[dict[str, Any]]:
    """The `data` of a list envelope; anything else is a malformed page, not an empty one."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(item, dict) and "id" in item for item in data):
        raise ToolResponseError("stripe", f"GET {path}", "response is not a list object with a 'data' array")
    return data


def _last_id(records: list[dict[str, Any]], path: str) -> str:
    """Stripe's next-page cursor is the last record's id: an empty page that says `has_more` cannot be paged on,
    and stopping there would pass for the end of the list."""
    if not records:
        raise ToolResponseError("stripe", f"GET {path}", "an empty page says has_more, so the list cannot be paged on")
    return str(records[-1]["id"])


def _customer_key(customer: Any) -> str | None:
    customer_id = customer.get("id") if isinstance(customer, dict) else customer
    return shared_key("stripe_customer", customer_id) if customer_id else None


def _major(amount: Any, currency: Any) -> float | None:
    if amount is None:
        return None
    value = float(amount)
    return value if str(currency or "").lower() in ZERO_DECIMAL else round(value / 100, 2)


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _iso_date(epoch: Any) -> str | None:
    moment = from_epoch_seconds(epoch)
    return moment.date().isoformat() if moment else None


def _parse_cursor(cursor: str) -> datetime:
    """Cursors are epoch seconds (Stripe's own `created`)."""
    try:
        return datetime.fromtimestamp(int(float(cursor)), UTC)
    except ValueError:
        raise ValueError(f"stripe cursor {cursor!r} is not epoch seconds; run the stream with mode=full") from None
