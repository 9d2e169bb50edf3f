"""Customer health in a few lines for a terminal: customers per band, how the bands moved, the worst customers."""

from __future__ import annotations

from sqlalchemy import Engine

from customer_hub.customer_health.settings import BANDS
from customer_hub.store import customer_health_store

TREND_DAYS = 7


def health_summary(engine: Engine, worst: int = 3) -> str:
    """Bands of the latest scoring, the last days' band counts and the `worst` customers with their reasons."""
    scores = customer_health_store.latest_scores(engine)
    if not scores:
        return "No customer scored yet: materialize customer_health (it runs after customer_360 and daily)."
    counts = {band: sum(row["band"] == band for row in scores) for band in BANDS}
    newly = sum(row["band"] == "at_risk" and row["previous_band"] != "at_risk" for row in scores)
    lines = [
        f"{len(scores)} customers scored: "
        + ", ".join(f"{count} {band.replace('_', ' ')}" for band, count in counts.items())
        + f" ({newly} newly at risk)"
    ]
    for day in customer_health_store.band_counts_by_day(engine, TREND_DAYS):
        lines.append(f"  {day['day']}: " + ", ".join(f"{band} {day.get(band, 0)}" for band in BANDS))
    for row in scores[:worst]:
        lines.append(
            f"  {row['score']:>3}/100 {row['name'] or row['golden_customer_id']} [{row['golden_customer_id']}]"
        )
        lines += [f"         -{signal['points']} {signal['reason']}" for signal in row["signals"]]
    return "\n".join(lines)
