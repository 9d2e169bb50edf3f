"""The onboarding flow leaves one Asana project and one QuickBooks invoice per deal, however often it runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from customer_hub.automation.onboarding import OnboardingError, OnboardingFlow, invoice_doc_number, request_id
from customer_hub.automation.settings import OnboardingSettings, automation_settings
from customer_hub.store import engine_for, onboarding_store
from customer_hub.store.health import health_rows
from customer_hub_tests.automation.fakes import FakeAsana, FakeHubSpot, FakeQuickBooks

SETTINGS = OnboardingSettings(asana_template_gid="1200000000000003", asana_team_gid="1200000000000002")


@pytest.fixture
def tools():
    hubspot = FakeHubSpot()
    hubspot.add_deal("7001")
    return hubspot, FakeAsana(), FakeQuickBooks()


def make_flow(tmp_path, tools, settings=SETTINGS, refreshed=None) -> OnboardingFlow:
    hubspot, asana, quickbooks = tools
    return OnboardingFlow(
        engine=engine_for(f"sqlite:///{tmp_path}/hub.db"),
        hubspot=hubspot,
        asana=asana,
        quickbooks=quickbooks,
        settings=settings,
        refresh_customer=lambda deal: refreshed,
    )


def test_three_runs_leave_one_project_and_one_invoice(tmp_path, tools):
    _, asana, quickbooks = tools
    flow = make_flow(tmp_path, tools, refreshed=datetime.now(UTC))
    closed = datetime.now(UTC) - timedelta(seconds=20)

    for _ in range(3):
        row = flow.run("7001", closed_at=closed)

    assert len(asana.projects) == 1
    assert asana.projects[0]["name"] == "Onboarding: Acme Corp [deal 7001]"
    assert asana.projects[0]["team"] == "1200000000000002"
    assert len(quickbooks.invoices) == 1
    invoice = quickbooks.invoices[0]
    assert (invoice["TotalAmt"], invoice["DocNumber"]) == (12000.0, invoice_doc_number("7001"))
    assert row["status"] == "done"
    assert row["attempts"] == 3
    assert row["asana_project_gid"] == asana.projects[0]["gid"]
    assert row["quickbooks_invoice_id"] == invoice["Id"]
    assert row["deal_closed_at"] <= row["detected_at"] <= row["project_created_at"] <= row["invoice_drafted_at"]
    assert row["latency_seconds"] == round((row["invoice_drafted_at"] - closed).total_seconds(), 3)


def test_a_retry_completes_only_what_is_missing(tmp_path, tools):
    _, asana, quickbooks = tools
    quickbooks.fail_invoice_creates = 1
    flow = make_flow(tmp_path, tools)

    with pytest.raises(ConnectionError):
        flow.run("7001")
    failed = onboarding_store.read_flow(flow.engine, "7001")
    flow.run("7001")

    assert failed["status"] == "failed"
    assert failed["error"].startswith("quickbooks_invoice: ConnectionError")
    assert failed["asana_project_gid"] and not failed["quickbooks_invoice_id"]
    assert asana.instantiations == 1
    assert len(quickbooks.invoices) == 1
    assert onboarding_store.read_flow(flow.engine, "7001")["status"] == "done"
    health = [(row["what"], row["status"]) for row in health_rows(flow.engine)]
    assert ("onboarding.quickbooks_invoice", "failure") in health
    assert health[-1] == ("onboarding.customer_360", "success")


def test_a_lost_response_is_not_a_second_invoice(tmp_path, tools):
    _, _, quickbooks = tools
    quickbooks.lose_invoice_responses = 1  # QuickBooks made the invoice, the answer never arrived
    quickbooks.find_invoice = lambda doc_number: None  # and the query cannot see it yet
    flow = make_flow(tmp_path, tools)

    with pytest.raises(TimeoutError):
        flow.run("7001")
    flow.run("7001")

    assert len(quickbooks.invoices) == 1
    assert request_id("invoice", "7001") == request_id("invoice", "7001") != request_id("invoice", "7002")


def test_a_project_made_by_an_attempt_that_died_is_found_not_copied(tmp_path, tools):
    _, asana, _ = tools
    asana.instantiate_template("1200000000000003", "Onboarding: Acme Corp [deal 7001]")
    flow = make_flow(tmp_path, tools)

    flow.run("7001")

    assert len(asana.projects) == 1
    assert onboarding_store.read_flow(flow.engine, "7001")["asana_project_gid"] == asana.projects[0]["gid"]


@pytest.mark.parametrize(
    ("deal", "message"),
    [
        ({"stage": "contractsent"}, "not closed-won"),
        ({"amount": None}, "no positive amount"),
    ],
)
def test_deals_that_cannot_be_onboarded_fail_with_the_fix(tmp_path, tools, deal, message):
    hubspot, asana, quickbooks = tools
    hubspot.add_deal("7002", **deal)
    flow = make_flow(tmp_path, tools)

    with pytest.raises(OnboardingError, match=message):
        flow.run("7002")

    assert onboarding_store.read_flow(flow.engine, "7002")["status"] == "failed"
    assert not asana.projects and not quickbooks.invoices


def test_missing_template_names_the_key(tmp_path, tools):
    flow = make_flow(tmp_path, tools, settings=OnboardingSettings())
    with pytest.raises(OnboardingError, match="automation.onboarding.asana_template_gid"):
        flow.run("7001")


def test_automation_settings_reject_unknown_keys():
    assert automation_settings({}).onboarding.sensor_interval_seconds == 30
    assert automation_settings({"onboarding": {"latency_max_minutes": 5}}).onboarding.latency_max_minutes == 5
    with pytest.raises(ValueError, match="asana_template"):
        automation_settings({"onboarding": {"asana_template": "123"}})


def test_schedule_settings_reject_an_unknown_time_zone_and_a_short_cron():
    assert automation_settings({"schedules": {"timezone": "Europe/Berlin"}}).schedules.timezone == "Europe/Berlin"
    with pytest.raises(ValueError, match="not an IANA time zone"):
        automation_settings({"schedules": {"timezone": "Europe/Berln"}})
    with pytest.raises(ValueError, match="5-field cron"):
        automation_settings({"schedules": {"export_cron": "0 3 1 *"}})


def test_a_failed_step_never_records_a_credential(tmp_path, tools, monkeypatch):
    """The flow's error is shown in Dagster and exported monthly: a token quoted by an exception must not be."""
    _, _, quickbooks = tools

    def leaks(*_args, **_kwargs):
        raise PermissionError("POST /invoice refused: refresh_token=AB11secretvalue, Authorization: Bearer eyJsecret")

    monkeypatch.setattr(quickbooks, "create_invoice", leaks)
    flow = make_flow(tmp_path, tools)
    with pytest.raises(PermissionError):
        flow.run("7001")

    error = onboarding_store.read_flow(flow.engine, "7001")["error"]
    assert error.startswith("quickbooks_invoice: PermissionError: POST /invoice refused: refresh_token=[redacted]")
    assert "AB11secretvalue" not in error and "eyJsecret" not in error
    assert "eyJsecret" not in health_rows(flow.engine)[-1]["error"]
