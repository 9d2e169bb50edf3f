"""One definition per figure: the duplicate count the demo prints, the quality metric, the check behind the Slack
alert, the nightly digest, the customer_360 metadata and the lookup view all agree on a small hub."""

from __future__ import annotations

from datetime import timedelta

from customer_hub.alerts.digest import duplicate_digest
from customer_hub.golden.duplicates import duplicate_records, duplicate_sets
from customer_hub.golden.reports import duplicate_report
from customer_hub.golden.review import auto_merge_threshold
from customer_hub.lookup import format_360, lookup
from customer_hub.quality import quality_settings
from customer_hub.quality.evaluate import duplicates_check
from customer_hub.quality.metrics import compute_metrics

from .conftest import START
from .test_build import ACME


def test_every_report_counts_the_same_duplicate_records(engine, land, run, config):
    land(*ACME)
    run(0)
    now = START + timedelta(hours=1)
    figure = duplicate_records(duplicate_sets(duplicate_report(engine)))  # what the demo prints
    assert figure == 2  # Wile twice in HubSpot, Acme twice in Stripe: the company record is no duplicate

    metric = next(m for m in compute_metrics(engine, config, now) if m.series == "duplicate_records/all")
    check = duplicates_check(engine, quality_settings(config), auto_merge_threshold(config))
    assert metric.value == check.value == figure
    assert metric.passed is check.passed is False  # a failing figure in the summary is an open incident

    assert duplicate_digest(engine, config, now)["text"].startswith(f"Nightly duplicate report: {figure} duplicate")
    [view] = lookup(engine, "acme.com")
    assert sum(entry["count"] - 1 for entry in view["within_tool_duplicates"]) == figure
    text = format_360(view)
    assert "hubspot holds this person 2 times" in text and "stripe holds this customer 2 times" in text
