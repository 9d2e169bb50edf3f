"""Alert links: the public Dagster address and each record's page in its own tool, without Dagster or a network."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from customer_hub.alerts.links import (
    DEFAULT_UI_URL,
    RUNNING_UI_ENV,
    Links,
    ToolLinks,
    UiAddress,
    links_for,
    offender_records,
    record_url,
    tool_links,
    ui_address,
)
from customer_hub.alerts.messages import check_message
from customer_hub.alerts.plain_text import message_text, mrkdwn_to_text
from customer_hub.config import AlertsConfig, load_config
from customer_hub.quality.checks import check_double_billing, check_duplicates
from customer_hub.quality.duplicates import candidate_offenders
from customer_hub.quality.settings import QualitySettings

HUB_YAML = Path(__file__).resolve().parents[2] / "hub.yaml"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PUBLIC = "https://dagster.example.com"


def test_the_public_address_wins_then_the_configured_one_then_the_running_ui_then_the_default():
    configured = AlertsConfig(public_ui_url="https://hub.example.org/")
    running = {RUNNING_UI_ENV: "http://10.0.0.5:3100"}

    assert ui_address(configured, {"CUSTOMER_HUB_PUBLIC_UI_URL": PUBLIC, **running}).url == PUBLIC
    assert ui_address(configured, running) == UiAddress("https://hub.example.org", "alerts.public_ui_url in hub.yaml")
    assert ui_address(AlertsConfig(), running).url == "http://10.0.0.5:3100"
    fallback = ui_address(AlertsConfig(), {})
    assert fallback.url == DEFAULT_UI_URL and fallback.is_local and "make ui" in fallback.source
    assert not ui_address(configured, {}).is_local


def test_a_public_url_that_is_not_http_is_refused_naming_the_key():
    with pytest.raises(ValueError, match="public_ui_url 'dagster.example.com' must start with https://"):
        AlertsConfig(public_ui_url="dagster.example.com")


@pytest.mark.parametrize(
    ("tool", "obj", "source_id", "expected"),
    [
        ("hubspot", "contacts", "101", "https://app.hubspot.com/contacts/62515/record/0-1/101"),
        ("hubspot", "companies", "7", "https://app.hubspot.com/contacts/62515/record/0-2/7"),
        ("hubspot", "deals", "9", "https://app.hubspot.com/contacts/62515/record/0-3/9"),
        ("stripe", "customers", "cus_1", "https://dashboard.stripe.com/customers/cus_1"),
        ("stripe", "subscriptions", "sub_1", "https://dashboard.stripe.com/subscriptions/sub_1"),
        ("intercom", "contacts", "6a1f", "https://app.intercom.com/a/apps/abc123/users/6a1f/all-conversations"),
        ("intercom", "conversations", "88", "https://app.intercom.com/a/inbox/abc123/inbox/conversation/88"),
        ("quickbooks", "customers", "58", "https://app.qbo.intuit.com/app/customerdetail?nameId=58"),
        ("quickbooks", "invoices", "130", "https://app.qbo.intuit.com/app/invoice?txnId=130"),
        ("asana", "projects", "1200", "https://app.asana.com/0/1200/list"),
        ("sheets", "implementations", "row-4", "https://docs.google.com/spreadsheets/d/1Sheet/edit"),
    ],
)
def test_each_tool_links_to_its_own_record_page(tool, obj, source_id, expected):
    tools = ToolLinks(hubspot_portal_id="62515", intercom_app_id="abc123", sheets_spreadsheet_id="1Sheet")
    assert record_url(tools, tool, obj, source_id) == expected


def test_no_link_is_guessed_without_the_account_id_and_ids_are_escaped():
    assert record_url(ToolLinks(), "hubspot", "contacts", "101") is None  # no portal id configured
    assert record_url(ToolLinks(), "intercom", "contacts", "6a1f") is None  # no app id configured
    assert (
        record_url(ToolLinks(), "stripe", "customers", "cus 1/x")
        == "https://dashboard.stripe.com/customers/cus%201%2Fx"
    )


def test_links_follow_the_configuration_and_a_stripe_test_key(tmp_path):
    config = load_config(HUB_YAML)
    live = tool_links(config, {"STRIPE_API_KEY": "rk_live_abc"})
    assert live.hubspot_portal_id == "62515" and not live.stripe_test_mode
    test = links_for(config, {"STRIPE_API_KEY": "sk_test_abc", "CUSTOMER_HUB_PUBLIC_UI_URL": PUBLIC})
    assert test.record("stripe:subscriptions:sub_9") == (
        "Stripe subscription sub_9",
        "https://dashboard.stripe.com/test/subscriptions/sub_9",
    )
    assert test.asset("golden_customers") == f"{PUBLIC}/assets/golden_customers"
    assert test.run("r-1") == f"{PUBLIC}/runs/r-1"

    eu = config.model_copy(
        update={
            "systems": {
                **config.systems,
                "intercom": config.systems["intercom"].model_copy(update={"base_url": "https://api.eu.intercom.io"}),
            }
        }
    )
    assert tool_links(eu, {}).intercom_app == "https://app.eu.intercom.com"


def test_offender_records_names_every_record_an_item_mentions_once():
    assert offender_records({"record_a": "hubspot:contacts:1", "record_b": "stripe:customers:cus_1"}) == [
        "hubspot:contacts:1",
        "stripe:customers:cus_1",
    ]
    group = {"records": ["hubspot:contacts:1", "hubspot:contacts:2", "hubspot:contacts:1"], "golden_id": "GP1"}
    assert offender_records(group) == ["hubspot:contacts:1", "hubspot:contacts:2"]
    assert offender_records({"summary": "no records"}) == []


LINKS = Links(UiAddress(PUBLIC, "test"), ToolLinks(hubspot_portal_id="62515", intercom_app_id="abc123"))
BILLED = {
    "golden_customer_id": "GC1",
    "name": "Acme Corp",
    "subscriptions": ["sub_1", "sub_2"],
    "records": ["stripe:subscriptions:sub_1", "stripe:subscriptions:sub_2"],
    "summary": "Acme Corp (GC1): Pro billed 2 times since 2026-01-15: sub_1 99.00 USD/month (from 2024-05-01), "
    "sub_2 99.00 USD/month (from 2026-01-15)",
}


def test_a_double_billing_alert_names_product_amounts_since_when_and_opens_both_subscriptions():
    result = check_double_billing([BILLED], QualitySettings(), paying=40)
    message = check_message("opened", result, LINKS, NOW)
    slack = str(message["blocks"])
    assert "Pro billed 2 times since 2026-01-15: sub_1 99.00 USD/month (from 2024-05-01)" in slack
    assert "<https://dashboard.stripe.com/subscriptions/sub_1|Stripe subscription sub_1>" in slack
    assert "<https://dashboard.stripe.com/subscriptions/sub_2|Stripe subscription sub_2>" in slack
    assert f"'url': '{PUBLIC}/assets/customer_360'" in slack
    assert result.severity == "WARN"  # 1 of 40 paying customers: everyday, not blocking

    text = message_text(message)
    assert text.splitlines()[0] == "Customers billed twice"
    assert "1 customers paying twice for one product (2.5% of 40 paying customers)" in text
    assert "Open: Stripe subscription sub_1 (https://dashboard.stripe.com/subscriptions/sub_1)" in text
    assert f"Open in Dagster: {PUBLIC}/assets/customer_360" in text
    assert "*" not in text and "&gt;" not in text and "<http" not in text


def test_a_review_pair_alert_says_why_the_pair_was_not_merged_and_opens_both_records():
    side = {"fields": {"email": "jane@acme.com", "company_name": "Acme"}}
    pair = {
        "record_a": "hubspot:contacts:101",
        "record_b": "intercom:contacts:6a1f",
        "score": 1.0,
        "why_not_merged": "refused by a guard: the evidence (1.00) reached auto-merge, but joining the two would put "
        "records the model keeps apart in one customer or person",
        "evidence": [{"comparison": "email", "level": "exact", "weight": 12.1}],
        "sides": [side, side],
    }
    groups = [
        {"tool": "stripe", "object": "customers", "golden_id": f"GC{n}", "summary": f"stripe customers cus_{n}a, "
         f"cus_{n}b: Acme {n}", "records": [f"stripe:customers:cus_{n}a", f"stripe:customers:cus_{n}b"]}
        for n in range(8)
    ]  # fmt: skip
    result = check_duplicates(groups, candidate_offenders([pair]), QualitySettings(), records=100)
    text = message_text(check_message("opened", result, LINKS, NOW))
    # many within-tool duplicates do not crowd out the pair the steward is asked to decide
    assert "Within a tool\n• stripe customers cus_0a, cus_0b: Acme 0" in text and "…and 5 more in Dagster" in text
    assert "Across tools, awaiting review\n• hubspot:contacts:101 ~ intercom:contacts:6a1f" in text
    assert "(1.00) j***@acme.com / j***@acme.com; evidence: email exact; not merged: refused by a guard" in text
    assert "HubSpot contact 101 (https://app.hubspot.com/contacts/62515/record/0-1/101)" in text
    assert "Intercom contact 6a1f (https://app.intercom.com/a/apps/abc123/users/6a1f/all-conversations)" in text


def test_mrkdwn_is_read_as_plain_text():
    assert mrkdwn_to_text("*4 duplicates* (was _3_) &lt;b&gt; &amp; `x`") == "4 duplicates (was 3) <b> & x"
    assert mrkdwn_to_text("<https://a.example/x|Open it> or <https://b.example>") == (
        "Open it (https://a.example/x) or https://b.example"
    )
    assert mrkdwn_to_text("snake_case_name and 2*3*4") == "snake_case_name and 2*3*4"
