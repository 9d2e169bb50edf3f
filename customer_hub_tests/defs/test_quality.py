"""The quality wiring in Dagster: the metrics asset, its checks, the stream and golden checks, the alert sensor."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from dagster import (
    AssetKey,
    AssetSelection,
    AssetSpec,
    AutomationCondition,
    DagsterInstance,
    Definitions,
    MaterializeResult,
    asset,
    build_sensor_context,
    evaluate_automation_conditions,
    materialize,
)
from sqlalchemy import insert

from customer_hub.defs.quality import (
    asset_checks,
    build_stream_checks,
    customer_double_billing,
    golden_duplicates,
    quality_metrics,
    slack_alert_delivery,
)
from customer_hub.defs.resources import HubResource
from customer_hub.store import alert_store, engine_for
from customer_hub.store.quality_store import latest_metrics
from customer_hub.store.schema import landed_records
from customer_hub_tests.alerts.slack_recorder import SlackRecorder
from customer_hub_tests.quality.hub_data import seed_hub, snapshot

CHANNEL = "#customer-hub-alerts"
HUB_YAML = Path(__file__).resolve().parents[2] / "hub.yaml"


@pytest.fixture
def hub(tmp_path):
    return HubResource(database_url=f"sqlite:///{tmp_path}/hub.db")


@pytest.fixture
def engine(hub):
    return engine_for(hub.database_url)


def _checks(result):
    return {(str(e.asset_key.path[-1]), e.check_name): e for e in result.get_asset_check_evaluations()}


def test_quality_metrics_records_history_plots_and_checks(hub, engine):
    seed_hub(engine)
    result = materialize([quality_metrics, AssetSpec("customer_360")], resources={"hub": hub})
    [materialization] = result.asset_materializations_for_node("quality_metrics")
    metadata = materialization.metadata
    assert metadata["completeness/all"].value == pytest.approx(0.5)
    assert metadata["duplicate_records/hubspot"].value == 1.0
    assert metadata["dagster/row_count"].value > 20

    checks = _checks(result)
    completeness = checks[("quality_metrics", "completeness")]
    assert not completeness.passed and completeness.severity.value == "WARN"
    assert "50.0% complete (2 of 4)" in completeness.description
    offenders = completeness.metadata["offenders"].value
    assert {item["golden_id"] for item in offenders} == {"GC3", "GC4"}
    assert not checks[("quality_metrics", "unmatched_invoices")].passed

    assert latest_metrics(engine, datetime.now(UTC))
    assert {row["incident_key"] for row in alert_store.incidents(engine, "open")} >= {
        "completeness:all",
        "unmatched_invoices:all",
    }
    assert [row["what"] for row in _health(engine)][-1] == "quality_metrics"


def _health(engine):
    from customer_hub.store.health import health_rows

    return health_rows(engine)


def _hub_with(tmp_path, **quality) -> HubResource:
    """The project's hub.yaml with its `quality` section replaced, on a hub store in `tmp_path`."""
    data = yaml.safe_load(HUB_YAML.read_text())
    data["quality"] = quality
    path = tmp_path / "hub-test.yaml"
    path.write_text(yaml.safe_dump(data))
    return HubResource(config_path=str(path), database_url=f"sqlite:///{tmp_path}/hub.db")


def test_golden_checks_list_duplicates_and_double_billing_with_masked_emails(tmp_path, engine):
    seed_hub(engine)
    result = materialize(
        [AssetSpec("golden_customers"), AssetSpec("customer_360"), golden_duplicates, customer_double_billing],
        resources={"hub": _hub_with(tmp_path, duplicates_error_share=0.5, double_billing_error_share=1.0)},
        selection=AssetSelection.checks(*golden_duplicates.check_keys, *customer_double_billing.check_keys),
    )
    checks = _checks(result)
    duplicates = checks[("golden_customers", "duplicates")]
    assert not duplicates.passed and duplicates.severity.value == "WARN"  # 2 of 5 records: below half
    assert duplicates.metadata["value"].value == 2.0  # one within HubSpot, one within Stripe (open pairs not added)
    assert "j***@acme.com" in str(duplicates.metadata["offenders"].value)
    assert "jane@acme.com" not in str(duplicates.metadata["offenders"].value)
    pair = duplicates.metadata["offenders"].value[-1]
    assert pair["why_not_merged"] == "probability 0.91 is below auto-merge (0.92)"
    billing = checks[("customer_360", "double_billing")]
    assert not billing.passed and billing.severity.value == "WARN"
    assert billing.description == "1 customers paying twice for one product (100.0% of 1 paying customers)"


def _downstream(key: str, upstream: str):
    @asset(name=key, deps=[upstream])
    def _stub() -> MaterializeResult:
        return MaterializeResult()

    return _stub


@pytest.mark.parametrize(
    ("check", "upstream", "downstream"),
    [
        (golden_duplicates, "golden_customers", "customer_360"),
        (customer_double_billing, "customer_360", "quality_metrics"),
    ],
)
def test_a_blocking_check_at_error_holds_back_the_next_asset_and_at_warn_does_not(
    tmp_path, engine, check, upstream, downstream
):
    """Above its error share a blocking check fails at ERROR and the run stops before the downstream asset; the same
    failing figure below the share is a WARN and the downstream asset materializes."""
    seed_hub(engine)  # 2 duplicates in 5 records (40%); 1 of 1 paying customers billed twice (100%)
    assets = [_downstream(upstream, "customer_records"), check, _downstream(downstream, upstream)]

    blocked = materialize(assets, resources={"hub": _hub_with(tmp_path)}, raise_on_error=False)
    [evaluation] = blocked.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity.value == "ERROR"
    assert not blocked.success and not blocked.asset_materializations_for_node(downstream)

    lenient = {"duplicates_error_share": 0.5, "double_billing_error_share": 1.0}
    warned = materialize(assets, resources={"hub": _hub_with(tmp_path, **lenient)}, raise_on_error=False)
    [evaluation] = warned.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity.value == "WARN"
    assert warned.success and warned.asset_materializations_for_node(downstream)


def _sync_stub(stream: str, reported: int | None, rows: int, engine):
    """A stand-in for an ingestion asset: lands `rows` records and reports the tool's count like a sync does."""
    tool, obj = stream.split("_", 1)

    @asset(name=stream)
    def _sync() -> MaterializeResult:
        now = datetime.now(UTC)
        with engine.begin() as conn:
            conn.execute(
                insert(landed_records),
                [
                    {
                        "tool": tool,
                        "object": obj,
                        "source_id": f"{stream}-{n}",
                        "payload": {},
                        "fields": {},
                        "content_hash": "x",
                        "first_seen_at": now,
                        "last_seen_at": now,
                        "last_changed_at": now,
                    }
                    for n in range(rows)
                ],
            )
        return MaterializeResult(metadata={"reported_count": reported} if reported is not None else {})

    return _sync


def test_stream_checks_run_after_a_sync_and_compare_the_tool_count(hub, engine):
    checks_def = build_stream_checks("stripe_customers", "stripe", "customers")
    instance = DagsterInstance.ephemeral()
    result = materialize(
        [_sync_stub("stripe_customers", 5, 3, engine), checks_def], resources={"hub": hub}, instance=instance
    )
    checks = _checks(result)
    parity = checks[("stripe_customers", "row_count_parity")]
    assert not parity.passed and parity.severity.value == "ERROR"
    assert parity.description == "hub has 3, stripe reports 5 (-2)"
    assert checks[("stripe_customers", "schema_drift")].passed  # no snapshot yet: the first sync sets the baseline
    [incident] = alert_store.incidents(engine, "open")
    assert incident["incident_key"] == "row_count_parity:stripe_customers"


def test_a_sync_without_a_count_is_not_shown_as_parity_passed_and_raises_no_alert(hub, engine):
    checks_def = build_stream_checks("stripe_invoices", "stripe", "invoices")  # an incremental Stripe sync: no total
    result = materialize([_sync_stub("stripe_invoices", None, 3, engine), checks_def], resources={"hub": hub})

    parity = _checks(result)[("stripe_invoices", "row_count_parity")]
    assert not parity.passed and parity.severity.value == "WARN"
    assert parity.description.startswith("hub has 3; not compared")
    assert alert_store.incidents(engine, "open") == []


def test_schema_drift_check_alerts_once_and_resolves_in_the_same_thread(hub, engine, monkeypatch):
    """Drift in one stream -> one alert naming tool and field; drift gone -> a 'resolved' reply in its thread."""
    checks_def = build_stream_checks("hubspot_contacts", "hubspot", "contacts")
    stub = AssetSpec("hubspot_contacts")
    base = ["id", "properties", "properties.email", "properties.firstname"]
    start = datetime.now(UTC) - timedelta(days=1)
    snapshot(engine, "hubspot", "contacts", base, start)
    with SlackRecorder(channels=(CHANNEL,)) as recorder:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token-0001")
        monkeypatch.setenv("SLACK_API_URL", recorder.api_url)
        monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
        sensor_context = build_sensor_context(resources={"hub": hub})

        snapshot(
            engine,
            "hubspot",
            "contacts",
            ["id", "properties", "properties.email_address", "properties.firstname"],
            start + timedelta(hours=1),
        )
        for _ in range(3):  # the drift stays for three syncs: still one alert
            result = materialize([stub, checks_def], resources={"hub": hub}, selection=asset_checks_of(checks_def))
            assert not _checks(result)[("hubspot_contacts", "schema_drift")].passed
            slack_alert_delivery(sensor_context)
        [opening] = recorder.messages
        assert opening["channel"] == CHANNEL
        assert "hubspot contacts: renamed properties.email → properties.email_address" in opening["text"]

        snapshot(engine, "hubspot", "contacts", base, start + timedelta(hours=2))  # the vendor reverted
        result = materialize([stub, checks_def], resources={"hub": hub}, selection=asset_checks_of(checks_def))
        assert _checks(result)[("hubspot_contacts", "schema_drift")].passed
        slack_alert_delivery(sensor_context)
        _, resolved = recorder.messages
        assert resolved["thread_ts"] == opening["ts"] and resolved["text"].startswith("Resolved: Tool schema changed")


def asset_checks_of(checks_def):
    return AssetSelection.checks(*checks_def.check_keys)


def test_the_sensor_says_when_nothing_is_queued_and_every_stream_has_checks(hub):
    assert slack_alert_delivery(build_sensor_context(resources={"hub": hub})).skip_message == "no alerts to deliver"
    streams = {key.asset_key for checks_def in asset_checks for key in checks_def.check_keys}
    assert {AssetKey("hubspot_contacts"), AssetKey("golden_customers"), AssetKey("customer_360")} <= streams
    assert len(streams) == 17  # fifteen ingestion streams, golden_customers and customer_360


def _requested(result) -> set[str]:
    return {r.key.to_user_string() for r in result.results if r.true_subset.size}


def test_automation_runs_a_blocking_check_with_its_asset_and_does_not_refresh_past_an_error(tmp_path, engine):
    """The eager refresh requests golden_customers, its duplicates check and customer_360 in one tick (one run, in
    which the check can block); while the check fails at ERROR, later ticks leave customer_360 alone."""
    from customer_hub.defs.golden import REFRESH_UNLESS_BLOCKED

    @asset(name="customer_records")
    def records() -> MaterializeResult:
        return MaterializeResult()

    @asset(name="golden_customers", deps=["customer_records"], automation_condition=AutomationCondition.eager())
    def golden() -> MaterializeResult:
        return MaterializeResult()

    @asset(name="customer_360", deps=["golden_customers"], automation_condition=REFRESH_UNLESS_BLOCKED)
    def view() -> MaterializeResult:
        return MaterializeResult()

    hub = {"hub": _hub_with(tmp_path)}
    defs = Definitions(assets=[records, golden, view], asset_checks=[golden_duplicates], resources=hub)
    instance = DagsterInstance.ephemeral()
    materialize([records, golden, golden_duplicates, view], instance=instance, resources=hub)  # a clean hub: passes
    first = evaluate_automation_conditions(defs=defs, instance=instance)
    seed_hub(engine)  # a sync lands records that resolve to 2 duplicates in 5 records: ERROR at the 10% default
    materialize([records], instance=instance)

    tick = evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert _requested(tick) == {"golden_customers", "golden_customers:duplicates", "customer_360"}

    run = materialize([golden, golden_duplicates, view], instance=instance, resources=hub, raise_on_error=False)
    assert not run.asset_materializations_for_node("customer_360")  # the ERROR stopped it in the run
    after_run = evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert _requested(after_run) == set()

    # someone materializes golden_customers alone from the UI; its check runs with it and fails again
    materialize([golden, golden_duplicates], instance=instance, resources=hub, raise_on_error=False)
    later = evaluate_automation_conditions(defs=defs, instance=instance, cursor=after_run.cursor)
    assert "customer_360" not in _requested(later)  # plain eager would refresh it from the unchecked records
