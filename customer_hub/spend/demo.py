"""What `make demo` shows of the shadow-IT scan: the quarterly `saas_spend` run over the QuickBooks spend the
demo's first run landed, its findings, and `customer-hub inventory` with the books' cost beside the configured one.
"""

from __future__ import annotations

from sqlalchemy import Engine

from customer_hub.change_control.demo import RunAssets
from customer_hub.config import HubConfig
from customer_hub.inventory import format_inventory, inventory_rows
from customer_hub.spend.report import scan_books


def run_shadow_it_demo(engine: Engine, config: HubConfig, run_assets: RunAssets) -> bool:
    """The quarterly scan over the landed QuickBooks spend, and the inventory with the books' cost."""
    ok = run_assets(["saas_spend"], "saas_spend (shadow-IT scan)")
    report = scan_books(engine, config)
    print(f"books as of {report.as_of}: {len(report.vendors)} vendors, "
          f"{sum(v.recurring for v in report.vendors)} billing on a cadence")  # fmt: skip
    for vendor in report.unknown_saas:
        print(f"  not in the inventory: {vendor.summary()}")
    for tool in report.cost_mismatches:
        print(f"  cost differs: {tool.summary()}")
    print("\ncustomer-hub inventory")
    print(format_inventory(inventory_rows(config, engine)))
    return ok
