"""The shadow-IT scan over the hub store: the landed QuickBooks spend streams fed to the pure scan."""

from __future__ import annotations

from sqlalchemy import Engine

from customer_hub.config import HubConfig
from customer_hub.spend.scan import SpendReport, scan_spend
from customer_hub.spend.settings import shadow_it_settings
from customer_hub.store.landing import landed, live_count

TOOL = "quickbooks"


def spend_landed(engine: Engine) -> bool:
    """Whether any purchase or bill has landed, i.e. whether the scan has books to read."""
    return any(live_count(engine, TOOL, obj) for obj in ("purchases", "bills"))


def scan_books(engine: Engine, config: HubConfig) -> SpendReport:
    """The scan of everything landed from QuickBooks, against every tool in hub.yaml (disabled ones too: a tool
    the hub no longer syncs may still be paid for)."""
    fields = {obj: [row["fields"] for row in landed(engine, TOOL, obj)] for obj in ("vendors", "purchases", "bills")}
    costs = {tool: system.monthly_cost_usd for tool, system in config.systems.items()}
    return scan_spend(
        fields["vendors"], fields["purchases"], fields["bills"], costs, shadow_it_settings(config.shadow_it)
    )
