"""Webhook silence: a tool that has been sending events and then sends none for a while has likely lost its
subscription (an expired app, a rotated secret answered with 401s, a proxy change), and the hub is back to
polling speed without anyone noticing. One incident per tool, through the usual alert machinery.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from customer_hub.quality.checks import CheckResult
from customer_hub.webhooks.settings import WebhookSettings

CHECK = "webhook_silence"


class SilenceResult(CheckResult):
    """A silence judgement in the shape the alerts package turns into Slack messages and incidents."""

    @property
    def title(self) -> str:
        return f"Webhooks silent: {self.subject}"

    @property
    def action(self) -> str:
        return (
            f"Check the {self.subject} webhook subscription and its signing secret (README: Webhooks), and the "
            "receiver's log for refused deliveries (401). Polling keeps the data flowing meanwhile, only slower."
        )


def silence_results(
    last_received: Mapping[str, datetime], settings: WebhookSettings, now: datetime, asset: str
) -> list[SilenceResult]:
    """One result per tool that has ever sent events: failing when its newest is older than its window."""
    results = []
    for tool, newest in sorted(last_received.items()):
        window = settings.silence_window_hours(tool)
        hours = (now - newest).total_seconds() / 3600
        passed = hours <= window
        results.append(
            SilenceResult(
                check=CHECK,
                subject=tool,
                asset=asset,
                passed=passed,
                severity="WARN",
                value=round(hours, 2),
                threshold=window,
                figure=f"last {tool} webhook {hours:.1f} h ago",
                goal=f"a webhook at least every {window:g} h",
                state="silent" if not passed else "ok",
                tool=tool,
            )
        )
    return results
