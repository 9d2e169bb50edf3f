"""The health log keeps a row for every run, failed ones included, on both backends."""

import pytest

from customer_hub.store.health import health_logged, health_rows


def test_success_and_failure_both_leave_a_row(hub_engine):
    with health_logged(hub_engine, what="hubspot_contacts", trigger="manual", tool="hubspot") as entry:
        entry.records_in, entry.records_out = 120, 7
    with pytest.raises(RuntimeError), health_logged(hub_engine, what="stripe_invoices", trigger="schedule:x"):
        raise RuntimeError("HTTP 503 from stripe")

    rows = health_rows(hub_engine)
    assert [(r["what"], r["status"], r["records_in"], r["records_out"]) for r in rows] == [
        ("hubspot_contacts", "success", 120, 7),
        ("stripe_invoices", "failure", None, None),
    ]
    assert rows[1]["error"] == "RuntimeError: HTTP 503 from stripe"
    assert rows[0]["started_at"].tzinfo is not None and rows[0]["duration_seconds"] >= 0


def test_a_failure_row_never_keeps_a_credential(hub_engine, monkeypatch):
    """Failure rows feed uptime alerts in Slack, check metadata and the export: credentials must not reach them."""
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-abcdef123456")
    quoted = (
        "POST https://hooks.slack.com/services/T000/B000/XXXXsecret failed; token pat-na1-abcdef123456 "
        "with Authorization: Bearer xoxb-1-2-secret"
    )
    with pytest.raises(ConnectionError), health_logged(hub_engine, what="hubspot_contacts", trigger="manual"):
        raise ConnectionError(quoted)

    [row] = health_rows(hub_engine)
    assert row["error"].startswith("ConnectionError: POST https://[redacted] failed")
    for secret in ("XXXXsecret", "pat-na1-abcdef123456", "xoxb-1-2-secret"):
        assert secret not in row["error"]
