from datetime import timedelta

import pytest

from customer_hub.alerts import observe_all
from customer_hub.alerts.links import Links, UiAddress
from customer_hub.config import ConfigError, load_config
from customer_hub.quality import compute_metrics, evaluate_quality_checks, quality_settings, quality_summary
from customer_hub.quality.reports import schema_drifts
from customer_hub.store import engine_for
from customer_hub.store.quality_store import accept_schema, append_metrics
from customer_hub_tests.quality.hub_data import NOW, seed_hub, snapshot

LINKS = Links(UiAddress("http://ui", "test"))


@pytest.fixture
def engine(tmp_path):
    return engine_for(f"sqlite:///{tmp_path}/hub.db")


def test_defaults_and_a_typo_in_the_quality_section_names_the_key():
    config = load_config()
    settings = quality_settings(config)
    assert settings.completeness_min == 0.95 and settings.completeness_fields == ["email", "company_name", "phone"]
    assert settings.severity_of("duplicates") == "WARN" and settings.severity_of("schema_drift") == "ERROR"
    with pytest.raises(ConfigError, match=r"quality\.completness_min: unknown key"):
        quality_settings(config.model_copy(update={"quality": {"completness_min": 0.9}}))
    with pytest.raises(ConfigError, match=r"quality\.severity: .*unknown check"):
        quality_settings(config.model_copy(update={"quality": {"severity": {"dupes": "WARN"}}}))
    strict = quality_settings(config.model_copy(update={"quality": {"completeness_min": 0.4}}))
    assert strict.completeness_min == 0.4


def test_the_summary_shows_latest_figures_pass_fail_and_open_incidents(engine):
    config = load_config()
    assert "no metrics measured yet" in quality_summary(engine, NOW)
    seed_hub(engine)
    metrics = compute_metrics(engine, config, NOW)
    append_metrics(engine, metrics, NOW)
    observe_all(engine, evaluate_quality_checks(metrics, quality_settings(config)), LINKS, "#c", NOW)
    summary = quality_summary(engine, NOW + timedelta(minutes=1))
    assert "FAIL completeness [all]" in summary and "50.0%" in summary and "goal 95.0%" in summary
    assert "FAIL uptime [stripe]" in summary
    assert "Open incidents: 4 (completeness:all, error_rate:all, unmatched_invoices:all, uptime:all)" in summary


def test_accepting_a_new_schema_makes_it_the_baseline(engine):
    snapshot(engine, "stripe", "customers", ["id", "email"], NOW - timedelta(days=1))
    snapshot(engine, "stripe", "customers", ["id", "email", "tax_ids"], NOW)
    [drift] = schema_drifts(engine)
    assert drift.added == ["tax_ids"]
    accept_schema(engine, "stripe", "customers", "finance@example.com", NOW)
    [drift] = schema_drifts(engine)
    assert drift.changes == 0
    snapshot(engine, "stripe", "customers", ["id", "email"], NOW + timedelta(hours=1))
    [drift] = schema_drifts(engine)
    assert drift.removed == ["tax_ids"]  # measured against the accepted schema now
