"""Customer health on the sandbox's customers: scores with reasons, the daily history, the at-risk alert, lookup."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from customer_hub.alerts import observe
from customer_hub.alerts.links import links_for
from customer_hub.customer_health.alert import at_risk_result
from customer_hub.customer_health.build import score_customers
from customer_hub.lookup import format_360, lookup
from customer_hub.store import alert_store, customer_health_store
from customer_hub.store.schema import customer_360, customer_health_history

from .conftest import NOW

ACME_DAY_ONE = [
    ("double_billing", 25, "billed twice for Hub Pro (9,950.00 a month)"),
    ("overdue_balance", 20, "QuickBooks: 1 invoice overdue, 4,975.00 owed, the oldest due 2026-01-01 (1 day ago)"),
]


def _acme(run):
    return next(health for health in run.scores if health.name == "Acme Corp.")


def _alert(engine, config, now) -> tuple[str | None, object]:
    """The at-risk check on the latest scores, observed as the customer_health asset does."""
    result = at_risk_result(customer_health_store.latest_scores(engine, band="at_risk"), 50)
    return observe(engine, result, links_for(config), config.alerts.slack_channel, now), result


def test_every_customer_scored_with_its_reasons_and_kept_for_the_day(hub, config):
    run = score_customers(hub, config, NOW)
    with hub.connect() as conn:
        customers = conn.execute(select(func.count()).select_from(customer_360)).scalar()
        history = conn.execute(select(func.count()).select_from(customer_health_history)).scalar()
    assert len(run.scores) == customers == history > 100
    counts = run.band_counts()
    assert sum(counts.values()) == customers and counts["at_risk"] > 0 and counts["healthy"] > counts["watch"]
    acme = _acme(run)
    assert (acme.score, acme.band) == (55, "watch")
    assert [(s.name, s.points, s.reason) for s in acme.signals] == ACME_DAY_ONE
    for health in run.scores:  # transparent: the score is exactly 100 minus the points listed
        assert health.score == max(0, 100 - sum(signal.points for signal in health.signals))
        assert all(signal.reason for signal in health.signals)

    score_customers(hub, config, NOW + timedelta(hours=3))  # a second run the same day replaces the day
    with hub.connect() as conn:
        assert conn.execute(select(func.count()).select_from(customer_health_history)).scalar() == customers


def test_acme_drops_into_at_risk_as_its_conversation_ages_and_the_alert_names_it(hub, config):
    first = score_customers(hub, config, NOW)
    kind, opened = _alert(hub, config, NOW)
    assert kind == "opened"
    assert len(first.newly_at_risk()) == opened.offender_count == first.band_counts()["at_risk"]
    assert "Acme" not in str(opened.offenders)
    assert _alert(hub, config, NOW + timedelta(hours=1))[0] is None  # nothing changed: no second message

    second = score_customers(hub, config, NOW + timedelta(days=1))  # the support conversation is now 7 days old
    acme = _acme(second)
    assert (acme.score, acme.band) == (40, "at_risk")
    assert ("ageing_conversation", 15, "Intercom: a conversation open for 7 days (since 2025-12-27)") in [
        (s.name, s.points, s.reason) for s in acme.signals
    ]
    assert acme in second.newly_at_risk()
    kind, updated = _alert(hub, config, NOW + timedelta(days=1))
    assert kind == "updated"
    newly = [entry["summary"] for entry in updated.offenders[: len(second.newly_at_risk())]]
    assert any(line.startswith(f"Acme Corp. ({acme.golden_customer_id}): 40/100") for line in newly)
    messages = [row["message"]["text"] for row in alert_store.recent_alerts(hub, 5)]
    assert messages[0].startswith("Still failing, changed: Customers at risk of churning:")

    [view] = lookup(hub, "acme.com")
    assert view["health"]["previous_band"] == "watch"
    assert [point["score"] for point in view["health"]["trend"]] == [55, 40]
    text = format_360(view)
    assert "Health  40/100 (at risk)" in text
    assert "  -15  ageing_conversation: Intercom: a conversation open for 7 days (since 2025-12-27)" in text
    assert "trend: 55 (2026-01-02) → 40 (2026-01-03)" in text


def test_weights_in_hub_yaml_change_the_scores(hub, config):
    lenient = config.model_copy(update={"customer_health": {"signals": {"double_billing": {"points": 0}}}})
    acme = _acme(score_customers(hub, lenient, NOW))
    assert (acme.score, acme.band) == (80, "healthy")
    assert [signal.name for signal in acme.signals] == ["overdue_balance"]
