import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from customer_hub.alerts import deliver_pending, observe, posted_alerts, slack_target
from customer_hub.store import alert_store
from customer_hub_tests.alerts.checks_for_tests import duplicates
from customer_hub_tests.alerts.conftest import CHANNEL, TOKEN, UI

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _bot(alerts_config, recorder, token=TOKEN):
    return slack_target(alerts_config, {"SLACK_BOT_TOKEN": token, "SLACK_API_URL": recorder.api_url})


def _statuses(engine):
    return [(row["kind"], row["status"]) for row in reversed(alert_store.recent_alerts(engine))]


@pytest.mark.parametrize(
    "outage", [{"status": 503}, {"status": 200, "error": "fatal_error"}], ids=["http-503", "ok-false"]
)
def test_alerts_survive_a_slack_outage_and_are_delivered_in_order_afterwards(engine, alerts_config, recorder, outage):
    target = _bot(alerts_config, recorder)
    recorder.fail_always(**outage)
    observe(engine, duplicates(2), UI, CHANNEL, T0)
    report = deliver_pending(engine, target)
    assert report.delivered == 0 and report.failed == 1
    observe(engine, duplicates(5), UI, CHANNEL, T0 + timedelta(hours=1))  # queued while Slack is down
    report = deliver_pending(engine, target)
    assert report.failed == 1  # the pass stops at the first failure: the next alerts keep their place
    assert recorder.messages == []
    [failed, waiting] = alert_store.to_deliver(engine)
    assert failed["status"] == "failed" and failed["attempts"] == 2 and "will retry" in failed["last_error"]
    assert waiting["status"] == "pending"

    recorder.recover()
    report = deliver_pending(engine, target)
    assert report.delivered == 2
    opening, update = recorder.messages
    assert "2 duplicates" in opening["text"] and opening["thread_ts"] is None
    assert "5 duplicates" in update["text"] and update["thread_ts"] == opening["ts"]
    assert _statuses(engine) == [("opened", "delivered"), ("updated", "delivered")]


def test_rate_limited_posts_are_retried_after_retry_after(engine, alerts_config, recorder):
    recorder.fail_next(status=429, headers={"Retry-After": "0"})
    observe(engine, duplicates(1), UI, CHANNEL, T0)
    report = deliver_pending(engine, _bot(alerts_config, recorder))
    assert report.delivered == 1 and len(recorder.messages) == 1
    assert len(recorder.requests) == 2  # the 429 and the retry


def test_an_invalid_token_is_reported_clearly_without_the_token(engine, alerts_config, recorder, caplog):
    revoked = "xoxb-revoked-9999"
    observe(engine, duplicates(1), UI, CHANNEL, T0)
    with caplog.at_level(logging.INFO, logger="customer_hub.alerts"):
        report = deliver_pending(engine, _bot(alerts_config, recorder, token=revoked))
    [row] = alert_store.to_deliver(engine)
    assert row["status"] == "failed"
    assert "invalid_auth" in row["last_error"] and "$SLACK_BOT_TOKEN" in row["last_error"]
    assert "invalid_auth" in caplog.text and "invalid_auth" in report.summary()
    for text in (row["last_error"], caplog.text, report.summary(), repr(report)):
        assert revoked not in text


def test_an_unknown_channel_names_the_setting_to_fix(engine, recorder):
    from customer_hub.config import AlertsConfig

    config = AlertsConfig(slack_channel="#no-such-channel", public_ui_url=UI.ui.url)
    observe(engine, duplicates(1), UI, config.slack_channel, T0)
    deliver_pending(engine, _bot(config, recorder))
    [row] = alert_store.to_deliver(engine)
    assert "channel_not_found" in row["last_error"] and "alerts.slack_channel" in row["last_error"]


def test_without_slack_alerts_stay_in_the_outbox_and_are_logged_once(engine, alerts_config, recorder, caplog):
    observe(engine, duplicates(1), UI, CHANNEL, T0)
    nowhere = slack_target(alerts_config, {})
    with caplog.at_level(logging.WARNING, logger="customer_hub.alerts"):
        deliver_pending(engine, nowhere)
        deliver_pending(engine, nowhere)
    assert caplog.text.count("SLACK NOT CONFIGURED") == 1
    assert "Duplicate customer records: 1 duplicates" in caplog.text
    assert [alert["status"] for alert in posted_alerts(engine)] == ["not_configured"]

    deliver_pending(engine, _bot(alerts_config, recorder))  # configured later: nothing was lost
    assert [alert["status"] for alert in posted_alerts(engine)] == ["delivered"]
    assert len(recorder.messages) == 1


def test_webhook_delivery_posts_blocks_and_replies_stand_alone(engine, alerts_config, recorder):
    target = slack_target(alerts_config, {"SLACK_WEBHOOK_URL": recorder.webhook_url})
    assert target.mode == "webhook" and recorder.webhook_url not in repr(target)
    observe(engine, duplicates(2), UI, CHANNEL, T0)
    observe(engine, duplicates(0), UI, CHANNEL, T0 + timedelta(hours=1))
    report = deliver_pending(engine, target)
    assert report.delivered == 2
    opening, resolved = recorder.messages
    assert opening["via"] == "webhook" and opening["blocks"][0]["type"] == "header"
    assert resolved["text"].startswith("Resolved: Duplicate customer records")


def test_a_webhook_that_was_revoked_is_reported(engine, alerts_config, recorder):
    recorder.fail_always(status=403, error="invalid_token")
    observe(engine, duplicates(1), UI, CHANNEL, T0)
    deliver_pending(engine, slack_target(alerts_config, {"SLACK_WEBHOOK_URL": recorder.webhook_url}))
    [row] = alert_store.to_deliver(engine)
    assert "invalid_token" in row["last_error"] and "$SLACK_WEBHOOK_URL" in row["last_error"]
    assert "recordersecret" not in row["last_error"]


def test_a_message_slack_rejects_for_its_blocks_goes_out_as_plain_text(engine, alerts_config, recorder):
    recorder.fail_next(status=200, error="invalid_blocks")
    observe(engine, duplicates(1), UI, CHANNEL, T0)
    report = deliver_pending(engine, _bot(alerts_config, recorder))
    assert report.delivered == 1
    assert recorder.messages[0]["blocks"] is None and "1 duplicates" in recorder.messages[0]["text"]


def test_two_deliverers_at_once_post_each_alert_once(hub_engine, alerts_config, recorder):
    engine = hub_engine
    recorder.delay_seconds = 0.2
    for index in range(3):
        observe(engine, replace(duplicates(1), subject=f"team{index}"), UI, CHANNEL, T0)
    target = _bot(alerts_config, recorder)
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: deliver_pending(engine, target), range(2)))
    assert sum(report.delivered for report in reports) == 3
    assert len(recorder.messages) == 3


class _RejectsBlocksThenGoesDown:
    """Slack refuses the blocks, then is unreachable for the plain-text retry."""

    def __init__(self):
        self.calls = 0

    def find_posted(self, alert_id, thread_ts, oldest):
        return None

    def send(self, message, thread_ts=None, alert_id=None):
        from customer_hub.alerts.slack import SendOutcome

        self.calls += 1
        if self.calls == 1:
            return SendOutcome(False, error="Slack rejected the message (invalid_blocks)", rejected=True)
        return SendOutcome(False, error="Slack unreachable (ConnectionError); will retry", stop=True)


def test_an_outage_during_the_plain_text_retry_keeps_the_alert_queued(engine, alerts_config, recorder):
    observe(engine, duplicates(1), UI, CHANNEL, T0)
    report = deliver_pending(engine, _bot(alerts_config, recorder), sender=_RejectsBlocksThenGoesDown())
    assert report.undeliverable == 0 and report.failed == 1
    [row] = alert_store.to_deliver(engine)
    assert row["status"] == alert_store.FAILED and "unreachable" in row["last_error"]
    assert deliver_pending(engine, _bot(alerts_config, recorder)).delivered == 1


def test_the_demo_prints_each_delivered_message_as_text_and_where_its_links_lead(
    engine, alerts_config, recorder, capsys, monkeypatch
):
    from customer_hub.config import load_config
    from customer_hub.demo import _print_delivered

    monkeypatch.delenv("CUSTOMER_HUB_PUBLIC_UI_URL", raising=False)
    observe(engine, duplicates(2), UI, CHANNEL, T0)
    observe(engine, duplicates(0), UI, CHANNEL, T0 + timedelta(hours=1))
    report = deliver_pending(engine, _bot(alerts_config, recorder))
    assert report.delivered == 2 and len(report.delivered_ids) == 2

    config = load_config().model_copy(update={"alerts": alerts_config})  # public_ui_url: the test UI
    _print_delivered(engine, report, config)
    printed = capsys.readouterr().out

    assert "Slack: 2 delivered (to Slack channel #customer-hub-alerts" in printed
    assert f"Links in the messages open the Dagster UI at {UI.ui.url} (alerts.public_ui_url in hub.yaml)" in printed
    assert "--- opened · duplicates:all\n  Duplicate customer records\n  2 duplicates within tools" in printed
    assert "--- resolved · duplicates:all\n  Resolved: Duplicate customer records" in printed
    assert f"Open in Dagster: {UI.ui.url}/assets/golden_customers" in printed
    assert "DeliveryReport(" not in printed and "{'" not in printed and "*2 duplicates" not in printed
