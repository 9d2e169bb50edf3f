"""Signed webhooks from the sandbox, so the hub's receiver is exercised over real HTTP like the vendors call it.

Off until a subscriber is set (`POST /_sandbox/webhooks {"url": "http://127.0.0.1:8787"}` or `customer-hub
sandbox --webhook-url`). Then changes are announced the way each vendor does:
- HubSpot: one `<object>.propertyChange` event per changed property of a contact, company or deal (closing a deal
  sends `dealstage` = `closedwon`), batched up to 100 events per request, signed v3;
- Stripe: every event the sandbox appends to /v1/events (customer, subscription, invoice), one per request, with
  Stripe-Signature;
- Intercom: `contact.user.updated` and `conversation.admin.closed|opened` notifications, with X-Hub-Signature.
A delivery answered with anything but 2xx (or not answered) is retried on a shortened vendor-like schedule
(`retry_seconds`, default 1, 2, 4, 8, 16 s; HubSpot and Stripe retry over a day or three), re-signed each time.
One background thread delivers, outside the state lock, so API clients never wait for a subscriber.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from customer_hub.sandbox.store import Record
from customer_hub.webhooks.signatures import hubspot_v3_signature, intercom_signature, stripe_signature_header

log = logging.getLogger(__name__)

SANDBOX_WEBHOOK_SECRETS = {
    "hubspot": "sandbox-hubspot-client-secret",
    "stripe": "whsec_sandbox0signing0secret",
    "intercom": "sandbox-intercom-client-secret",
}
"""What the sandbox signs with unless told otherwise; `local_env.sandbox_environment` gives them to the receiver."""
DEFAULT_RETRY_SECONDS = (1.0, 2.0, 4.0, 8.0, 16.0)
HUBSPOT_BATCH = 100
_HUBSPOT_OBJECTS = {"contacts": "contact", "companies": "company", "deals": "deal"}
_HUBSPOT_SUBSCRIPTIONS = {"contact": 1001, "company": 1002, "deal": 1003}
_HUBSPOT_PORTAL, _HUBSPOT_APP = 62515, 1160452
_UNSIGNED = {"lastmodifieddate", "hs_lastmodifieddate"}
"""Bookkeeping properties HubSpot changes on every edit; subscriptions name the business properties."""


def signed_headers(tool: str, secret: str, url: str, body: bytes, now: float) -> dict[str, str]:
    """The headers the vendor would send with this body to this URL at this time."""
    headers = {"Content-Type": "application/json"}
    if tool == "hubspot":
        timestamp = str(int(now * 1000))
        headers["X-HubSpot-Request-Timestamp"] = timestamp
        headers["X-HubSpot-Signature-v3"] = hubspot_v3_signature(secret, "POST", url, body, timestamp)
        headers["X-HubSpot-Signature-Version"] = "v3"
    elif tool == "stripe":
        headers["Stripe-Signature"] = stripe_signature_header(secret, body, int(now))
    else:
        headers["X-Hub-Signature"] = intercom_signature(secret, body)
    return headers


def hubspot_snapshot(tool: str, record: Record) -> dict[str, Any] | None:
    """A HubSpot record's properties before a change, to announce what the change did."""
    return dict(record.get("properties") or {}) if tool == "hubspot" else None


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    tool: str = field(compare=False)
    events: list[dict[str, Any]] = field(compare=False)
    attempt: int = field(default=0, compare=False)


class WebhookSender:
    """Queues the sandbox's change announcements and delivers them, signed, with retries."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.secrets = dict(SANDBOX_WEBHOOK_SECRETS)
        self.retry_seconds: tuple[float, ...] = DEFAULT_RETRY_SECONDS
        self._queue: list[_Delivery] = []
        self._hubspot_batch: list[dict[str, Any]] = []
        self._seq = itertools.count()
        self._event_ids = itertools.count(1)
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self.stats = {"requests": 0, "delivered": 0, "failed_attempts": 0, "gave_up": 0}
        self.log: list[dict[str, Any]] = []

    def configure(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Set (or with url null, clear) the subscriber; `secrets` and `retry_seconds` are optional."""
        url = spec.get("url")
        if url is not None and not str(url).startswith(("http://", "https://")):
            raise ValueError("webhooks: url must be http(s)://host:port of the hub's receiver, or null to stop")
        with self._wake:
            self.url = str(url).rstrip("/") if url else None
            self.secrets.update({k: str(v) for k, v in (spec.get("secrets") or {}).items() if k in self.secrets})
            if "retry_seconds" in spec:
                self.retry_seconds = tuple(float(s) for s in spec["retry_seconds"])
            if self.url and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
                self._thread.start()
        return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        with self._wake:
            return {
                "url": self.url,
                "retry_seconds": list(self.retry_seconds),
                "pending": len(self._queue) + len(self._hubspot_batch),
                **self.stats,
                "recent": self.log[-50:],
            }

    # --- what the sandbox announces (called under the state lock: only queue, never send) -------------------------

    def changed(self, tool: str, name: str, record: Record, before: dict[str, Any] | None, now_ms: int) -> None:
        """A HubSpot or Intercom record changed (Stripe announces through `stripe_event`)."""
        if not self.url:
            return
        if tool == "hubspot" and name in _HUBSPOT_OBJECTS and before is not None:
            kind = _HUBSPOT_OBJECTS[name]
            after = record.get("properties") or {}
            for prop in sorted(set(after) | set(before)):
                if prop not in _UNSIGNED and after.get(prop) != before.get(prop):
                    self._hubspot_event(kind, record, prop, after.get(prop), now_ms)
        elif tool == "intercom":
            if name == "contacts":
                topic = "contact.user.updated"
            else:
                topic = "conversation.admin.closed" if record.get("state") == "closed" else "conversation.admin.opened"
            self._intercom_event(topic, record, now_ms)

    def stripe_event(self, event: Record) -> None:
        """Stripe sends every event of the account to the endpoint (the sandbox subscribes to all)."""
        if self.url:
            self._enqueue("stripe", [json.loads(json.dumps(event))])

    def _hubspot_event(self, kind: str, record: Record, prop: str, value: Any, now_ms: int) -> None:
        event = {
            "eventId": next(self._event_ids),
            "subscriptionId": _HUBSPOT_SUBSCRIPTIONS[kind],
            "portalId": _HUBSPOT_PORTAL,
            "appId": _HUBSPOT_APP,
            "occurredAt": now_ms,
            "subscriptionType": f"{kind}.propertyChange",
            "attemptNumber": 0,
            "objectId": int(record["id"]),
            "propertyName": prop,
            "propertyValue": "" if value is None else str(value),
            "changeSource": "CRM_UI",
            "sourceId": "userId:1",
        }
        with self._wake:
            self._hubspot_batch.append(event)
            self._wake.notify()

    def _intercom_event(self, topic: str, record: Record, now_ms: int) -> None:
        notification = {
            "type": "notification_event",
            "app_id": "sandbox",
            "data": {"type": "notification_event_data", "item": json.loads(json.dumps(record))},
            "id": f"notif_{uuid.uuid4()}",
            "topic": topic,
            "delivery_status": "pending",
            "delivery_attempts": 1,
            "created_at": now_ms // 1000,
            "first_sent_at": now_ms // 1000,
        }
        self._enqueue("intercom", [notification])

    def _enqueue(self, tool: str, events: list[dict[str, Any]], due: float = 0.0, attempt: int = 0) -> None:
        with self._wake:
            heapq.heappush(self._queue, _Delivery(due, next(self._seq), tool, events, attempt))
            self._wake.notify()

    # --- delivery -----------------------------------------------------------------------------------------------

    def _next(self) -> _Delivery:
        """The next delivery that is due; HubSpot's queued events go out in batches of up to 100."""
        with self._wake:
            while True:
                if self._hubspot_batch:
                    batch, self._hubspot_batch = (
                        self._hubspot_batch[:HUBSPOT_BATCH],
                        self._hubspot_batch[HUBSPOT_BATCH:],
                    )
                    return _Delivery(0.0, next(self._seq), "hubspot", batch)
                now = time.monotonic()
                if self._queue and self._queue[0].due <= now:
                    return heapq.heappop(self._queue)
                self._wake.wait(timeout=min(1.0, self._queue[0].due - now) if self._queue else 1.0)

    def _run(self) -> None:
        session = requests.Session()
        while True:
            delivery = self._next()
            url = self.url
            if not url:
                continue
            self._send(session, f"{url}/webhooks/{delivery.tool}", delivery)

    def _send(self, session: requests.Session, url: str, delivery: _Delivery) -> None:
        events = delivery.events
        if delivery.tool == "hubspot":
            events = [dict(event, attemptNumber=delivery.attempt) for event in events]
        body = json.dumps(events if delivery.tool == "hubspot" else events[0]).encode()
        headers = signed_headers(delivery.tool, self.secrets[delivery.tool], url, body, time.time())
        try:
            status = session.post(url, data=body, headers=headers, timeout=10).status_code
        except requests.RequestException as error:
            status, detail = None, type(error).__name__
        else:
            detail = str(status)
        with self._wake:
            self.stats["requests"] += 1
            ok = status is not None and 200 <= status < 300
            self.log.append(
                {"tool": delivery.tool, "events": len(events), "attempt": delivery.attempt, "result": detail}
            )
            del self.log[:-200]
            if ok:
                self.stats["delivered"] += 1
                return
            self.stats["failed_attempts"] += 1
            if delivery.attempt >= len(self.retry_seconds):
                self.stats["gave_up"] += 1
                log.warning("sandbox webhook to %s gave up after %d attempts (%s)", url, delivery.attempt + 1, detail)
                return
        delay = self.retry_seconds[delivery.attempt]
        self._enqueue(delivery.tool, delivery.events, time.monotonic() + delay, delivery.attempt + 1)
