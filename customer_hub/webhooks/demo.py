"""One deal flowing by webhook, end to end over HTTP, with its latency: what the demo shows.

The sandbox is subscribed to a receiver on 127.0.0.1; a deal is closed in the sandbox's HubSpot, which sends the
signed `dealstage` = `closedwon` event; the receiver stores it; one tick of `webhook_events_sensor` asks for the
onboarding run, which executes in this process (deployed, the daemon ticks every `webhooks.sensor_interval_seconds`
and launches the run: add up to that interval and the run start-up).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from dagster import DagsterInstance, build_sensor_context

from customer_hub.automation.demo import execute_onboarding_run
from customer_hub.config import HubConfig
from customer_hub.defs import automation as automation_defs
from customer_hub.defs import webhooks as webhook_defs
from customer_hub.defs.resources import HubResource
from customer_hub.defs.tool_resources import tool_resource
from customer_hub.store import onboarding_store, webhook_store
from customer_hub.webhooks.server import start_receiver
from customer_hub.webhooks.settings import webhook_settings


@dataclass(frozen=True)
class WebhookDemoResult:
    deal_id: str
    success: bool
    stored_after: float
    requested_after: float
    project_after: float
    flow: dict[str, Any]


def open_deal(state: Any) -> str:
    """A sandbox deal that is neither won nor lost, to close (the sandbox's state, in this process)."""
    deals = state.stream("hubspot", "deals")
    for deal_id in deals.order:
        if deals.records[deal_id]["properties"].get("dealstage") not in ("closedwon", "closedlost"):
            return deal_id
    raise LookupError("the sandbox has no open HubSpot deal left")


def _wait_for_event(hub: HubResource, deal_id: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = webhook_store.events(hub.engine(), tools=["hubspot"])
        if any(e["object_id"] == deal_id and e["payload"].get("propertyValue") == "closedwon" for e in events):
            return
        time.sleep(0.01)
    raise TimeoutError(f"the closed-won webhook for deal {deal_id} did not arrive within {timeout:.0f} s")


def run_webhook_onboarding_demo(
    config: HubConfig,
    sandbox_url: str,
    deal_id: str,
    *,
    hub: HubResource,
    instance: DagsterInstance | None = None,
    echo: Callable[[str], None] = print,
) -> WebhookDemoResult:
    """Close `deal_id` in the sandbox and follow it by webhook to its Asana project; the environment must point
    the tools at the sandbox (`local_env.sandbox_environment`, which also sets the webhook secrets)."""
    sandbox_url = sandbox_url.rstrip("/")
    resources: dict[str, Any] = {
        "hub": hub,
        **{tool: tool_resource(tool, config) for tool in automation_defs.ONBOARDING_TOOLS},
    }
    with start_receiver(hub.engine(), webhook_settings(config.webhooks), environ=os.environ) as receiver:
        subscription = {"url": receiver.url}
        requests.post(f"{sandbox_url}/_sandbox/webhooks", json=subscription, timeout=10).raise_for_status()
        try:
            started = time.monotonic()
            requests.post(f"{sandbox_url}/_sandbox/deals/{deal_id}/close_won", timeout=10).raise_for_status()
            _wait_for_event(hub, deal_id, timeout=15)
            stored = time.monotonic() - started
            echo(f"HubSpot deal {deal_id} closed-won in the sandbox; signed webhook stored after {stored:.3f} s")
        finally:
            requests.post(f"{sandbox_url}/_sandbox/webhooks", json={"url": None}, timeout=10)
    tick = webhook_defs.webhook_events_sensor(build_sensor_context(resources={"hub": hub}))
    request = next((r for r in getattr(tick, "run_requests", None) or [] if r.run_key == deal_id), None)
    if request is None:
        raise RuntimeError(f"webhook_events_sensor did not ask to onboard deal {deal_id}: {tick}")
    requested = time.monotonic() - started
    echo(f"webhook_events_sensor requested the onboarding run after {requested:.3f} s")
    outcome = execute_onboarding_run(request, resources, instance)
    flow = onboarding_store.read_flow(hub.engine(), deal_id) or {}
    project = time.monotonic() - started
    if flow.get("project_created_at") and flow.get("detected_at"):
        project = requested + (flow["project_created_at"] - flow["detected_at"]).total_seconds()
    echo(
        f"Asana project {flow.get('asana_project_gid')} after {project:.3f} s, QuickBooks draft invoice "
        f"{flow.get('quickbooks_invoice_id')}: deal closed → Asana project by webhook in {project:.2f} s "
        f"(deployed, add up to the sensor's {webhook_settings(config.webhooks).sensor_interval_seconds} s interval)"
    )
    return WebhookDemoResult(deal_id, outcome.success, stored, requested, project, flow)
