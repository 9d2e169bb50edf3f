from datetime import UTC, datetime, timedelta

from customer_hub.alerts import deliver_pending, observe, slack_target
from customer_hub.quality.checks import check_uptime
from customer_hub.quality.metric import Metric
from customer_hub.quality.settings import QualitySettings
from customer_hub.store import alert_store
from customer_hub_tests.alerts.checks_for_tests import duplicates
from customer_hub_tests.alerts.conftest import CHANNEL, TOKEN, UI, UI_URL

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _all_text(message):
    """Everything a reader sees in a posted message: fallback text and every text inside the blocks."""
    parts = [message["text"]]

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("text", "url") and isinstance(item, str):
                    parts.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(message["blocks"])
    return "\n".join(parts)


def test_a_failing_check_alerts_once_updates_in_thread_and_resolves_in_thread(hub_engine, alerts_config, recorder):
    engine = hub_engine
    target = slack_target(alerts_config, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": recorder.api_url})

    assert observe(engine, duplicates(3), UI, CHANNEL, T0) == "opened"
    for run in range(1, 11):  # ten more runs with the same failing duplicate set
        assert observe(engine, duplicates(3), UI, CHANNEL, T0 + timedelta(hours=run)) is None
        deliver_pending(engine, target)
    assert len(recorder.messages) == 1
    opening = recorder.messages[0]
    assert opening["channel"] == CHANNEL and opening["thread_ts"] is None
    seen = _all_text(opening)
    assert "Duplicate customer records" in seen
    assert "3 duplicates within tools (3.0% of 100 records); 0 pairs await review" in seen
    assert "at most 0" in seen  # the goal next to the figure
    assert "j***@acme.com" in seen and "jane0@acme.com" not in seen
    assert f"{UI_URL}/assets/golden_customers" in seen
    assert "What to do" in seen

    assert observe(engine, duplicates(4), UI, CHANNEL, T0 + timedelta(hours=12)) == "updated"
    deliver_pending(engine, target)
    update = recorder.messages[1]
    assert update["thread_ts"] == opening["ts"]
    assert "4 duplicates" in update["text"] and "was 3 duplicates" in update["text"]

    assert observe(engine, duplicates(0), UI, CHANNEL, T0 + timedelta(hours=13)) == "resolved"
    assert observe(engine, duplicates(0), UI, CHANNEL, T0 + timedelta(hours=14)) is None
    deliver_pending(engine, target)
    assert len(recorder.messages) == 3
    resolved = recorder.messages[2]
    assert resolved["thread_ts"] == opening["ts"] and resolved["text"].startswith("Resolved: Duplicate customer")

    [incident] = alert_store.incidents(engine)
    assert incident["status"] == "resolved" and incident["thread_ts"] == opening["ts"]


def test_a_check_failing_again_after_recovery_opens_a_new_thread(engine, alerts_config, recorder):
    target = slack_target(alerts_config, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": recorder.api_url})
    for count, hour in ((2, 0), (0, 1), (2, 2), (0, 3)):
        observe(engine, duplicates(count), UI, CHANNEL, T0 + timedelta(hours=hour))
    deliver_pending(engine, target)
    first_open, first_resolved, second_open, second_resolved = recorder.messages
    assert first_open["thread_ts"] is None and second_open["thread_ts"] is None
    assert first_resolved["thread_ts"] == first_open["ts"]
    assert second_resolved["thread_ts"] == second_open["ts"] != first_open["ts"]


def test_figures_that_drift_with_the_clock_update_only_on_a_new_failure(engine):
    def uptime(value: float, failures: int):
        detail = {"runs": 4, "failures": failures, "down_minutes": round((1 - value) * 1440), "offenders": []}
        return check_uptime([Metric("uptime", "stripe", value, 0.99, False, detail)], QualitySettings())

    assert observe(engine, uptime(0.95, 1), UI, CHANNEL, T0) == "opened"
    for minutes in range(5, 60, 5):  # still down: the figure worsens every run, nothing new happened
        assert observe(engine, uptime(0.95 - minutes / 1440, 1), UI, CHANNEL, T0 + timedelta(minutes=minutes)) is None
    assert observe(engine, uptime(0.90, 2), UI, CHANNEL, T0 + timedelta(hours=1)) == "updated"
