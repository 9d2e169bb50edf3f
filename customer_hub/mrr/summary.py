"""MRR in a few lines for a terminal: per day and currency, the MRR and how it moved."""

from __future__ import annotations

from sqlalchemy import Engine

from customer_hub.store import mrr_store

DAYS = 7


def _signed(value: float) -> str:
    return f"{value:+,.2f}"


def mrr_summary(engine: Engine) -> str:
    """Per day and currency: MRR at the day's last snapshot and the day's new / expansion / contraction / churn."""
    days = mrr_store.daily_history(engine, DAYS)
    if not days:
        return "No MRR snapshot yet: materialize mrr (it runs after customer_360 and daily)."
    lines = []
    for day in days:
        lines.append(
            f"  {day['day']} {day['currency'] or '(none)'}: MRR {day['mrr']:,.2f} from {day['customers']} customers; "
            f"new {_signed(day['new_mrr'])}, expansion {_signed(day['expansion_mrr'])}, contraction "
            f"{_signed(day['contraction_mrr'])}, churned {_signed(day['churned_mrr'])} ({day['snapshots']} snapshots)"
        )
    return "\n".join(lines)
