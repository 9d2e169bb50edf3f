"""The whole path over HTTP: the sandbox announces changes → the receiver stores them → the sensor asks for runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import yaml
from dagster import SensorResult, SkipReason, build_sensor_context

from customer_hub.defs import webhooks as webhook_defs
from customer_hub.defs.resources import HubResource
from customer_hub.sandbox import SANDBOX_IDS, SandboxServer, start_sandbox
from customer_hub.store import engine_for, webhook_store
from customer_hub.webhooks.dispatch import dispatch
from customer_hub.webhooks.server import start_receiver
from customer_hub.webhooks.settings import WebhookSettings
from customer_hub_tests.webhooks.conftest import SECRETS_ENV

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with start_sandbox(scale=0.1) as server:
        yield server


@pytest.fixture
def hub(tmp_path) -> HubResource:
    data = yaml.safe_load((REPO / "hub.yaml").read_text())
    data["automation"] = {"onboarding": {"asana_template_gid": SANDBOX_IDS["asana_onboarding_template_gid"]}}
    (tmp_path / "hub.yaml").write_text(yaml.safe_dump(data))
    return HubResource(config_path=str(tmp_path / "hub.yaml"), database_url=f"sqlite:///{tmp_path}/hub.db")


def subscribe(sandbox: SandboxServer, url: str | None) -> None:
    body = {"url": url, "retry_seconds": [0.2, 0.2, 0.2]}
    requests.post(f"{sandbox.url}/_sandbox/webhooks", json=body, timeout=5).raise_for_status()


def wait_delivered(sandbox: SandboxServer, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = requests.get(f"{sandbox.url}/_sandbox/webhooks", timeout=5).json()
        if state["pending"] == 0 and state["requests"] and state["recent"][-1]["result"] == "200":
            return state
        time.sleep(0.05)
    raise AssertionError(f"sandbox webhooks not delivered: {state}")


def open_deal(sandbox: SandboxServer) -> str:
    deals = sandbox.state.stream("hubspot", "deals")
    return next(
        d for d in deals.order if deals.records[d]["properties"].get("dealstage") not in ("closedwon", "closedlost")
    )


def tick(hub: HubResource, cursor: str | None = None) -> SensorResult | SkipReason:
    return webhook_defs.webhook_events_sensor(build_sensor_context(resources={"hub": hub}, cursor=cursor))


def test_a_closed_deal_and_changed_records_become_one_onboarding_run_and_one_sync_per_stream(sandbox, hub):
    engine = hub.engine()
    with start_receiver(engine, WebhookSettings(), environ=SECRETS_ENV) as receiver:
        subscribe(sandbox, receiver.url)
        try:
            deal = open_deal(sandbox)
            requests.post(f"{sandbox.url}/_sandbox/deals/{deal}/close_won", timeout=5).raise_for_status()
            sandbox.state.mutate(0.02, tools=["hubspot", "stripe"])
            wait_delivered(sandbox)
        finally:
            subscribe(sandbox, None)

    stored = webhook_store.events(engine)
    contact_events = [e for e in stored if e["event_type"] == "contact.propertyChange"]
    assert len(contact_events) > 1 and {e["tool"] for e in stored} == {"hubspot", "stripe"}

    first = tick(hub)
    assert isinstance(first, SensorResult)
    by_job: dict[str, list] = {}
    for request in first.run_requests:
        by_job.setdefault(request.job_name, []).append(request)
    [onboarding] = by_job["onboarding_job"]
    assert onboarding.run_key == deal
    assert onboarding.run_config["ops"]["onboarding_flows"]["ops"]["read_closed_won_deal"]["config"]["deal_id"] == deal
    synced = sorted(key.path[-1] for r in first.run_requests if r.asset_selection for key in r.asset_selection)
    assert synced == ["hubspot_companies", "hubspot_contacts", "hubspot_deals", "stripe_customers",
                      "stripe_invoices", "stripe_subscriptions"]  # fmt: skip
    assert all(r.tags["customer_hub/tool"] == r.job_name.removeprefix("sync_") for r in by_job["sync_hubspot"])
    assert {e["status"] for e in webhook_store.events(engine)} == {"dispatched"}

    second = tick(hub, first.cursor)  # Dagster committed the first tick's cursor with its runs
    assert isinstance(second, SkipReason)
    assert {e["status"] for e in webhook_store.events(engine)} == {"processed"}


def test_a_tick_that_never_committed_is_planned_again_with_the_same_run_keys(hub):
    engine = hub.engine()
    from customer_hub.webhooks.events import parse_stripe

    body = b'{"id": "evt_a", "object": "event", "type": "customer.updated", "data": {"object": {"id": "cus_a"}}}'
    webhook_store.store_delivery(engine, "stripe", parse_stripe(body), datetime.now(UTC))
    streams = {("stripe", "customers")}
    lost = dispatch(engine, 0, streams, False, datetime.now(UTC))  # its cursor never reached Dagster
    again = dispatch(engine, 0, streams, False, datetime.now(UTC))

    assert [s.run_key for s in lost.syncs] == [s.run_key for s in again.syncs] and len(again.syncs) == 1
    assert dispatch(engine, again.tick, streams, False, datetime.now(UTC)).syncs == []
    assert webhook_store.events(engine)[0]["status"] == "processed"


def test_events_without_work_are_ignored_with_the_reason(hub):
    engine = hub.engine()
    from customer_hub.webhooks.events import parse_stripe

    body = b'{"id": "evt_b", "object": "event", "type": "payout.paid", "data": {"object": {"id": "po_1"}}}'
    webhook_store.store_delivery(engine, "stripe", parse_stripe(body), datetime.now(UTC))
    assert isinstance(tick(hub), SkipReason)
    [event] = webhook_store.events(engine)
    assert (event["status"], event["error"]) == ("ignored", "no work for stripe event payout.paid")


def test_the_sandbox_retries_a_delivery_the_receiver_refused(sandbox, tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/retry.db")
    environ = {k: v for k, v in SECRETS_ENV.items() if k != "STRIPE_WEBHOOK_SECRET"}
    with start_receiver(engine, WebhookSettings(), environ=environ) as receiver:
        subscribe(sandbox, receiver.url)
        sent_before = set(sandbox.state.stream("stripe", "events").order)
        try:
            sandbox.state.mutate(0.0001, tools=["stripe"])  # one customer, subscription and invoice change
            deadline = time.monotonic() + 5
            while not requests.get(f"{sandbox.url}/_sandbox/webhooks", timeout=5).json()["failed_attempts"]:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            environ["STRIPE_WEBHOOK_SECRET"] = SECRETS_ENV["STRIPE_WEBHOOK_SECRET"]  # the operator sets it
            state = wait_delivered(sandbox)
        finally:
            subscribe(sandbox, None)

    assert state["gave_up"] == 0
    sent = set(sandbox.state.stream("stripe", "events").order) - sent_before
    stored = [e["event_id"] for e in webhook_store.events(engine)]
    assert len(stored) == len(sent) and set(stored) == sent  # every one, once (retries may reorder them)
