from datetime import timedelta

import pytest

from customer_hub.config import load_config
from customer_hub.quality import (
    compute_metrics,
    evaluate_quality_checks,
    parity,
    quality_settings,
    stream_check_results,
)
from customer_hub.quality.drift import payload_columns
from customer_hub.store import engine_for
from customer_hub.store.quality_store import append_metrics, latest_metrics
from customer_hub_tests.quality.hub_data import NOW, golden, health, land, record, seed_hub, snapshot


@pytest.fixture
def engine(tmp_path):
    return engine_for(f"sqlite:///{tmp_path}/hub.db")


@pytest.fixture
def config():
    return load_config()


def _series(metrics):
    return {metric.series: metric for metric in metrics}


def test_duplicates_completeness_invoices_and_billing_on_a_small_hub(hub_engine, config):
    engine = hub_engine
    seed_hub(engine)
    metrics = _series(compute_metrics(engine, config, NOW))

    assert metrics["duplicate_records/hubspot"].value == 1
    groups = metrics["duplicate_records/all"].detail["offenders"]
    assert [group["records"] for group in groups] == [
        ["hubspot:contacts:101", "hubspot:contacts:102"],
        ["stripe:customers:cus_1", "stripe:customers:cus_2"],
    ]
    # two Stripe customers for one company are a duplicate whoever their contacts are: they bill it twice
    assert metrics["duplicate_records/stripe"].value == 1
    assert metrics["open_match_candidates/all"].value == 1  # the decided pair does not count
    assert metrics["open_match_candidates/intercom"].value == 1

    completeness = metrics["completeness/all"]
    assert completeness.value == pytest.approx(0.5) and completeness.passed is False
    assert {item["golden_id"]: item["missing"] for item in completeness.detail["offenders"]} == {
        "GC3": ["phone"],
        "GC4": ["email", "company_name", "phone"],
    }
    assert metrics["completeness/hubspot"].value == pytest.approx(2 / 3)

    unmatched = metrics["unmatched_invoices/all"]
    assert unmatched.value == 1 and unmatched.passed is False
    assert [item["record_id"] for item in unmatched.detail["offenders"]] == ["quickbooks:invoices:9001"]
    assert metrics["unmatched_invoices/stripe"].value == 0

    billed = metrics["double_billing/all"]
    assert billed.value == 1 and billed.passed is False
    [acme] = billed.detail["offenders"]
    assert acme["golden_customer_id"] == "GC1" and acme["subscriptions"] == ["sub_1", "sub_2"]
    assert acme["summary"] == (
        "Acme (GC1): Pro plan billed 2 times since 2024-11-02: sub_1 49.00 USD/month (from 2024-01-10), "
        "sub_2 49.00 USD/month (from 2024-11-02)"
    )
    assert acme["records"] == ["stripe:subscriptions:sub_1", "stripe:subscriptions:sub_2"]


def test_uptime_is_time_down_and_error_rate_is_failed_runs(engine, config):
    seed_hub(engine)
    metrics = _series(compute_metrics(engine, config, NOW))
    assert metrics["uptime/stripe"].value == pytest.approx(1 - 60 / 1440)
    assert metrics["uptime/stripe"].passed is False
    assert metrics["error_rate/stripe"].value == 0.5
    assert metrics["uptime/hubspot"].value == 1.0
    assert metrics["error_rate/all"].value == pytest.approx(1 / 3)

    checks = {
        result.check: result for result in evaluate_quality_checks(list(metrics.values()), quality_settings(config))
    }
    assert not checks["uptime"].passed and checks["uptime"].tool == "stripe"
    assert "ToolError: 503" in checks["uptime"].offenders[0]["error"]


def test_a_tool_still_failing_when_the_window_opens_counts_as_down(engine, config):
    health(engine, "asana_projects", "failure", NOW - timedelta(hours=30), tool="asana")
    health(engine, "asana_projects", "success", NOW - timedelta(hours=6), tool="asana")
    metrics = _series(compute_metrics(engine, config, NOW))
    assert metrics["uptime/asana"].value == pytest.approx(6 / 24)


def test_latency_follows_a_change_from_the_tool_to_the_golden_record(engine, config):
    start = NOW - timedelta(days=2)
    golden(engine, "GP9", kind="person", updated=NOW - timedelta(hours=5))
    # changed in HubSpot at -60 min, landed at -50 min, golden run started -40 and finished -30: 30 minutes in all
    land(
        engine,
        "hubspot",
        "contacts",
        "7",
        updated=NOW - timedelta(minutes=60),
        first_seen=start,
        changed=NOW - timedelta(minutes=50),
    )
    record(engine, "hubspot:contacts:7", "GC9", "GP9")
    health(engine, "golden_customers", "success", NOW - timedelta(minutes=30), started=NOW - timedelta(minutes=40))
    # landed at -5 min and no golden run since: waiting, 20 minutes so far
    land(
        engine,
        "hubspot",
        "contacts",
        "8",
        updated=NOW - timedelta(minutes=20),
        first_seen=start,
        changed=NOW - timedelta(minutes=5),
    )
    # part of the initial load (changed before the stream was first landed): history, not latency
    land(engine, "hubspot", "contacts", "9", updated=start - timedelta(hours=1), first_seen=start)

    latency = _series(compute_metrics(engine, config, NOW))["latency_minutes/hubspot"]
    assert latency.detail["changes"] == 2 and latency.detail["pending"] == 1
    assert latency.value == 30  # 95th percentile of [20, 30]
    assert latency.passed is False  # goal 15 minutes
    assert latency.detail["offenders"][0]["record_id"] == "hubspot:contacts:7"
    assert latency.detail["to_hub_p50"] == 10


def test_schema_drift_names_the_rename_and_added_field(engine, config):
    base = ["id", "properties", "properties.email", "properties.firstname"]
    snapshot(engine, "hubspot", "contacts", base, NOW - timedelta(days=3))
    snapshot(
        engine,
        "hubspot",
        "contacts",
        [*base[:2], "properties.email_address", "properties.firstname", "properties.score", "properties.score.value"],
        NOW,
    )
    snapshot(engine, "stripe", "customers", ["id", "email"], NOW)
    metrics = _series(compute_metrics(engine, config, NOW))
    drift = metrics["schema_drift/hubspot_contacts"]
    assert drift.value == 2 and drift.passed is False
    assert drift.detail["renamed"][0]["from"] == "properties.email"
    assert drift.detail["renamed"][0]["to"] == "properties.email_address"
    assert drift.detail["added"] == ["properties.score"]  # its child is part of the same change
    assert drift.detail["removed"] == []
    assert metrics["schema_drift/stripe_customers"].value == 0
    assert metrics["schema_drift/all"].detail["streams"] == ["hubspot_contacts"]


def test_a_rename_is_recognised_by_equal_values_when_names_differ(engine, config):
    snapshot(engine, "intercom", "contacts", ["id", "phone"], NOW - timedelta(days=1))
    snapshot(engine, "intercom", "contacts", ["id", "mobile"], NOW)
    land(engine, "intercom", "contacts", "a", {"id": "a", "phone": "+4420"})
    land(engine, "intercom", "contacts", "b", {"id": "b", "mobile": "+4420"}, changed=NOW)
    drift = _series(compute_metrics(engine, config, NOW))["schema_drift/intercom_contacts"]
    assert drift.detail["renamed"] == [{"from": "phone", "to": "mobile", "score": 1.0, "basis": "values"}]


def test_parity_compares_the_tool_count_with_live_landed_rows(engine):
    seed_hub(engine)
    streams = {
        "hubspot_contacts": ("hubspot", "contacts"),
        "stripe_customers": ("stripe", "customers"),
        "sheets_implementations": ("sheets", "implementations"),
    }
    metrics = _series(
        parity(engine, {"hubspot_contacts": 5, "stripe_customers": 2, "sheets_implementations": None}, streams)
    )
    hubspot = metrics["row_count_parity/hubspot_contacts"]
    assert hubspot.value == -2 and hubspot.passed is False  # 3 live (one marked deleted) against 5
    assert hubspot.detail == {"landed": 3, "reported": 5, "difference": -2}
    assert metrics["row_count_parity/stripe_customers"].passed is True
    assert metrics["row_count_parity/sheets_implementations"].passed is None


def test_history_keeps_every_run_and_latest_is_per_series(hub_engine, config):
    engine = hub_engine
    seed_hub(engine)
    append_metrics(engine, compute_metrics(engine, config, NOW - timedelta(hours=1)), NOW - timedelta(hours=1))
    land(engine, "hubspot", "contacts", "105")
    record(engine, "hubspot:contacts:105", "GC1", "GP1", email="jane@acme.com")
    append_metrics(engine, compute_metrics(engine, config, NOW), NOW)
    latest = {(row["metric"], row["tool"]): row for row in latest_metrics(engine, NOW)}
    assert latest[("duplicate_records", "hubspot")]["value"] == 2
    assert latest[("duplicate_records", "hubspot")]["measured_at"] == NOW


def test_added_fields_only_warn_and_free_form_metadata_keys_are_not_schema(engine, config):
    snapshot(engine, "stripe", "customers", ["id", "email", "metadata", "metadata.crm_id"], NOW - timedelta(days=1))
    snapshot(engine, "stripe", "customers", ["id", "email", "metadata", "metadata.plan", "tax_ids"], NOW)
    streams = {"stripe_customers": ("stripe", "customers")}
    _, results = stream_check_results(engine, quality_settings(config), streams, {"stripe_customers": None})
    [drift] = [result for result in results if result.check == "schema_drift"]
    assert drift.figure == "stripe customers: added tax_ids"
    assert not drift.passed and drift.severity == "WARN"


def test_a_streams_columns_are_its_snapshot_fields_with_their_kind_and_free_form_keys_left_out():
    paths = ["id", "properties", "properties.email", "lines", "lines[].amount", "metadata", "metadata.plan"]
    assert payload_columns(paths, ignore=["metadata.*"]) == [
        ("id", "value"),
        ("lines", "list"),
        ("lines[].amount", "value"),
        ("metadata", "value"),
        ("properties", "object"),
        ("properties.email", "value"),
    ]


def test_a_run_after_no_change_keeps_the_stored_figures_and_a_change_counts_again(hub_engine, config, monkeypatch):
    """The figures over stored records are counted once per change: a later run with nothing written between
    gives the same figures without counting, while the clock-driven ones are measured anew."""
    from customer_hub.store import quality_store

    engine = hub_engine
    seed_hub(engine)
    first = _series(compute_metrics(engine, config, NOW))

    def no_counting(*args, **kwargs):
        raise AssertionError("counted again although nothing changed")

    monkeypatch.setattr(quality_store, "unmatched_invoices_tally", no_counting)
    again = _series(compute_metrics(engine, config, NOW + timedelta(minutes=5)))
    assert {name: metric.value for name, metric in again.items()} == {
        name: metric.value for name, metric in first.items()
    }
    monkeypatch.undo()

    record(engine, "hubspot:contacts:105", "GC1", "GP1", email="jane@acme.com")
    changed = _series(compute_metrics(engine, config, NOW + timedelta(minutes=10)))
    assert changed["duplicate_records/hubspot"].value == first["duplicate_records/hubspot"].value + 1
