"""The quarterly shadow-IT summary: SaaS the company pays for outside the inventory, and tools whose real cost
differs from the configured one, in one Slack message through the alert outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from customer_hub.alerts.links import Links
from customer_hub.alerts.messages import _button, _context, _escape, _header, _section, records_blocks
from customer_hub.spend.scan import SpendReport
from customer_hub.store import alert_store

ASSET = "saas_spend"


def shadow_it_message(report: SpendReport, links: Links, now: datetime) -> dict[str, Any]:
    """Counts first, then the unknown SaaS (largest monthly cost first) and the cost differences."""
    unknown, mismatches = report.unknown_saas, report.cost_mismatches
    headline = (
        f"{len(unknown)} SaaS vendor{'s' * (len(unknown) != 1)} billing outside the inventory "
        f"(${report.unknown_monthly_usd:,.2f}/month), {len(mismatches)} tool{'s' * (len(mismatches) != 1)} costing "
        "other than configured"
    )
    blocks = [_header(":mag: Quarterly shadow-IT scan"), _section(f"*{_escape(headline)}*")]
    lines = [{"summary": vendor.summary()} for vendor in unknown]
    costs = [{"summary": tool.summary()} for tool in mismatches]
    for items, title in ((lines, "Paid for, not in the inventory"), (costs, "Cost differs from hub.yaml")):
        blocks += records_blocks(items, len(items), links, title)
    if unknown or mismatches:
        blocks.append(
            _section(
                "*What to do*\nGive each tool the company keeps an owner: add it to hub.yaml `systems` with its "
                "`monthly_cost_usd`, or list an approved one under `shadow_it.known_vendors`; cancel the ones nobody "
                "owns. Correct `monthly_cost_usd` where the books say otherwise."
            )
        )
    else:
        blocks.append(_section("Every recurring SaaS charge belongs to a tool in the inventory. :tada:"))
    blocks.append(_button("Open saas_spend in Dagster", links.asset(ASSET)))
    as_of = f"books as of {report.as_of:%Y-%m-%d}" if report.as_of else "no purchases or bills landed"
    blocks.append(_context(f"shadow-IT scan · {as_of} · {now:%Y-%m-%d %H:%M} UTC"))
    return {"text": f"Quarterly shadow-IT scan: {headline}", "blocks": blocks}


def queue_shadow_it_summary(engine: Engine, report: SpendReport, links: Links, now: datetime) -> int:
    """Put the summary in the outbox (one per scan day); returns its id. Delivery is the outbox's job."""
    message = shadow_it_message(report, links, now)
    with engine.begin() as conn:
        return alert_store.enqueue(conn, "digest", message, now, incident_key=f"shadow_it:{now:%Y-%m-%d}")
