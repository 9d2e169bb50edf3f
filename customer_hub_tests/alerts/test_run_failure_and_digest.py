from datetime import UTC, datetime

from customer_hub.alerts import alert_on_run_failure, deliver_pending, duplicate_digest, posted_alerts, slack_target
from customer_hub.alerts.digest import queue_duplicate_digest
from customer_hub.config import load_config
from customer_hub_tests.alerts.conftest import CHANNEL, TOKEN
from customer_hub_tests.quality.hub_data import seed_hub

NOW = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)


def test_a_failed_run_alerts_once_with_step_error_and_link_and_no_secret(engine, recorder, monkeypatch):
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-secret-value-42")
    config = load_config()
    error = "ToolError: hubspot GET /crm/v3/objects/contacts 401 with Authorization: Bearer pat-na1-secret-value-42"
    first = alert_on_run_failure(
        engine,
        config,
        run_id="abcd1234-run",
        job_name="sync_hubspot",
        step_key="hubspot_contacts",
        error=error,
        now=NOW,
    )
    again = alert_on_run_failure(
        engine,
        config,
        run_id="abcd1234-run",
        job_name="sync_hubspot",
        step_key="hubspot_contacts",
        error=error,
        now=NOW,
    )
    assert first is not None and again is None  # one alert per failed run, however often the sensor sees it

    target = slack_target(config.alerts, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": recorder.api_url})
    deliver_pending(engine, target)
    [message] = recorder.messages
    text = str(message)
    assert message["channel"] == CHANNEL
    assert "Run failed: sync_hubspot" in message["text"] and "hubspot_contacts" in message["text"]
    assert "401" in text and "/runs/abcd1234-run" in text
    assert "pat-na1-secret-value-42" not in text


def test_the_duplicate_digest_is_one_message_with_counts_and_masked_emails(engine, recorder, monkeypatch):
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)  # a test key would make the links test-mode ones
    config = load_config()
    seed_hub(engine)
    message = duplicate_digest(engine, config, NOW)
    assert message["text"] == (
        "Nightly duplicate report: 2 duplicate records within tools (2 groups), 1 open match candidates, "
        "1 customers billed twice"
    )
    text = str(message["blocks"])
    assert "hubspot:contacts:103 ~ intercom:contacts:ic_7" in text
    assert "j***@acme.com" in text and "jane@acme.com" not in text and "b***@beta.io" in text
    assert "Acme (GC1): Pro plan billed 2 times since 2024-11-02: sub_1 49.00 USD/month" in text
    assert "<https://dashboard.stripe.com/subscriptions/sub_1|Stripe subscription sub_1>" in text
    assert "not merged: probability 0.91 is below auto-merge (0.92)" in text

    queue_duplicate_digest(engine, config, NOW)
    deliver_pending(engine, slack_target(config.alerts, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": recorder.api_url}))
    assert len(recorder.messages) == 1
    [alert] = posted_alerts(engine)
    assert alert["kind"] == "digest" and alert["status"] == "delivered" and alert["slack_ts"]
