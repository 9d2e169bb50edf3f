"""Change trails clients read instead of re-listing: Stripe events and Asana project events."""

import copy
from typing import TYPE_CHECKING, Any

from customer_hub.sandbox.clock import iso_seconds
from customer_hub.sandbox.seeding.common import token
from customer_hub.sandbox.store import Record

if TYPE_CHECKING:
    from customer_hub.sandbox.state import SandboxState

STRIPE_ACCOUNT_API_VERSION = "2025-03-31.basil"
"""The account's default API version (lists and retrieves answer in the 2020-08-27 shape the hub pins with
`Stripe-Version`). Stripe renders an event's object in the version in force when the event was
created, whatever `Stripe-Version` the reader sends, so events carry this shape, not the pinned one."""


def in_account_version(obj: Record) -> Record:
    """An object as the account's API version shapes it (2025-03-31 "basil" changes, as far as the hub reads).

    Invoices lose the top-level `subscription`: it moved to `parent.subscription_details.subscription`.
    Subscriptions lose `current_period_start`/`current_period_end`: they moved onto each item.
    """
    shaped = copy.deepcopy(obj)
    if shaped.get("object") == "invoice":
        subscription = shaped.pop("subscription", None)
        shaped["parent"] = (
            {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {"metadata": {}, "subscription": subscription},
            }
            if subscription
            else None
        )
    elif shaped.get("object") == "subscription":
        start, end = shaped.pop("current_period_start", None), shaped.pop("current_period_end", None)
        for item in (shaped.get("items") or {}).get("data") or []:
            item.update(current_period_start=start, current_period_end=end)
    return shaped


def emit_stripe_event(
    state: "SandboxState", event_type: str, obj: Record, previous: dict[str, Any] | None = None
) -> Record:
    """Append a Stripe event carrying a snapshot of the object as it is now, in the account's API version."""
    now_ms = state.clock.now_ms()
    data: dict[str, Any] = {"object": in_account_version(obj)}
    if previous is not None:
        data["previous_attributes"] = previous
    event = {
        "id": f"evt_{token(state.rng, 24)}",
        "object": "event",
        "api_version": STRIPE_ACCOUNT_API_VERSION,
        "created": now_ms // 1000,
        "data": data,
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": f"req_{token(state.rng, 14)}", "idempotency_key": None},
        "type": event_type,
    }
    state.stream("stripe", "events").add(event["id"], event, now_ms)
    state.webhooks.stripe_event(event)
    return event


def emit_asana_event(state: "SandboxState", project: Record, field: str, now_ms: int) -> None:
    """Record a project change for the Asana events (sync token) endpoint."""
    state.asana_events.append(
        (
            project["gid"],
            {
                "user": project["owner"],
                "created_at": iso_seconds(now_ms / 1000),
                "type": "project",
                "action": "changed",
                "resource": {"gid": project["gid"], "resource_type": "project", "name": project["name"]},
                "parent": None,
                "change": {"field": field, "action": "changed", "new_value": project.get(field)},
            },
        )
    )
