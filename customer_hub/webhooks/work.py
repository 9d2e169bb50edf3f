"""Which work a vendor event asks for: an onboarding run for a closed-won deal, an incremental sync of a stream.

Pure: a list of stored events in, a plan out. Many events for one stream become one sync run (coalesced per
tick); its run key is derived from the event ids, so the same events always ask for the same run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CLOSED_WON_STAGE = "closedwon"
_HUBSPOT_OBJECTS = {"contact": "contacts", "company": "companies", "deal": "deals"}


def stream_of(tool: str, event_type: str) -> str | None:
    """The stream an event type changes (`customer.subscription.updated` → subscriptions), or None."""
    if tool == "hubspot":
        return _HUBSPOT_OBJECTS.get(event_type.split(".", 1)[0])
    if tool == "stripe":
        if event_type.startswith("customer.subscription."):
            return "subscriptions"
        if event_type.startswith("customer."):
            return "customers"
        return "invoices" if event_type.startswith("invoice.") else None
    if tool == "intercom":
        if event_type.startswith(("contact.", "user.")):
            return "contacts"
        return "conversations" if event_type.startswith("conversation.") else None
    return None


def closed_won_deal(tool: str, event_type: str, payload: Mapping[str, Any], object_id: str | None) -> str | None:
    """The deal id when the event says a HubSpot deal moved to closed-won."""
    if tool != "hubspot" or event_type != "deal.propertyChange" or not object_id:
        return None
    won = payload.get("propertyName") == "dealstage" and payload.get("propertyValue") == CLOSED_WON_STAGE
    return object_id if won else None


def sync_run_key(tool: str, obj: str, event_rows: Iterable[int]) -> str:
    """`webhook:<tool>_<obj>:<digest of the event row ids>`: a re-planned tick asks for the same run."""
    digest = hashlib.sha1(",".join(str(row) for row in sorted(event_rows)).encode()).hexdigest()[:16]
    return f"webhook:{tool}_{obj}:{digest}"


@dataclass
class WorkPlan:
    """Deals to onboard and streams to sync, each with the stored events (row ids) that asked for it."""

    onboard: dict[str, list[int]] = field(default_factory=dict)
    syncs: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    ignored: dict[int, str] = field(default_factory=dict)


def plan_work(events: Iterable[Mapping[str, Any]], streams: set[tuple[str, str]], onboarding: bool) -> WorkPlan:
    """The work for these events; `streams` are the enabled (tool, object) pairs, `onboarding` whether the
    closed-won flow is on. An event nothing maps to is ignored with the reason."""
    plan = WorkPlan()
    for event in events:
        row, tool, kind = event["id"], event["tool"], event["event_type"]
        deal = closed_won_deal(tool, kind, event.get("payload") or {}, event.get("object_id"))
        if deal and onboarding:
            plan.onboard.setdefault(deal, []).append(row)
        obj = stream_of(tool, kind)
        if obj and (tool, obj) in streams:
            plan.syncs.setdefault((tool, obj), []).append(row)
        elif not (deal and onboarding):
            plan.ignored[row] = (
                f"{tool} {obj} is not an enabled stream in hub.yaml" if obj else f"no work for {tool} event {kind}"
            )
    return plan
