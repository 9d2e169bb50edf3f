"""The receiver over HTTP: signatures valid, wrong, stale and missing; replays; store before acknowledging."""

from __future__ import annotations

import json
import logging
import time

import pytest
import requests
from sqlalchemy import text

from customer_hub.sandbox.webhooks import SANDBOX_WEBHOOK_SECRETS, signed_headers
from customer_hub.store import webhook_store
from customer_hub.store.health import health_rows
from customer_hub.webhooks.server import start_receiver
from customer_hub.webhooks.settings import WebhookSettings
from customer_hub_tests.webhooks.conftest import SECRETS_ENV, hubspot_event, intercom_event, post, stripe_event


def test_signed_deliveries_of_every_tool_are_stored_and_acknowledged(receiver):
    hubspot = post(receiver, "hubspot", [hubspot_event(1), hubspot_event(2, prop="amount", value="900")])
    stripe = post(receiver, "stripe", stripe_event("evt_1", "customer.subscription.updated", "sub_9"))
    intercom = post(receiver, "intercom", intercom_event("notif_1"))

    assert [r.status_code for r in (hubspot, stripe, intercom)] == [200, 200, 200]
    assert hubspot.json() == {"received": 2, "new": 2, "duplicates": 0}
    stored = {(e["tool"], e["event_id"]): e for e in webhook_store.events(receiver.engine)}
    assert set(stored) == {("hubspot", "1003:1"), ("hubspot", "1003:2"), ("stripe", "evt_1"), ("intercom", "notif_1")}
    assert stored[("stripe", "evt_1")]["object_id"] == "sub_9"
    assert stored[("hubspot", "1003:1")]["payload"]["propertyValue"] == "closedwon"
    assert all(e["status"] == "received" for e in stored.values())


def test_a_replayed_event_is_stored_once_and_acknowledged_again(receiver_on_each_backend):
    receiver = receiver_on_each_backend
    first = post(receiver, "stripe", stripe_event("evt_same"))
    again = post(receiver, "stripe", stripe_event("evt_same"))  # Stripe's retry: new signature, same event

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"received": 1, "new": 0, "duplicates": 1}
    [event] = webhook_store.events(receiver.engine)
    assert event["deliveries"] == 2


@pytest.mark.parametrize(
    "tool, payload",
    [("hubspot", [hubspot_event(7)]), ("stripe", stripe_event("evt_7")), ("intercom", intercom_event("notif_7"))],
)
def test_a_wrong_or_missing_signature_is_refused_and_logged_without_the_body(receiver, caplog, tool, payload):
    caplog.set_level(logging.WARNING, logger="customer_hub.webhooks")
    wrong = post(receiver, tool, payload, secret="not-the-secret")
    missing = post(receiver, tool, payload, headers={"Content-Type": "application/json"})

    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert webhook_store.events(receiver.engine) == []
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 2 and all(tool in line for line in refusals)
    assert not any("propertyName" in line or "notification_event" in line or "data" in line for line in refusals)
    rejected = [row for row in health_rows(receiver.engine) if row["what"] == f"webhooks.{tool}.rejected"]
    assert len(rejected) == 2 and all(row["status"] == "failure" and row["error"] for row in rejected)


def test_stale_signed_requests_are_refused(receiver):
    six_minutes_ago = time.time() - 360
    hubspot = post(receiver, "hubspot", [hubspot_event(8)], sent_at=six_minutes_ago)
    stripe = post(receiver, "stripe", stripe_event("evt_8"), sent_at=six_minutes_ago)
    fresh = post(receiver, "stripe", stripe_event("evt_9"), sent_at=time.time() - 200)  # inside Stripe's 300 s

    assert (hubspot.status_code, stripe.status_code, fresh.status_code) == (401, 401, 200)
    assert "5 minutes" in hubspot.json()["error"]
    assert [e["event_id"] for e in webhook_store.events(receiver.engine)] == ["evt_9"]


def test_a_body_changed_after_signing_is_refused(receiver):
    url = f"{receiver.url}/webhooks/hubspot"
    headers = signed_headers("hubspot", SANDBOX_WEBHOOK_SECRETS["hubspot"], url, b'[{"eventId": 1}]', time.time())
    tampered = requests.post(url, data=b'[{"eventId": 2}]', headers=headers, timeout=10)
    assert tampered.status_code == 401


def test_nothing_is_acknowledged_that_was_not_stored(receiver_on_each_backend):
    receiver = receiver_on_each_backend
    with receiver.engine.begin() as conn:
        conn.execute(text("DROP TABLE webhook_events"))  # the store cannot write

    response = post(receiver, "stripe", stripe_event("evt_lost"))
    assert response.status_code == 500  # so Stripe retries later


def test_an_unset_secret_closes_only_its_endpoint(engine, caplog):
    caplog.set_level(logging.ERROR, logger="customer_hub.webhooks")
    environ = {k: v for k, v in SECRETS_ENV.items() if k != "STRIPE_WEBHOOK_SECRET"}
    with start_receiver(engine, WebhookSettings(), environ=environ) as server:
        stripe = post(server, "stripe", stripe_event("evt_10"))
        hubspot = post(server, "hubspot", [hubspot_event(10)])
        health = requests.get(f"{server.url}/healthz", timeout=5)

    assert (stripe.status_code, hubspot.status_code, health.status_code) == (503, 200, 200)
    assert health.json()["endpoints"] == {"hubspot": True, "stripe": False, "intercom": True}
    assert any("STRIPE_WEBHOOK_SECRET is not set" in r.getMessage() for r in caplog.records)


def test_behind_a_proxy_hubspot_signatures_are_checked_against_the_public_url(engine):
    settings = WebhookSettings(public_url="https://hooks.example.com")
    with start_receiver(engine, settings, environ=SECRETS_ENV) as server:
        body = json.dumps([hubspot_event(11)]).encode()
        public = "https://hooks.example.com/webhooks/hubspot"
        headers = signed_headers("hubspot", SANDBOX_WEBHOOK_SECRETS["hubspot"], public, body, time.time())
        response = requests.post(f"{server.url}/webhooks/hubspot", data=body, headers=headers, timeout=10)
        local = post(server, "hubspot", [hubspot_event(12)])  # signed for the local URL HubSpot never calls

    assert (response.status_code, local.status_code) == (200, 401)


def test_signed_garbage_is_a_bad_request_not_an_event(receiver):
    response = post(receiver, "stripe", {"hello": "world"})
    assert response.status_code == 400
    assert webhook_store.events(receiver.engine) == []
