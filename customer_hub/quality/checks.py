"""Check evaluations: each quality figure held against its goal, in words a person can act on.

A `CheckResult` is what both the Dagster asset check and the Slack alert are made from, so the UI and the channel
say the same thing. `state` is the part of the result that counts as "the same failure": an alert is repeated only
when it changes (a different count, a different set of records, a new failure, a figure that moved markedly), so
figures that drift with the clock (uptime, latency) do not post an update every run.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from customer_hub.golden.duplicates import duplicate_records
from customer_hub.quality.drift import Drift, drift_metric
from customer_hub.quality.metric import Metric
from customer_hub.quality.privacy import masked
from customer_hub.quality.settings import QualitySettings, Severity

WITHIN_A_TOOL = "Within a tool"
AWAITING_REVIEW = "Across tools, awaiting review"
QUALITY_ASSET = "quality_metrics"
GOLDEN_ASSET = "golden_customers"
CUSTOMER_360_ASSET = "customer_360"

ACTIONS = {
    "completeness": "Fill the missing fields in the tool that owns them (hub.yaml field_ownership); "
    "the next sync and golden run pick them up.",
    "latency": "Check the slow tool's sync schedule and its last runs in Dagster; a failing or stopped "
    "schedule is the usual cause.",
    "duplicates": "Review the open pairs in the steward queue (merge or keep apart) and merge duplicates "
    "inside the tool that holds them.",
    "double_billing": "Cancel the extra subscription in Stripe (one per product) and refund the customer for the "
    "duplicate charges.",
    "unmatched_invoices": "Link the invoice's customer to the CRM record (same email or company) in the "
    "billing tool, or create the customer in HubSpot.",
    "uptime": "Open the failed runs in Dagster: the error names the tool and endpoint. Check the credentials "
    "and the vendor's status page.",
    "error_rate": "Open the failed runs in Dagster: the error names the tool and endpoint. Retries cover "
    "blips; repeated failures need a fix.",
    "row_count_parity": "Run a full sync of the stream (deletions are only seen by a full read). If the gap "
    "stays, compare record ids in the tool with the hub.",
    "field_quarantine": "A sync would have emptied a field filled on most records (a renamed or removed vendor "
    "field). The last good values are kept and golden records wait. Check the vendor's change, then accept the new "
    "mapping: `customer-hub accept-fields TOOL OBJECT` (or run the stream's sync with accept_new_mapping: true).",
    "schema_drift": "Check the vendor's changelog and update the connector mapping for changed fields, then "
    "accept the new schema (quality_store.accept_schema) so it becomes the baseline.",
    "customers_at_risk": "Call the customers newly at risk first: each line says what costs them points (failed "
    "payments, overdue invoices, waiting support, a stalled implementation). `customer-hub lookup NAME` shows all.",
}

TITLES = {
    "completeness": "Golden customers incomplete",
    "latency": "Data arrives late",
    "duplicates": "Duplicate customer records",
    "double_billing": "Customers billed twice",
    "unmatched_invoices": "Invoices without a known customer",
    "uptime": "Integration down",
    "error_rate": "Integration runs failing",
    "row_count_parity": "Record counts differ from the tool",
    "schema_drift": "Tool schema changed",
    "field_quarantine": "Sync would empty a field: quarantined",
    "customers_at_risk": "Customers at risk of churning",
}


@dataclass(frozen=True)
class CheckResult:
    """One evaluation of one check about one subject (`all`, a stream or a tool)."""

    check: str
    subject: str
    asset: str
    passed: bool
    severity: Severity
    value: float
    threshold: float | None
    figure: str
    goal: str
    state: str
    offenders: list[dict[str, Any]] = field(default_factory=list)
    offender_count: int = 0
    sections: dict[str, int] = field(default_factory=dict)
    """For offenders of several kinds: section title -> how many there are in all. Each offender names its
    `section`, so a message can show a few of each kind instead of only the first kind."""
    tool: str | None = None
    alert: bool = True
    """False for a result that measured nothing (no count to compare): shown as not passed, never alerted."""

    @property
    def incident_key(self) -> str:
        return f"{self.check}:{self.subject}"

    @property
    def title(self) -> str:
        return TITLES[self.check] + ("" if self.subject == "all" else f": {self.subject}")

    @property
    def action(self) -> str:
        return ACTIONS[self.check]

    def metadata(self) -> dict[str, Any]:
        """What the asset check shows in the UI: the figure against its goal and the offending records (masked)."""
        return {
            "value": float(self.value),
            "threshold": None if self.threshold is None else float(self.threshold),
            "figure": self.figure,
            "goal": self.goal,
            "offender_count": self.offender_count,
            "offenders": masked(self.offenders),
        }


def fingerprint(ids: Iterable[str]) -> str:
    """A short digest of a set of record ids: the same failing set gives the same state."""
    return hashlib.sha1("\n".join(sorted(ids)).encode()).hexdigest()[:10]


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _doublings(value: float, goal: float) -> str:
    """How many times the goal doubled: latency drifts every run, so only a doubling counts as a change."""
    return f"x{2 ** math.floor(math.log2(value / goal))}" if value > goal else "within"


def _by_series(metrics: Iterable[Metric]) -> dict[str, Metric]:
    return {metric.series: metric for metric in metrics}


def _result(check: str, subject: str, asset: str, passed: bool, settings: QualitySettings, **values) -> CheckResult:
    return CheckResult(
        check=check, subject=subject, asset=asset, passed=passed, severity=settings.severity_of(check), **values
    )


def check_completeness(metric: Metric | None, settings: QualitySettings) -> CheckResult:
    goal = f"at least {_pct(settings.completeness_min)} complete on {', '.join(settings.completeness_fields)}"
    if metric is None or not metric.detail.get("customers"):
        return _result(
            "completeness",
            "all",
            QUALITY_ASSET,
            True,
            settings,
            value=1.0,
            threshold=settings.completeness_min,
            figure="no golden customers yet",
            goal=goal,
            state="empty",
        )
    detail = metric.detail
    return _result(
        "completeness",
        "all",
        QUALITY_ASSET,
        bool(metric.passed),
        settings,
        value=metric.value,
        threshold=settings.completeness_min,
        figure=f"{_pct(metric.value)} complete ({detail['complete']} of {detail['customers']})",
        goal=goal,
        state=f"{math.floor(metric.value * 100)}%",  # a whole percent more or less is news, a customer is not
        offenders=detail["offenders"],
        offender_count=detail["offender_count"],
    )


def check_latency(metric: Metric | None, settings: QualitySettings) -> CheckResult:
    goal = f"at most {settings.latency_max_minutes:g} min from tool to golden record (95th percentile)"
    if metric is None:
        return _result(
            "latency",
            "all",
            QUALITY_ASSET,
            True,
            settings,
            value=0.0,
            threshold=settings.latency_max_minutes,
            figure="no changes in the window",
            goal=goal,
            state="none",
        )
    detail = metric.detail
    shown = f"{metric.value:.1f}" if metric.value < 10 else f"{metric.value:.0f}"
    figure = f"{shown} min (95th percentile of {detail['changes']} changes; {detail['pending']} waiting)"
    return _result(
        "latency",
        "all",
        QUALITY_ASSET,
        bool(metric.passed),
        settings,
        value=metric.value,
        threshold=settings.latency_max_minutes,
        figure=figure,
        goal=goal,
        state=_doublings(metric.value, settings.latency_max_minutes),
        offenders=detail["offenders"],
        offender_count=len(detail["offenders"]),
    )


def check_unmatched_invoices(metric: Metric | None, settings: QualitySettings) -> CheckResult:
    goal = f"at most {settings.unmatched_invoices_max}"
    offenders = metric.detail["offenders"] if metric else []
    count = int(metric.value) if metric else 0
    return _result(
        "unmatched_invoices",
        "all",
        QUALITY_ASSET,
        count <= settings.unmatched_invoices_max,
        settings,
        value=count,
        threshold=settings.unmatched_invoices_max,
        figure=f"{count} invoices without a known customer",
        goal=goal,
        state=f"{count}|{fingerprint(item['record_id'] for item in offenders)}",
        offenders=offenders,
        offender_count=count,
    )


def _per_tool(metrics: Iterable[Metric], name: str) -> list[Metric]:
    return sorted((m for m in metrics if m.metric == name and m.tool != "all"), key=lambda m: m.tool)


def _per_tool_check(
    metrics: Sequence[Metric],
    settings: QualitySettings,
    name: str,
    *,
    goal: str,
    threshold: float,
    idle_value: float,
    worst_of: Callable[[list[Metric]], Metric],
    figure_of: Callable[[Metric, list[Metric]], str],
) -> CheckResult:
    """One check over a per-integration metric: any tool below goal fails it, the worst tool is the figure.

    `idle_value` is reported when no integration ran in the window (a pass: nothing failed).
    """
    tools = _per_tool(metrics, name)
    if not tools:
        return _result(
            name,
            "all",
            QUALITY_ASSET,
            True,
            settings,
            value=idle_value,
            threshold=threshold,
            figure="no integration runs in the window",
            goal=goal,
            state="none",
        )
    worst = worst_of(tools)
    failing = [m for m in tools if not m.passed]
    offenders = [run for m in failing for run in m.detail.get("offenders", [])][-settings.offenders_limit :]
    return _result(
        name,
        "all",
        QUALITY_ASSET,
        not failing,
        settings,
        value=worst.value,
        threshold=threshold,
        figure=figure_of(worst, failing),
        goal=goal,
        state=",".join(f"{m.tool}:{m.detail['failures']} failures" for m in failing),
        offenders=offenders,
        offender_count=sum(m.detail["failures"] for m in failing),
        tool=worst.tool,
    )


def check_uptime(metrics: Sequence[Metric], settings: QualitySettings) -> CheckResult:
    """Fails when any integration was down longer than the goal allows; the figure is the worst tool."""

    def figure(worst: Metric, failing: list[Metric]) -> str:
        text = f"{worst.tool} up {_pct(worst.value)} ({worst.detail['down_minutes']:g} min down)"
        return text + (f"; {len(failing)} tools below goal" if len(failing) > 1 else "")

    return _per_tool_check(
        metrics,
        settings,
        "uptime",
        goal=f"every integration up at least {_pct(settings.uptime_min)} of {settings.window_hours:g} h",
        threshold=settings.uptime_min,
        idle_value=1.0,
        worst_of=lambda tools: min(tools, key=lambda m: m.value),
        figure_of=figure,
    )


def check_error_rate(metrics: Sequence[Metric], settings: QualitySettings) -> CheckResult:
    """Fails when any integration's share of failed runs exceeds the goal; the figure is the worst tool."""
    return _per_tool_check(
        metrics,
        settings,
        "error_rate",
        goal=f"at most {_pct(settings.error_rate_max)} of runs failing per integration",
        threshold=settings.error_rate_max,
        idle_value=0.0,
        worst_of=lambda tools: max(tools, key=lambda m: m.value),
        figure_of=lambda worst, failing: f"{worst.tool}: {_pct(worst.value)} of {worst.detail['runs']} runs failed",
    )


def evaluate_quality_checks(metrics: Sequence[Metric], settings: QualitySettings) -> list[CheckResult]:
    """The checks attached to the `quality_metrics` asset."""
    series = _by_series(metrics)
    return [
        check_completeness(series.get("completeness/all"), settings),
        check_latency(series.get("latency_minutes/all"), settings),
        check_unmatched_invoices(series.get("unmatched_invoices/all"), settings),
        check_uptime(metrics, settings),
        check_error_rate(metrics, settings),
    ]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else float(part > 0)


def check_duplicates(
    groups: Sequence[Mapping[str, Any]], pairs: Sequence[Mapping[str, Any]], settings: QualitySettings, records: int
) -> CheckResult:
    """Duplicate records within tools (`customer_hub.golden.duplicates.duplicate_records`, the figure every report
    shows); pairs across tools awaiting a steward are listed beside it, not added to it. `records` is how many live
    records the duplicate objects hold: above `duplicates_error_share` of them the failure is an ERROR (blocking)."""
    total = duplicate_records(groups)
    share = _share(total, records)
    ids = [rid for group in groups for rid in group["records"]] + [
        f"{pair['record_a']}~{pair['record_b']}" for pair in pairs
    ]
    limit = settings.offenders_limit
    shown_pairs = min(len(pairs), limit // 2)
    offenders = [{**item, "section": WITHIN_A_TOOL} for item in groups[: limit - shown_pairs]]
    offenders += [{**item, "section": AWAITING_REVIEW} for item in pairs[:shown_pairs]]
    return CheckResult(
        check="duplicates",
        subject="all",
        asset=GOLDEN_ASSET,
        passed=total <= settings.duplicates_max,
        severity=settings.escalated("duplicates", share),
        value=total,
        threshold=settings.duplicates_max,
        figure=f"{total} duplicates within tools ({_pct(share)} of {records} records); {len(pairs)} pairs await review",
        goal=f"at most {settings.duplicates_max}; ERROR, holding back customer_360 and write-back, above "
        f"{_pct(settings.duplicates_error_share)} of records",
        state=f"{total}|{fingerprint(ids)}",
        offenders=offenders,
        offender_count=len(groups) + len(pairs),
        sections={WITHIN_A_TOOL: len(groups), AWAITING_REVIEW: len(pairs)},
    )


def check_double_billing(billed: Sequence[Mapping[str, Any]], settings: QualitySettings, paying: int) -> CheckResult:
    """Customers paying twice for one product; `paying` is how many customers have a billing subscription: above
    `double_billing_error_share` of them the failure is an ERROR (blocking)."""
    count = len(billed)
    share = _share(count, paying)
    return CheckResult(
        check="double_billing",
        subject="all",
        asset=CUSTOMER_360_ASSET,
        passed=count <= settings.double_billing_max,
        severity=settings.escalated("double_billing", share),
        value=count,
        threshold=settings.double_billing_max,
        figure=f"{count} customers paying twice for one product ({_pct(share)} of {paying} paying customers)",
        goal=f"at most {settings.double_billing_max}; ERROR, holding back quality_metrics, above "
        f"{_pct(settings.double_billing_error_share)} of paying customers",
        state=f"{count}|{fingerprint(item['golden_customer_id'] for item in billed)}",
        offenders=[dict(item) for item in billed[: settings.offenders_limit]],
        offender_count=count,
    )


def check_parity(metric: Metric, settings: QualitySettings) -> CheckResult:
    """One stream's record count against the tool's. Without a count nothing was compared: the result says so as a
    warning that never alerts, rather than passing (a green check that compared nothing would hide a gap)."""
    stream, detail = metric.stream or metric.tool, metric.detail
    goal = "exactly the tool's count" if not settings.parity_tolerance else f"within {settings.parity_tolerance}"
    if detail.get("reported") is None:
        return CheckResult(
            check="row_count_parity",
            subject=stream,
            asset=stream,
            passed=False,
            severity="WARN",
            value=0.0,
            threshold=settings.parity_tolerance,
            figure=f"hub has {detail['landed']}; {detail['note']}",
            goal=goal,
            state="not compared",
            tool=metric.tool,
            alert=False,
        )
    gap = int(metric.value)
    return _result(
        "row_count_parity",
        stream,
        stream,
        bool(metric.passed),
        settings,
        value=gap,
        threshold=settings.parity_tolerance,
        figure=f"hub has {detail['landed']}, {metric.tool} reports {detail['reported']} ({gap:+d})",
        goal=goal,
        state=f"{gap:+d}",
        offenders=[
            {
                "stream": stream,
                **detail,
                "summary": f"{stream}: hub {detail['landed']}, {metric.tool} {detail['reported']}",
            }
        ]
        if gap
        else [],
        offender_count=abs(gap),
        tool=metric.tool,
    )


def check_drift(drift: Drift, settings: QualitySettings) -> CheckResult:
    """One stream's schema against its baseline; the figure names the tool and every changed field. Fields only
    added fail with the milder `drift_added_severity`: they break no mapping, while removed or renamed ones do."""
    metric = drift_metric(drift)
    stream = metric.stream or drift.tool
    changes = drift.describe()
    figure = f"{drift.tool} {drift.object}: " + ("; ".join(changes) if changes else "no change")
    breaking = bool(drift.removed or drift.renamed)
    return CheckResult(
        check="schema_drift",
        subject=stream,
        asset=stream,
        passed=drift.changes == 0,
        severity=settings.severity_of("schema_drift") if breaking else settings.drift_added_severity,
        value=drift.changes,
        threshold=0,
        figure=figure,
        goal="no field added, removed or renamed since the baseline",
        state=f"{drift.changes}|{drift.fingerprint()}" if changes else "none",
        offenders=metric.detail["offenders"][: settings.offenders_limit],
        offender_count=drift.changes,
        tool=drift.tool,
    )
