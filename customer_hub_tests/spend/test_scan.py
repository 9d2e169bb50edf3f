"""The shadow-IT scan on the sandbox's books: the SaaS nobody listed, the tool that costs more than configured, and
none of the noise (rent, cleaning, travel, laptops, card fees, a cancelled subscription, an approved vendor)."""

from datetime import date

import pytest

from customer_hub.alerts.links import Links, UiAddress
from customer_hub.alerts.shadow_it import shadow_it_message
from customer_hub.config import load_config
from customer_hub.sandbox.state import SandboxState
from customer_hub.spend.scan import scan_spend
from customer_hub.spend.settings import shadow_it_settings
from customer_hub.spokes.quickbooks import bill_to_canonical, purchase_to_canonical, vendor_to_canonical

MAPPERS = {"vendors": vendor_to_canonical, "purchases": purchase_to_canonical, "bills": bill_to_canonical}


@pytest.fixture(scope="module")
def books() -> dict[str, list[dict]]:
    """The sandbox's QuickBooks spend as the connector maps it (the world's customer count does not matter)."""
    state = SandboxState(seed=42, scale=0.02)
    return {obj: [mapper(record) for record in state.stream("quickbooks", obj)] for obj, mapper in MAPPERS.items()}


def _scan(books, costs=None, **settings):
    config = load_config()
    costs = costs or {tool: system.monthly_cost_usd for tool, system in config.systems.items()}
    return scan_spend(
        books["vendors"],
        books["purchases"],
        books["bills"],
        costs,
        shadow_it_settings({**config.shadow_it, **settings}),
    )


def test_the_scan_lists_the_unlisted_saas_and_the_tool_billed_above_its_configured_cost(books):
    report = _scan(books)

    assert [vendor.shown_as for vendor in report.unknown_saas] == [
        "Notion Labs, Inc.",
        "Figma",
        "Zoom Video Communications Inc.",
        "Pitchwise Analytics",
        "Calendly (Calendy LLC)",
    ]
    assert [vendor.series.cadence.name for vendor in report.unknown_saas] == [
        "annual", "annual", "monthly", "monthly", "monthly"
    ]  # fmt: skip
    assert report.unknown_monthly_usd == 160.0 + 150.0 + 149.9 + 79.0 + 48.0
    assert [tool.summary() for tool in report.cost_mismatches] == [
        "intercom: configured $400.00/month, the books show $520.00/month (Intercom R&D Unlimited Company)"
    ]
    actual = report.actual_by_tool()
    assert (actual["hubspot"], actual["quickbooks"], actual["asana"], actual["stripe"]) == (800.0, 90.0, 250.0, 0.0)
    assert report.as_of is not None and date(2025, 12, 1) <= report.as_of <= date(2026, 1, 1)


def test_noise_is_not_shadow_it(books):
    by_name = {vendor.name: vendor for vendor in _scan(books).vendors}

    assert {vendor.name for vendor in _scan(books).recurring_not_saas} == {"WeWork", "Sparkle Office Cleaning"}
    assert by_name["Loom Inc"].series is not None and not by_name["Loom Inc"].recurring  # cancelled months ago
    assert by_name["Slack Technologies"].approved  # hub.yaml shadow_it.known_vendors
    for one_off in ("Dell Technologies", "Delta Air Lines", "Office Depot", "Baker & Lane LLP", "Stripe"):
        assert by_name[one_off].series is None, one_off


def test_fixing_hub_yaml_clears_the_findings(books):
    config = load_config()
    costs = {tool: system.monthly_cost_usd for tool, system in config.systems.items()} | {"intercom": 520.0}
    known = ["Slack Technologies", "Zoom", "Notion Labs", "Figma", "Calendly", "Pitchwise Analytics"]

    report = _scan(books, costs, known_vendors=known)

    assert report.unknown_saas == [] and report.cost_mismatches == []


def test_the_slack_summary_leads_with_counts_and_lists_what_to_fix(books):
    from datetime import UTC, datetime

    message = shadow_it_message(
        _scan(books), Links(UiAddress("http://dagster:3000", "test")), datetime(2026, 1, 2, 7, tzinfo=UTC)
    )

    assert message["text"] == (
        "Quarterly shadow-IT scan: 5 SaaS vendors billing outside the inventory ($586.90/month), "
        "1 tool costing other than configured"
    )
    sections = "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
    assert "Notion Labs, Inc.: $1,920.00 annual ($160.00/month), billing since 2024-12" in sections
    assert "intercom: configured $400.00/month, the books show $520.00/month" in sections
    assert "shadow_it.known_vendors" in sections
    assert message["blocks"][-2]["elements"][0]["url"] == "http://dagster:3000/assets/saas_spend"
