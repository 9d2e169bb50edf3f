"""Data quality: metrics over the hub store and the checks that hold them against the goals in `hub.yaml`.

Pure with respect to Dagster: everything here takes an engine (or plain rows) and returns plain values.
"""

from customer_hub.quality.checks import CheckResult, evaluate_quality_checks
from customer_hub.quality.evaluate import double_billing_check, duplicates_check, stream_check_results
from customer_hub.quality.metric import Metric
from customer_hub.quality.metrics import compute_metrics
from customer_hub.quality.parity import parity
from customer_hub.quality.settings import QualitySettings, quality_settings
from customer_hub.quality.summary import quality_summary

__all__ = [
    "CheckResult",
    "Metric",
    "QualitySettings",
    "compute_metrics",
    "double_billing_check",
    "duplicates_check",
    "evaluate_quality_checks",
    "parity",
    "quality_settings",
    "quality_summary",
    "stream_check_results",
]
