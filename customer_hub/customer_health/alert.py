"""The at-risk alert: one incident while any customer is at risk, updated in its thread when the set changes.

One incident rather than one per customer, so the first run on a hub with a hundred struggling customers posts one
message, not a hundred; the customers who dropped into the band since the day before lead the list and the figure,
so a customer turning at-risk is what the update says. It goes through the alert outbox like every check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from customer_hub.quality.checks import CheckResult, fingerprint

CHECK = "customers_at_risk"
ASSET = "customer_health"
NAMED_IN_FIGURE = 3


def _name(row: Mapping[str, Any]) -> str:
    return row.get("name") or row["golden_customer_id"]


def _summary(row: Mapping[str, Any]) -> str:
    reasons = "; ".join(signal["reason"] for signal in row.get("signals") or [])
    return f"{_name(row)} ({row['golden_customer_id']}): {row['score']}/100, {reasons}"


def at_risk_result(rows: Sequence[Mapping[str, Any]], watch_band: int) -> CheckResult:
    """The check on the latest scores: passes when no customer is at risk; `rows` are the at-risk customers."""
    new = [row for row in rows if row.get("previous_band") != "at_risk"]
    ordered = new + [row for row in rows if row.get("previous_band") == "at_risk"]
    named = ", ".join(f"{_name(row)} ({row['score']})" for row in new[:NAMED_IN_FIGURE])
    more = f" and {len(new) - NAMED_IN_FIGURE} more" if len(new) > NAMED_IN_FIGURE else ""
    figure = f"{len(rows)} customers at risk" + (f"; newly at risk: {named}{more}" if new else "; none newly")
    return CheckResult(
        check=CHECK,
        subject="all",
        asset=ASSET,
        passed=not rows,
        severity="WARN",
        value=float(len(rows)),
        threshold=0.0,
        figure=figure if rows else "no customer at risk",
        goal=f"no customer scores below {watch_band} (customer_health.bands.watch)",
        state=fingerprint(row["golden_customer_id"] for row in rows),
        offenders=[{"summary": _summary(row)} for row in ordered],
        offender_count=len(rows),
    )
