"""The health score's rules on hand-made 360 views: each signal's points and reason, its thresholds, the bands."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from customer_hub.config import ConfigError, parse_config
from customer_hub.customer_health.scoring import score_customer
from customer_hub.customer_health.settings import health_settings
from customer_hub.customer_health.sheet_dates import sheet_date

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
DEFAULTS = health_settings({})


def _view(**parts) -> dict:
    view = {
        "golden_customer_id": "GC-1",
        "name": "Initech",
        "subscriptions": [],
        "double_billing": [],
        "accounting": {"stripe_open_invoices": 0, "stripe_open_total": 0, "stripe_open_since": None, "invoices": []},
        "support": {"open_conversations": 0, "open_since": None},
        "implementation_status": None,
    }
    view.update(parts)
    return view


def _signals(view: dict, settings=DEFAULTS, **kwargs) -> dict[str, tuple[int, str]]:
    health = score_customer(view, settings, NOW, **kwargs)
    return {signal.name: (signal.points, signal.reason) for signal in health.signals}


def test_a_customer_with_nothing_wrong_is_healthy_at_full_score():
    health = score_customer(_view(), DEFAULTS, NOW)
    assert (health.score, health.band, health.signals, health.notes) == (100, "healthy", (), ())


def test_each_signal_costs_its_points_and_says_why():
    view = _view(
        subscriptions=[{"source_id": "sub_1", "status": "past_due"}, {"source_id": "sub_2", "status": "active"}],
        double_billing=[{"product": "prod_9", "product_name": "Hub Pro", "mrr": 998.0}],
        accounting={
            "stripe_open_invoices": 2,
            "stripe_open_total": 1200.0,
            "stripe_open_since": "2026-03-01T08:00:00+00:00",
            "invoices": [{"balance": 4975.0, "due_date": "2026-01-01"}, {"balance": 100.0, "due_date": "2026-04-01"}],
        },
        support={"open_conversations": 3, "open_since": "2026-02-20T10:00:00+00:00"},
        implementation_status={"value": "Blocked", "source": "sheets", "go_live_date": "2/15/2026"},
    )
    found = _signals(view)
    assert found == {
        "past_due_subscription": (30, "Stripe payment failed: 1 subscription sub_1 (past_due)"),
        "double_billing": (25, "billed twice for Hub Pro (998.00 a month)"),
        "overdue_balance": (
            20,
            "QuickBooks: 1 invoice overdue, 4,975.00 owed, the oldest due 2026-01-01 (68 days ago)",
        ),
        "implementation_overdue": (20, "implementation 'Blocked' past its go-live date 2026-02-15 (23 days)"),
        "implementation_stalled": (20, "implementation stalled: status 'Blocked' in the tracker"),
        "unpaid_stripe_invoice": (15, "2 open Stripe invoices, 1,200.00 unpaid, the oldest owed since 2026-03-01"),
        "ageing_conversation": (15, "Intercom: a conversation open for 18 days (since 2026-02-20)"),
        "open_conversations": (10, "Intercom: 3 open conversations"),
    }
    health = score_customer(view, DEFAULTS, NOW)
    assert (health.score, health.band) == (0, "at_risk")  # 155 points off a score of 100 stops at 0
    assert [signal.points for signal in health.signals] == sorted((s.points for s in health.signals), reverse=True)


def test_thresholds_leave_fresh_problems_alone():
    view = _view(
        accounting={
            "stripe_open_invoices": 1,
            "stripe_open_total": 50.0,
            "stripe_open_since": "2026-03-08",  # 2 days: within the 3-day grace of a charge being retried
            "invoices": [{"balance": 10.0, "due_date": "2026-03-10"}],  # due today, not overdue
        },
        support={"open_conversations": 1, "open_since": "2026-03-04T10:00:00+00:00"},  # one, 6 days old
        implementation_status={"value": "LIVE", "source": "sheets", "go_live_date": "2026-01-15"},  # live is fine
    )
    assert _signals(view) == {}


def test_weights_and_bands_come_from_hub_yaml():
    view = _view(support={"open_conversations": 2, "open_since": "2026-03-09T00:00:00+00:00"})
    assert score_customer(view, DEFAULTS, NOW).score == 90
    settings = health_settings(
        {"signals": {"open_conversations": {"points": 40}, "double_billing": {"points": 0}}, "bands": {"healthy": 95}}
    )
    health = score_customer(view, settings, NOW)
    assert (health.score, health.band) == (60, "watch")
    assert settings.signals.open_conversations.at_least == 2  # a signal given in part keeps its other defaults
    billed = _view(double_billing=[{"product": "prod_9", "mrr": 10.0}])
    assert _signals(billed, settings) == {}  # 0 points switches a signal off


def test_slow_or_stuck_onboarding_counts_only_recent_deals():
    closed = NOW - timedelta(days=3)
    flows = [
        {"deal_id": "d1", "status": "done", "latency_seconds": 45 * 60, "deal_closed_at": closed},
        {"deal_id": "d2", "status": "failed", "latency_seconds": None, "deal_closed_at": NOW - timedelta(hours=2)},
        {"deal_id": "d3", "status": "done", "latency_seconds": 600, "deal_closed_at": closed},  # within 15 min
        {"deal_id": "d4", "status": "failed", "deal_closed_at": NOW - timedelta(days=400)},  # long ago
    ]
    found = _signals(_view(), onboarding_flows=flows, onboarding_limit_minutes=15)
    assert found == {
        "onboarding_slow": (
            10,
            "onboarding slower than 15 min: deal d1 took 45 min; deal d2 not onboarded after 2.0 h (failed)",
        )
    }


def test_a_go_live_date_without_a_year_is_noted_not_judged():
    view = _view(implementation_status={"value": "Training", "source": "sheets", "go_live_date": "Feb 15"})
    health = score_customer(view, DEFAULTS, NOW)
    assert health.score == 100
    assert health.notes == ("implementation go-live date 'Feb 15' is not a date the hub reads (no year?): not judged",)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("2026-02-15", date(2026, 2, 15)),
        ("2026-02-15T00:00:00Z", date(2026, 2, 15)),
        ("2/15/2026", date(2026, 2, 15)),
        ("15 Feb 2026", date(2026, 2, 15)),
        ("15.02.2026", date(2026, 2, 15)),
        ("Feb 15, 2026", date(2026, 2, 15)),
        ("Feb 15", None),
        ("soon", None),
        ("", None),
    ],
)
def test_sheet_dates_as_people_type_them(typed, meant):
    assert sheet_date(typed) == meant


def test_bad_weights_fail_at_load_naming_the_key(tmp_path):
    base = {"systems": {}}
    with pytest.raises(ConfigError, match=r"customer_health\.signals\.overdue_balanse: unknown key"):
        parse_config({**base, "customer_health": {"signals": {"overdue_balanse": {"points": 5}}}}, tmp_path / "h.yaml")
    with pytest.raises(ConfigError, match=r"customer_health\.bands: bands\.watch \(80\) must be below"):
        parse_config({**base, "customer_health": {"bands": {"watch": 80}}}, tmp_path / "h.yaml")
    with pytest.raises(ConfigError, match=r"mrr\.exchange_rates: .*'euro' is not an ISO 4217"):
        parse_config({**base, "mrr": {"exchange_rates": {"euro": 1.1}}}, tmp_path / "h.yaml")
