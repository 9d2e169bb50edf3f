"""Jobs that put one message in the alert outbox (a digest, a summary): the op, its health-log entry and the job.

The outbox's delivery sensor (slack_alert_delivery) posts the message as it posts every alert, so a Slack outage
delays a report instead of failing its run.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from dagster import JobDefinition, OpExecutionContext, in_process_executor, job, op
from sqlalchemy import Engine

from customer_hub.config import HubConfig
from customer_hub.defs.resources import HubResource
from customer_hub.defs.run_context import trigger_of
from customer_hub.store.health import health_logged

QueueMessage = Callable[[Engine, HubConfig, datetime], int]
"""Builds the message and queues it; returns its outbox id."""


def outbox_message_job(name: str, what: str, queue: QueueMessage, description: str) -> JobDefinition:
    """A one-op job `name` whose op (`post_<what>`) queues the message, logged in the health log as `what`."""

    @op(name=f"post_{what}", description=description)
    def post(context: OpExecutionContext, hub: HubResource) -> None:
        config, engine = hub.config(), hub.engine()
        with health_logged(engine, what, trigger_of(context), run_id=context.run_id) as entry:
            alert_id = queue(engine, config, datetime.now(UTC))
            entry.records_out = 1
        context.log.info(f"{what} queued as alert #{alert_id}; slack_alert_delivery posts it")

    @job(name=name, description=description, executor_def=in_process_executor)
    def message_job() -> None:
        post()

    return message_job
