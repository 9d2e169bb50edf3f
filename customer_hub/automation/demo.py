"""The closed-won flow end to end against the sandbox, in one process, with its latency: what the demo shows.

A deal is moved to closed-won through the sandbox's admin API (as a salesperson would in HubSpot), the closed-won
sensor is evaluated once, and the onboarding run it requests executes in this process on the given Dagster
instance (so it appears in the UI when the instance is the demo's). Deployed, the daemon does the same: the sensor
polls every `sensor_interval_seconds`, which adds at most that long before detection.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from dagster import DagsterInstance, Definitions, ExecuteInProcessResult, RunRequest, build_sensor_context

from customer_hub.config import HubConfig
from customer_hub.defs import automation as automation_defs
from customer_hub.defs.resources import HubResource
from customer_hub.defs.run_context import QUIET_RUN_CONFIG
from customer_hub.defs.tool_resources import tool_resource
from customer_hub.local_env import environment, sandbox_environment
from customer_hub.spokes.registry import build_connector
from customer_hub.store import onboarding_store


@dataclass(frozen=True)
class DemoResult:
    """The deal the demo closed and the moments that make up its latency; `success` covers the runs of the other
    closed-won deals the same sensor tick found (`other_deals`) too."""

    deal_id: str
    run_id: str
    success: bool
    flow: dict[str, Any]
    other_deals: tuple[str, ...] = ()

    def seconds(self, since: str, until: str) -> float | None:
        start, end = self.flow.get(since), self.flow.get(until)
        return round((end - start).total_seconds(), 3) if isinstance(start, datetime) and end else None

    def summary(self) -> str:
        flow = self.flow
        return "\n".join(
            [
                f"HubSpot deal {self.deal_id} ({flow.get('deal_name')}, {flow.get('amount')}) → onboarding "
                f"{'done' if flow.get('status') == 'done' else 'FAILED: ' + str(flow.get('error'))}",
                f"  Asana project {flow.get('asana_project_gid')}, QuickBooks draft invoice "
                f"{flow.get('quickbooks_invoice_id')}, customer_360 refreshed: "
                f"{'yes' if flow.get('mrr_refreshed_at') else 'no (customer not in the hub yet)'}",
                f"  closed → detected {self.seconds('deal_closed_at', 'detected_at')} s, → project "
                f"{self.seconds('deal_closed_at', 'project_created_at')} s, → invoice "
                f"{self.seconds('deal_closed_at', 'invoice_drafted_at')} s (end-to-end latency "
                f"{flow.get('latency_seconds')} s; deployed, add up to the sensor interval before detection)",
                f"  other closed-won deals the sensor found, onboarded too: {', '.join(self.other_deals) or 'none'} "
                f"({'all done' if self.success else 'some FAILED'})",
            ]
        )


def execute_onboarding_run(
    request: RunRequest, resources: dict[str, Any], instance: DagsterInstance | None
) -> ExecuteInProcessResult:
    """Run a sensor's onboarding request in this process, as the daemon would launch it."""
    defs = Definitions(
        assets=[automation_defs.onboarding_flows],
        asset_checks=[automation_defs.onboarding_latency],
        jobs=[automation_defs.onboarding_job],
        resources=resources,
    )
    job = defs.resolve_job_def(automation_defs.ONBOARDING_JOB)
    with DagsterInstance.ephemeral() if instance is None else nullcontext(instance) as run_instance:
        return job.execute_in_process(
            run_config={**request.run_config, **QUIET_RUN_CONFIG},
            instance=run_instance,
            tags=request.tags,
            raise_on_error=False,
        )


def _open_deal(hubspot: Any) -> str:
    """The first deal on HubSpot's first page that is still open (neither won nor lost)."""
    page = next(iter(hubspot.read_full("deals").pages))
    for deal in page.records:
        if (deal.get("properties") or {}).get("dealstage") not in ("closedwon", "closedlost"):
            return str(deal["id"])
    raise LookupError("no open deal on the sandbox's first page of HubSpot deals")


def run_onboarding_demo(
    config: HubConfig,
    sandbox_url: str,
    *,
    hub: HubResource | None = None,
    deal_id: str | None = None,
    instance: DagsterInstance | None = None,
    echo: Callable[[str], None] = print,
) -> DemoResult:
    """Close a sandbox deal, run one sensor tick and the onboarding run it requests; print and return the result.

    `config` must set automation.onboarding.asana_template_gid (the sandbox's is SANDBOX_IDS
    ["asana_onboarding_template_gid"]). `hub` defaults to the configured hub store.
    """
    hub = hub or HubResource(config_path=str(config.path or ""))
    with environment(sandbox_environment(config, sandbox_url)):
        tools = {tool: tool_resource(tool, config) for tool in automation_defs.ONBOARDING_TOOLS}
        engine = hub.engine()
        deal_id = deal_id or _open_deal(build_connector("hubspot", config, engine=engine))
        requests.post(f"{sandbox_url.rstrip('/')}/_sandbox/deals/{deal_id}/close_won", timeout=10).raise_for_status()
        echo(f"closed HubSpot deal {deal_id} as won in the sandbox")

        resources: dict[str, Any] = {"hub": hub, **tools}
        tick = automation_defs.closed_won_sensor(build_sensor_context(resources=resources))
        requested = list(getattr(tick, "run_requests", None) or [])
        request = next((r for r in requested if r.run_key == deal_id), None)
        if request is None:
            raise RuntimeError(f"the closed-won sensor did not pick up deal {deal_id}: {tick}")
        others = [r for r in requested if r is not request]
        echo(f"closed-won sensor requested onboarding runs for deal {deal_id} and {len(others)} other deals")

        outcome = execute_onboarding_run(request, resources, instance)  # first: its latency is the one shown
        # the daemon would launch every requested run; so does the demo, leaving no deal `detected` behind
        others_ok = all(execute_onboarding_run(other, resources, instance).success for other in others)
    result = DemoResult(
        deal_id=deal_id,
        run_id=outcome.run_id,
        success=outcome.success and others_ok,
        flow=onboarding_store.read_flow(engine, deal_id) or {},
        other_deals=tuple(r.run_key or "" for r in others),
    )
    echo(result.summary())
    return result
