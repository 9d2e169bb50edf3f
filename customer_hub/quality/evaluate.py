"""Check evaluations straight from the hub store, for the checks attached to golden records, the 360 view and
each stream."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine

from customer_hub.quality.checks import CheckResult, check_double_billing, check_drift, check_duplicates, check_parity
from customer_hub.quality.metric import Metric
from customer_hub.quality.parity import parity
from customer_hub.quality.quarantine import quarantine_check
from customer_hub.quality.reports import double_billing_report, duplicate_groups, open_pairs, schema_drifts
from customer_hub.quality.settings import QualitySettings
from customer_hub.store import quality_store


def duplicates_check(engine: Engine, settings: QualitySettings, auto_merge_threshold: float) -> CheckResult:
    """Duplicates within tools and open match candidates (each saying why it was not merged at
    `auto_merge_threshold`), as they stand after the golden layer's latest run."""
    records = quality_store.entity_records(engine, settings.duplicate_objects)
    groups = duplicate_groups(engine, settings)
    return check_duplicates(groups, open_pairs(engine, auto_merge_threshold), settings, records)


def double_billing_check(engine: Engine, settings: QualitySettings) -> CheckResult:
    """Customers paying twice for one product, as the latest customer 360 views show them, against the customers
    paying at all."""
    return check_double_billing(double_billing_report(engine), settings, quality_store.paying_customers(engine))


def stream_check_results(
    engine: Engine,
    settings: QualitySettings,
    streams: Mapping[str, tuple[str, str]],
    reported: Mapping[str, int | None],
) -> tuple[list[Metric], list[CheckResult]]:
    """Row-count parity and schema drift of the given streams (`{stream: (tool, object)}`), with `reported` the
    tools' own counts. Returns the parity metrics (for the history) and every check result; a stream without a
    schema snapshot yet has no drift result. Field quarantines are checked for every stream."""
    parity_metrics = parity(
        engine, {stream: reported.get(stream) for stream in streams}, streams, settings.parity_tolerance
    )
    results = [check_parity(metric, settings) for metric in parity_metrics]
    drifts = schema_drifts(engine, list(streams.values()), settings.drift_ignore)
    results += [check_drift(drift, settings) for drift in drifts]
    results += [quarantine_check(engine, stream, tool, obj) for stream, (tool, obj) in streams.items()]
    return parity_metrics, results
