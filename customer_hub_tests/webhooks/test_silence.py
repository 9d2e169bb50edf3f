"""A tool that sent webhooks and then fell silent raises one alert, and a resolution when it speaks again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from customer_hub.alerts import observe_all, posted_alerts
from customer_hub.alerts.links import Links, UiAddress
from customer_hub.definitions import defs
from customer_hub.store import webhook_store
from customer_hub.store.health import health_rows
from customer_hub.webhooks.events import parse_stripe
from customer_hub.webhooks.settings import WebhookSettings
from customer_hub.webhooks.silence import silence_results

LINKS = Links(UiAddress("http://ui", "test"))

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def stripe_delivery(engine, event_id: str, at: datetime) -> None:
    body = f'{{"id": "{event_id}", "object": "event", "type": "customer.updated", "data": {{"object": {{}}}}}}'
    webhook_store.store_delivery(engine, "stripe", parse_stripe(body.encode()), at)


def judge(engine, now: datetime, settings: WebhookSettings) -> dict[str, str]:
    results = silence_results(webhook_store.last_received(engine), settings, now, "quality_metrics")
    return observe_all(engine, results, LINKS, "#alerts", now)


def test_a_silent_tool_alerts_once_and_resolves_when_events_return(engine):
    settings = WebhookSettings(silence_hours=24, silence_hours_by_tool={"intercom": 72})
    stripe_delivery(engine, "evt_1", NOW - timedelta(hours=30))

    assert judge(engine, NOW, settings) == {"webhook_silence:stripe": "opened"}
    assert judge(engine, NOW + timedelta(hours=1), settings) == {}  # still silent: no second message
    stripe_delivery(engine, "evt_2", NOW + timedelta(hours=2))
    assert judge(engine, NOW + timedelta(hours=2), settings) == {"webhook_silence:stripe": "resolved"}

    texts = [alert["text"] for alert in posted_alerts(engine)]
    assert any("Webhooks silent: stripe" in text and "30.0 h ago" in text for text in texts)


def test_tools_that_never_sent_webhooks_are_not_judged(engine):
    assert silence_results(webhook_store.last_received(engine), WebhookSettings(), NOW, "quality_metrics") == []


def test_every_delivery_is_counted_in_the_health_log(engine):
    stripe_delivery(engine, "evt_1", NOW)
    stripe_delivery(engine, "evt_1", NOW)
    rows = [row for row in health_rows(engine) if row["what"] == "webhooks.stripe.received"]
    assert [(row["records_in"], row["records_out"]) for row in rows] == [(1, 1), (1, 0)]
    assert all(row["tool"] is None for row in rows)  # deliveries never count as integration runs (uptime)


def test_the_silence_check_runs_with_the_quality_metrics():
    checks = defs.resolve_asset_graph().asset_check_keys
    assert any(key.name == "webhook_silence" and key.asset_key.path == ["quality_metrics"] for key in checks)
