"""A receiver over real HTTP on 127.0.0.1 with known secrets, on SQLite and (where reachable) PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import Engine

from customer_hub.sandbox.webhooks import SANDBOX_WEBHOOK_SECRETS, signed_headers
from customer_hub.store import engine_for
from customer_hub.webhooks.server import ReceiverServer, start_receiver
from customer_hub.webhooks.settings import WebhookSettings

SECRETS_ENV = {
    "HUBSPOT_CLIENT_SECRET": SANDBOX_WEBHOOK_SECRETS["hubspot"],
    "STRIPE_WEBHOOK_SECRET": SANDBOX_WEBHOOK_SECRETS["stripe"],
    "INTERCOM_CLIENT_SECRET": SANDBOX_WEBHOOK_SECRETS["intercom"],
}


def hubspot_event(event_id: int, deal_id: int = 5001, prop: str = "dealstage", value: str = "closedwon", kind="deal"):
    return {
        "eventId": event_id,
        "subscriptionId": 1003,
        "portalId": 62515,
        "occurredAt": int(time.time() * 1000),
        "subscriptionType": f"{kind}.propertyChange",
        "attemptNumber": 0,
        "objectId": deal_id,
        "propertyName": prop,
        "propertyValue": value,
    }


def stripe_event(event_id: str, event_type: str = "customer.updated", object_id: str = "cus_1") -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": event_type, "created": int(time.time()),
            "data": {"object": {"id": object_id}}}  # fmt: skip


def intercom_event(event_id: str, topic: str = "contact.user.updated", item_id: str = "c1") -> dict[str, Any]:
    return {"type": "notification_event", "id": event_id, "topic": topic, "created_at": int(time.time()),
            "data": {"item": {"id": item_id}}}  # fmt: skip


def post(receiver: ReceiverServer, tool: str, payload: Any, *, secret: str | None = None, sent_at: float | None = None,
         headers: dict[str, str] | None = None) -> requests.Response:  # fmt: skip
    """A delivery signed as the vendor signs it (or with the given headers instead)."""
    url = f"{receiver.url}/webhooks/{tool}"
    body = json.dumps(payload).encode()
    if headers is None:
        secret = secret or SANDBOX_WEBHOOK_SECRETS[tool]
        headers = signed_headers(tool, secret, url, body, time.time() if sent_at is None else sent_at)
    return requests.post(url, data=body, headers=headers, timeout=10)


@pytest.fixture
def engine(sqlite_url) -> Engine:
    return engine_for(sqlite_url)


def _serve(engine: Engine) -> Iterator[ReceiverServer]:
    with start_receiver(engine, WebhookSettings(), environ=SECRETS_ENV) as server:
        server.engine = engine
        yield server


@pytest.fixture
def receiver(engine) -> Iterator[ReceiverServer]:
    """On SQLite: the HTTP behaviour is the same on both backends."""
    yield from _serve(engine)


@pytest.fixture
def receiver_on_each_backend(hub_engine) -> Iterator[ReceiverServer]:
    """On SQLite and PostgreSQL: for what the store decides (dedupe, store before acknowledging)."""
    yield from _serve(hub_engine)
