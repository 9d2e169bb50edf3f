"""Vendor webhook bodies → one `WebhookEvent` per event (HubSpot batches up to 100 in one request).

Parsing happens after the signature is verified and before anything is stored; a body that is signed but not the
vendor's shape is refused with 400 (a permanent error: retrying cannot fix it) naming what is missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ID_LIMIT = 200


class PayloadError(ValueError):
    """A signed body that is not a webhook event of the tool; the message names what is wrong."""


@dataclass(frozen=True)
class WebhookEvent:
    """One vendor event, as the hub stores it."""

    tool: str
    event_id: str
    event_type: str
    object_id: str | None
    occurred_at: datetime | None
    payload: dict[str, Any]


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise PayloadError("the body is not JSON") from None


def _moment(value: Any, *, millis: bool) -> datetime | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return datetime.fromtimestamp(value / 1000 if millis else value, UTC)


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)[:ID_LIMIT]


def parse_hubspot(body: bytes) -> list[WebhookEvent]:
    """A HubSpot delivery: a JSON array of events. The id is subscriptionId:eventId, because HubSpot says eventId
    alone is not guaranteed unique, while a retry repeats both."""
    data = _json(body)
    if not isinstance(data, list) or not data:
        raise PayloadError("a HubSpot delivery is a non-empty JSON array of events")
    events = []
    for item in data:
        if not isinstance(item, dict) or item.get("eventId") is None or not item.get("subscriptionType"):
            raise PayloadError("every HubSpot event needs eventId and subscriptionType")
        events.append(
            WebhookEvent(
                tool="hubspot",
                event_id=f"{item.get('subscriptionId', '')}:{item['eventId']}"[:ID_LIMIT],
                event_type=str(item["subscriptionType"])[:128],
                object_id=_text(item.get("objectId")),
                occurred_at=_moment(item.get("occurredAt"), millis=True),
                payload=item,
            )
        )
    return events


def parse_stripe(body: bytes) -> list[WebhookEvent]:
    """A Stripe delivery: one event object (`evt_...`) with the changed object in data.object."""
    data = _json(body)
    if not isinstance(data, dict) or data.get("object") != "event" or not data.get("id") or not data.get("type"):
        raise PayloadError("a Stripe delivery is one event object with id and type")
    obj = (data.get("data") or {}).get("object") or {}
    return [
        WebhookEvent(
            tool="stripe",
            event_id=str(data["id"])[:ID_LIMIT],
            event_type=str(data["type"])[:128],
            object_id=_text(obj.get("id") if isinstance(obj, dict) else None),
            occurred_at=_moment(data.get("created"), millis=False),
            payload=data,
        )
    ]


def parse_intercom(body: bytes) -> list[WebhookEvent]:
    """An Intercom notification (`notif_...`) with the changed item in data.item."""
    data = _json(body)
    if not isinstance(data, dict) or not data.get("id") or not data.get("topic"):
        raise PayloadError("an Intercom notification needs id and topic")
    item = (data.get("data") or {}).get("item") or {}
    return [
        WebhookEvent(
            tool="intercom",
            event_id=str(data["id"])[:ID_LIMIT],
            event_type=str(data["topic"])[:128],
            object_id=_text(item.get("id") if isinstance(item, dict) else None),
            occurred_at=_moment(data.get("created_at"), millis=False),
            payload=data,
        )
    ]


PARSERS = {"hubspot": parse_hubspot, "stripe": parse_stripe, "intercom": parse_intercom}
