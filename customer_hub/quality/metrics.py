"""All quality metrics of the hub in one pass: the pure core behind the `quality_metrics` asset."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine

from customer_hub.config import HubConfig
from customer_hub.golden.review import auto_merge_threshold
from customer_hub.quality.completeness import golden_completeness, record_completeness
from customer_hub.quality.deletions import deletion_metrics
from customer_hub.quality.drift import drift_metric
from customer_hub.quality.duplicates import duplicate_metrics
from customer_hub.quality.invoices import unmatched_invoice_metrics, unmatched_invoices
from customer_hub.quality.latency import change_latencies, latency_metrics
from customer_hub.quality.metric import Metric
from customer_hub.quality.reports import double_billing_report, duplicate_groups, open_pairs, schema_drifts
from customer_hub.quality.settings import QualitySettings, quality_settings
from customer_hub.quality.uptime import health_metrics, integration_health
from customer_hub.store import quality_store

GOLDEN_RUN = "golden_customers"
"""The health-log name of the golden layer's run: a change is in golden once a run of it started after landing."""


def compute_metrics(
    engine: Engine, config: HubConfig, now: datetime, settings: QualitySettings | None = None
) -> list[Metric]:
    """Every metric except row-count parity (measured per stream at sync time, see `parity`), per tool and `all`."""
    settings = settings or quality_settings(config)
    limit = settings.offenders_limit
    tools = list(config.enabled_systems())
    since = now - timedelta(hours=settings.window_hours)
    xref = quality_store.xref_rows(engine)
    attributes = quality_store.record_attributes(engine)

    pairs = open_pairs(engine, auto_merge_threshold(config))
    metrics = duplicate_metrics(duplicate_groups(engine, settings), pairs, tools, limit, settings.duplicates_max)

    golden = quality_store.golden_rows(engine, "customer")
    metrics.append(golden_completeness(golden, settings.completeness_fields, settings.completeness_min, limit))
    entity_streams = [(tool, obj) for tool, objects in settings.duplicate_objects.items() for obj in objects]
    metrics += record_completeness(attributes, entity_streams, settings.completeness_fields)

    metrics += unmatched_invoice_metrics(unmatched_invoices(xref, attributes), settings.unmatched_invoices_max, limit)

    rows, before = quality_store.health_window(engine, since)
    health = integration_health(rows, before, since, now)
    metrics += health_metrics(health, settings.uptime_min, settings.error_rate_max, limit)

    golden_of = {row["record_id"]: row["golden_person_id"] or row["golden_customer_id"] for row in xref}
    golden_updated = {row["golden_id"]: row["updated_at"] for row in quality_store.golden_rows(engine)}
    latencies = change_latencies(
        quality_store.recent_changes(engine, since),
        quality_store.stream_first_seen(engine),
        golden_of,
        golden_updated,
        quality_store.successful_runs(engine, GOLDEN_RUN, since),
        now,
    )
    metrics += latency_metrics(latencies, settings.latency_max_minutes, limit)

    streams = [(tool, obj) for tool, system in config.enabled_systems().items() for obj in system.objects]
    metrics += deletion_metrics(quality_store.deletions_since(engine, since), streams)

    drifts = [drift_metric(drift) for drift in schema_drifts(engine, ignore=settings.drift_ignore)]
    metrics += drifts
    if drifts:
        changed = [metric.stream for metric in drifts if metric.value]
        metrics.append(
            Metric("schema_drift", "all", sum(m.value for m in drifts), 0.0, not changed, {"streams": changed})
        )

    billed = double_billing_report(engine)
    metrics.append(
        Metric(
            "double_billing",
            "all",
            len(billed),
            threshold=settings.double_billing_max,
            passed=len(billed) <= settings.double_billing_max,
            detail={"offenders": billed[:limit], "offender_count": len(billed)},
        )
    )
    return metrics
