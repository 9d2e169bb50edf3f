"""What started a Dagster run, in the words of the integration health log."""

from __future__ import annotations

from dagster import AssetExecutionContext, OpExecutionContext

QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
"""Run config for in-process runs started from the terminal (the demo): step events stay in the Dagster UI and
the terminal shows the hub's own progress lines and summary."""


def trigger_of(context: AssetExecutionContext | OpExecutionContext) -> str:
    """schedule:<name>, sensor:<name>, backfill, or manual (the UI, the CLI or a test)."""
    tags = context.run.tags
    if "dagster/schedule_name" in tags:
        return f"schedule:{tags['dagster/schedule_name']}"
    if "dagster/sensor_name" in tags:
        return f"sensor:{tags['dagster/sensor_name']}"
    if "dagster/backfill" in tags:
        return "backfill"
    return tags.get("customer_hub/trigger", "manual")
