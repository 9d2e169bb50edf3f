"""The hub's data quality in a few lines of text: the latest figure of each series against its goal."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from customer_hub.store import alert_store, quality_store

_RATIOS = {"completeness", "uptime", "error_rate"}


def _figure(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric in _RATIOS:
        return f"{value * 100:.1f}%"
    if metric == "latency_minutes":
        return f"{value:.1f} min" if value < 10 else f"{value:.0f} min"
    return f"{value:+g}" if metric == "row_count_parity" else f"{value:g}"


def quality_summary(engine: Engine, now: datetime | None = None) -> str:
    """Hub-wide figures, parity and drift per stream, failing per-tool figures, and the open incidents."""
    rows = quality_store.latest_metrics(engine, now or datetime.now(UTC))
    if not rows:
        return "Data quality: no metrics measured yet (materialize quality_metrics)."
    shown = [
        row for row in rows if row["tool"] == "all" or row["metric"] == "row_count_parity" or row["passed"] is False
    ]
    width = max(len(f"{row['metric']} [{row['stream'] or row['tool']}]") for row in shown)
    lines = ["Data quality (latest figures)"]
    for row in shown:
        status = {True: "PASS", False: "FAIL", None: "    "}[row["passed"]]
        name = f"{row['metric']} [{row['stream'] or row['tool']}]"
        value, threshold = row["value"], row["threshold"]
        if row["metric"] == "row_count_parity":
            reported = (row["detail"] or {}).get("reported")
            value = None if reported is None else value
            goal = f"  hub {row['detail']['landed']}, tool {'not compared' if reported is None else reported}"
        elif row["metric"] == "deleted_records":
            goal = f"  in the window, {(row['detail'] or {}).get('merged', 0)} of them merged"
        else:
            goal = "" if threshold is None else f"  goal {_figure(row['metric'], threshold)}"
        lines.append(f"  {status} {name:<{width}} {_figure(row['metric'], value):>10}{goal}")
    failing = sum(row["passed"] is False for row in shown)
    lines.append(f"{failing} failing of {sum(row['passed'] is not None for row in shown)} checked figures")
    incidents = alert_store.incidents(engine, "open")
    keys = ", ".join(item["incident_key"] for item in incidents)
    lines.append(f"Open incidents: {len(incidents)}" + (f" ({keys})" if keys else ""))
    return "\n".join(lines)
