"""How fast closed-won deals become an Asana project and a draft invoice, judged against the configured limit.

A flow counts against the limit when its invoice took longer than the limit after the deal closed, and also
while it is not done after the limit (detected, running or failed, even with its invoice drafted): only a completed
flow is within the goal, and a flow stuck on a failing tool is the slowest flow of all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from customer_hub.quality.checks import CheckResult, fingerprint


@dataclass(frozen=True)
class LatencyReport:
    """Latency of the flows in a window; `slow` lists the offenders (deal id, seconds, why)."""

    limit_seconds: float
    flows: int
    completed: int
    median_seconds: float | None
    worst_seconds: float | None
    slow: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.slow


def latency_report(
    flows: Sequence[Mapping[str, Any]], *, limit_minutes: float, now: datetime, window: timedelta
) -> LatencyReport:
    """Judge the flows detected within `window` before `now`, and every unfinished flow however old.

    Only a done flow can be within the limit: one that drafted its invoice in time but is still running or failed
    (say at the customer_360 step), or was only detected, counts as late once the limit has passed since the deal
    closed; a stuck flow never ages out of the check."""
    limit = limit_minutes * 60
    judged = [flow for flow in flows if flow["detected_at"] >= now - window or flow.get("status") != "done"]
    done = [flow for flow in judged if flow.get("status") == "done" and flow.get("latency_seconds") is not None]
    latencies = [flow["latency_seconds"] for flow in done]
    slow = [
        {"deal_id": flow["deal_id"], "seconds": flow["latency_seconds"], "why": "slow"}
        for flow in done
        if flow["latency_seconds"] > limit
    ]
    for flow in judged:
        if flow.get("status") == "done":
            continue
        waited = (now - (flow.get("deal_closed_at") or flow["detected_at"])).total_seconds()
        if waited > limit:
            slow.append(
                {"deal_id": flow["deal_id"], "seconds": round(waited, 1), "why": flow.get("error") or "not done"}
            )
    slow.sort(key=lambda item: -item["seconds"])
    return LatencyReport(
        limit_seconds=limit,
        flows=len(judged),
        completed=len(latencies),
        median_seconds=round(median(latencies), 3) if latencies else None,
        worst_seconds=max([*latencies, *(item["seconds"] for item in slow)], default=None),
        slow=slow,
    )


@dataclass(frozen=True)
class OnboardingLatencyResult(CheckResult):
    """The latency judgement in the shape the alerts package turns into Slack messages and incidents."""

    @property
    def title(self) -> str:
        return "Onboarding is slow"

    @property
    def action(self) -> str:
        return (
            "Open the deal's onboarding run in Dagster: a failed step names the tool (HubSpot, Asana or "
            "QuickBooks) and the error. Fix it and re-execute the run; it completes only what is missing."
        )


def latency_check_result(report: LatencyReport, asset: str = "onboarding_flows") -> OnboardingLatencyResult:
    """The report as a check result: one incident while any recent flow is slow, resolved when none is."""
    limit_minutes = report.limit_seconds / 60
    figure = (
        f"{len(report.slow)} of {report.flows} recent onboarding flows over {limit_minutes:g} min "
        f"(worst {(report.worst_seconds or 0) / 60:.1f} min)"
        if report.slow
        else f"all {report.flows} recent onboarding flows within {limit_minutes:g} min"
    )
    return OnboardingLatencyResult(
        check="onboarding_latency",
        subject="all",
        asset=asset,
        passed=report.passed,
        severity="WARN",
        value=float(report.worst_seconds or 0.0),
        threshold=report.limit_seconds,
        figure=figure,
        goal=f"deal closed to QuickBooks draft invoice within {limit_minutes:g} min",
        state=fingerprint(item["deal_id"] for item in report.slow),
        offenders=[
            {"summary": f"deal {item['deal_id']}: {item['seconds'] / 60:.1f} min ({item['why']})"}
            for item in report.slow
        ],
        offender_count=len(report.slow),
    )
