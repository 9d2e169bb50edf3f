"""End to end against the sandbox: a tool's schema drifts, a sync sees it, a check alerts in the sandbox's Slack."""

from datetime import UTC, datetime

import pytest
import requests

from customer_hub.alerts import deliver_pending, observe_all, slack_target
from customer_hub.alerts.links import links_for
from customer_hub.config import load_config
from customer_hub.quality import quality_settings, stream_check_results
from customer_hub.sandbox import start_sandbox
from customer_hub.spokes.registry import build_connector
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import alert_store, engine_for
from customer_hub_tests.alerts.checks_for_tests import duplicates

STREAM = {"hubspot_contacts": ("hubspot", "contacts")}


@pytest.fixture
def sandbox():
    with start_sandbox(seed=42, scale=0.1) as server:
        yield server


@pytest.fixture
def config():
    return load_config()


def _slack(sandbox):
    return requests.get(f"{sandbox.url}/_sandbox/slack/messages", timeout=10).json()


def _faults(sandbox, faults=None):
    if faults is None:
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=10).raise_for_status()
    else:
        requests.post(f"{sandbox.url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()


def test_schema_drift_alerts_once_naming_tool_and_field_and_resolves_in_the_thread(tmp_path, sandbox, config):
    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    connector = build_connector(
        "hubspot", config, engine=engine, credentials={"access_token": "sandbox"}, base_url=sandbox.base_url("hubspot")
    )
    target = slack_target(
        config.alerts, {"SLACK_BOT_TOKEN": "xoxb-sandbox", "SLACK_API_URL": sandbox.base_url("slack")}
    )
    settings = quality_settings(config)

    def sync_check_alert() -> list:
        result = sync_stream(engine, connector, "contacts", mode="full")
        _, results = stream_check_results(engine, settings, STREAM, {"hubspot_contacts": result.reported_count})
        observe_all(engine, results, links_for(config), config.alerts.slack_channel, datetime.now(UTC))
        deliver_pending(engine, target)
        return results

    assert all(result.passed for result in sync_check_alert())  # the first sync sets the baseline
    _faults(sandbox, {"hubspot": {"schema_drift": {"rename": {"email": "email_address"}}}})
    for _ in range(3):
        drift = next(result for result in sync_check_alert() if result.check == "schema_drift")
        assert not drift.passed
    # the rename also quarantines the emptied email field: an incident of its own
    opening, quarantine = _slack(sandbox)["messages"]
    assert "Sync would empty a field: quarantined: hubspot_contacts" in quarantine["text"]
    assert opening["channel_name"] == config.alerts.slack_channel
    assert "Tool schema changed: hubspot_contacts" in opening["text"]
    assert "renamed properties.email → properties.email_address" in opening["text"]

    _faults(sandbox)
    assert all(result.passed for result in sync_check_alert())
    messages = _slack(sandbox)["messages"]
    assert len(messages) == 4  # the vendor reverted: both incidents resolve in their threads
    resolved = {message["thread_ts"]: message["text"] for message in messages[2:]}
    assert resolved[opening["ts"]].startswith("Resolved: Tool schema")
    assert resolved[quarantine["ts"]].startswith("Resolved: Sync would empty a field")


def test_alerts_wait_out_the_sandbox_slack_outage_and_errors(tmp_path, sandbox, config):
    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    target = slack_target(
        config.alerts, {"SLACK_BOT_TOKEN": "xoxb-sandbox", "SLACK_API_URL": sandbox.base_url("slack")}
    )
    ui, channel = links_for(config), config.alerts.slack_channel
    _faults(sandbox, {"slack": {"slack_outage": "503"}})
    observe_all(engine, [duplicates(2)], ui, channel, datetime.now(UTC))
    assert deliver_pending(engine, target).failed == 1

    _faults(sandbox)
    _faults(sandbox, {"slack": {"slack_error": "invalid_auth"}})
    report = deliver_pending(engine, target)
    assert "invalid_auth" in report.summary() and "$SLACK_BOT_TOKEN" in report.summary()
    assert "xoxb-sandbox" not in report.summary()

    _faults(sandbox)
    observe_all(engine, [duplicates(0)], ui, channel, datetime.now(UTC))
    assert deliver_pending(engine, target).delivered == 2
    opening, resolved = _slack(sandbox)["messages"]
    assert "2 duplicates" in opening["text"] and resolved["thread_ts"] == opening["ts"]
    assert all(row["status"] == "delivered" for row in alert_store.recent_alerts(engine))


def test_a_post_whose_reply_came_too_late_is_not_posted_twice(tmp_path, sandbox, config):
    from customer_hub.alerts.slack import SlackSender

    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    target = slack_target(
        config.alerts, {"SLACK_BOT_TOKEN": "xoxb-sandbox", "SLACK_API_URL": sandbox.base_url("slack")}
    )
    ui, channel = links_for(config), config.alerts.slack_channel
    observe_all(engine, [duplicates(3)], ui, channel, datetime.now(UTC))
    _faults(sandbox, {"slack": {"late_replies": 1, "timeout_seconds": 1.5}})  # Slack posts, then answers late

    first = deliver_pending(engine, target, sender=SlackSender(target, timeout_seconds=0.5))
    assert first.delivered == 0 and first.failed == 1  # the client gave up waiting...
    assert len(_slack(sandbox)["messages"]) == 1  # ...though Slack had posted it

    again = deliver_pending(engine, target, sender=SlackSender(target, timeout_seconds=0.5))

    assert again.delivered == 1
    [posted] = _slack(sandbox)["messages"]  # found by its metadata, not posted a second time
    assert posted["metadata"]["event_type"] == "customer_hub_alert"
    assert alert_store.to_deliver(engine) == []

    observe_all(engine, [duplicates(5)], ui, channel, datetime.now(UTC))  # an update goes to the found thread
    deliver_pending(engine, target)
    update = _slack(sandbox)["messages"][-1]
    assert update["thread_ts"] == posted["ts"]
