"""The one Dagster `Definitions` of customer_hub: every domain's assets, checks, jobs, schedules and sensors.

Each domain keeps its wiring in `customer_hub/defs/<domain>.py`; this module only merges them, so the code
location in the UI shows ingestion, golden records, quality and automation side by side with shared resources.
"""

from __future__ import annotations

from dagster import Definitions

from customer_hub.defs import (
    automation,
    change_control,
    customer_success,
    golden,
    ingestion,
    integration_map,
    quality,
    spend,
    webhooks,
    writeback,
)
from customer_hub.defs.resources import HubResource

_DOMAINS = (
    ingestion,
    golden,
    quality,
    automation,
    webhooks,
    writeback,
    change_control,
    spend,
    customer_success,
    integration_map,
)


def build_definitions() -> Definitions:
    """Merge the domains. Configuration errors in hub.yaml surface here, at load time, naming the key to fix."""
    resources: dict[str, object] = {"hub": HubResource()}
    for domain in _DOMAINS:
        resources.update(getattr(domain, "resources", {}))
    return Definitions(
        assets=[asset for domain in _DOMAINS for asset in getattr(domain, "assets", [])],
        asset_checks=[check for domain in _DOMAINS for check in getattr(domain, "asset_checks", [])],
        jobs=[job for domain in _DOMAINS for job in getattr(domain, "jobs", [])],
        schedules=[schedule for domain in _DOMAINS for schedule in getattr(domain, "schedules", [])],
        sensors=[sensor for domain in _DOMAINS for sensor in getattr(domain, "sensors", [])],
        resources=resources,
    )


defs = build_definitions()
