"""Onboarding latency is judged against the limit; only done flows are within it, a flow not done counts as slow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from customer_hub.alerts import observe, posted_alerts
from customer_hub.alerts.links import Links, UiAddress
from customer_hub.automation.latency import latency_check_result, latency_report
from customer_hub.store import engine_for

LINKS = Links(UiAddress("http://ui", "test"))

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def flow(
    deal_id: str, minutes_ago: float, latency: float | None, error: str | None = None, status: str | None = None
) -> dict:
    """A flow row; done when it has a latency, unless `status` says otherwise."""
    closed = NOW - timedelta(minutes=minutes_ago)
    return {"deal_id": deal_id, "deal_closed_at": closed, "detected_at": closed, "latency_seconds": latency,
            "error": error, "status": status or ("done" if latency is not None else "running")}  # fmt: skip


def judge(*flows: dict):
    return latency_report(list(flows), limit_minutes=15, now=NOW, window=timedelta(days=7))


def test_fast_flows_pass_with_their_median():
    report = judge(flow("1", 60, 20.0), flow("2", 30, 40.0), flow("3", 5, None))
    assert report.passed
    assert (report.completed, report.median_seconds, report.worst_seconds) == (2, 30.0, 40.0)


def test_a_slow_flow_and_a_stuck_flow_fail_the_check():
    report = judge(flow("1", 60, 20.0), flow("2", 90, 16 * 60.0), flow("3", 40, None, "quickbooks_invoice: 401"))
    assert not report.passed
    assert [(item["deal_id"], item["why"]) for item in report.slow] == [
        ("3", "quickbooks_invoice: 401"),
        ("2", "slow"),
    ]
    assert report.worst_seconds == 40 * 60


def test_flows_outside_the_window_are_not_judged():
    assert judge(flow("old", 60 * 24 * 8, 3600.0)).flows == 0


def test_only_a_done_flow_is_within_the_goal():
    report = judge(
        flow("done", 60, 20.0),
        flow("invoiced, 360 refresh failed", 60, 30.0, "customer_360: timeout", status="failed"),
        flow("detected only", 20, None, status="detected"),
        flow("detected just now", 5, None, status="detected"),
    )
    assert not report.passed
    assert [(item["deal_id"], item["why"]) for item in report.slow] == [
        ("invoiced, 360 refresh failed", "customer_360: timeout"),
        ("detected only", "not done"),
    ]
    assert (report.flows, report.completed, report.median_seconds) == (4, 1, 20.0)


def test_a_stuck_flow_never_ages_out_of_the_check():
    report = judge(flow("stuck", 60 * 24 * 30, None, status="detected"))
    assert [item["deal_id"] for item in report.slow] == ["stuck"]


def test_slow_onboarding_alerts_once_and_resolves(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    slow = latency_check_result(judge(flow("1", 60, 20.0), flow("2", 90, 16 * 60.0)))
    fast = latency_check_result(judge(flow("1", 60, 20.0)))

    kinds = [observe(engine, result, LINKS, "#alerts", NOW) for result in (slow, slow, fast)]

    assert kinds == ["opened", None, "resolved"]
    opened = posted_alerts(engine)[-1]
    assert "Onboarding is slow" in opened["text"] and "16.0 min" in opened["text"]
