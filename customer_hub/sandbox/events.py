"""Change trails clients read instead of re-listing: Stripe events and Asana project events."""

import copy
from typing import TYPE_CHECKING, Any

from customer_hub.sandbox.clock import iso_seconds
from customer_hub.sandbox.seeding.common import token
from customer_hub.sandbox.store import Record

if TYPE_CHECKING:
    from customer_hub.sandbox.state import SandboxState

STRIPE_API_VERSION = "2020-08-27"


def emit_stripe_event(
    state: "SandboxState", event_type: str, obj: Record, previous: dict[str, Any] | None = None
) -> Record:
    """Append a Stripe event carrying a snapshot of the object as it is now."""
    now_ms = state.clock.now_ms()
    data: dict[str, Any] = {"object": copy.deepcopy(obj)}
    if previous is not None:
        data["previous_attributes"] = previous
    event = {
        "id": f"evt_{token(state.rng, 24)}",
        "object": "event",
        "api_version": STRIPE_API_VERSION,
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
