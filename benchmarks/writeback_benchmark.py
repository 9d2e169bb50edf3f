"""Write-back throughput against each vendor's documented rate limit, using its batch endpoint where it has one.

Starts the sandbox with rate limits on, syncs HubSpot contacts, Stripe customers, Intercom contacts and QuickBooks
customers into a throw-away SQLite hub store, links every record to a golden customer of its own, and applies the
write-back of every target in hub.yaml (switched on). Prints, per tool, records written per second against what
the limit allows (requests per second x records per request: HubSpot batch update 100, the others 1), and checks
that a re-plan right after finds nothing left to send. Two rates: over the whole run (planning included, as every
write-back run plans first) and over the sending alone (first request to last answer).

    .venv/bin/python benchmarks/writeback_benchmark.py [--scale 2] [--tools hubspot stripe intercom quickbooks]
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import Engine, insert, select
from sync_benchmark import SandboxProcess, sandbox_credentials

from customer_hub.config import load_config
from customer_hub.sandbox import SANDBOX_IDS
from customer_hub.spokes.registry import build_connector
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for
from customer_hub.store.schema import customer_xref, golden_customers, landed_records
from customer_hub.writeback.run import apply_tool, plan_tool, settings_of

HUB_YAML = Path(__file__).resolve().parents[1] / "hub.yaml"
OBJECTS = {"hubspot": "contacts", "stripe": "customers", "intercom": "contacts", "quickbooks": "customers"}
PER_REQUEST = {"hubspot": 100, "stripe": 1, "intercom": 1, "quickbooks": 1}


def link_each_record(engine: Engine) -> None:
    """One golden customer per landed record, with a golden id and balance to write back."""
    now = datetime.now(UTC)
    with engine.connect() as conn:
        rows = conn.execute(select(landed_records.c.tool, landed_records.c.object, landed_records.c.source_id)).all()
    golden, xref = [], []
    for number, (tool, obj, source_id) in enumerate(rows):
        golden_id = f"GC-{number:010d}"
        golden.append({"golden_id": golden_id, "kind": "customer", "status": "active", "merged_into": None,
                       "fields": {"balance": float(number), "subscription_status": "active",
                                  "implementation_status": "Live"},
                       "field_sources": {}, "created_at": now, "updated_at": now})  # fmt: skip
        xref.append({"record_id": f"{tool}:{obj}:{source_id}", "source_system": tool, "source_object": obj,
                     "source_id": source_id, "golden_customer_id": golden_id, "match_rule": "benchmark",
                     "confidence": 1.0, "updated_at": now})  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(golden_customers), golden)
        conn.execute(insert(customer_xref), xref)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=2.0, help="sandbox volume multiplier (default 2)")
    parser.add_argument("--tools", nargs="+", default=list(OBJECTS), choices=list(OBJECTS))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the sandbox's access log

    config = load_config(HUB_YAML)
    settings = settings_of(config).enable_all()
    settings = settings.model_copy(update={"flows": {}})  # golden targets only: one write per linked record
    sandbox = SandboxProcess(scale=args.scale)
    limits = requests.get(f"{sandbox.url}/_sandbox/faults", timeout=30).json()["rate_limits"]
    engine = engine_for(f"sqlite:///{tempfile.mkdtemp(prefix='writeback-benchmark-')}/hub.db")
    token_url_env = config.systems["quickbooks"].settings["token_url_env"]
    os.environ[token_url_env] = sandbox.url + SANDBOX_IDS["quickbooks_token_path"]
    try:
        connectors = {
            tool: build_connector(tool, config, engine=engine, base_url=sandbox.base_url(tool),
                                  credentials=sandbox_credentials(config, tool, sandbox.url))
            for tool in args.tools
        }  # fmt: skip
        for tool, connector in connectors.items():
            sync_stream(engine, connector, OBJECTS[tool], mode="full")
        link_each_record(engine)
        print(f"sandbox scale {args.scale}, rate limits on: {limits}")
        print(f"{'tool':<11}{'records':>8}{'requests':>9}{'429s':>6}{'plan s':>8}{'send s':>8}{'allowed/s':>10}"
              f"{'all rec/s':>10}{'of limit':>9}{'send rec/s':>11}{'of limit':>9}{'re-plan':>8}")  # fmt: skip
        for tool, connector in connectors.items():
            client = connector.client
            before = client.stats.copy()
            started = time.monotonic()
            result = apply_tool(engine, config, tool, client, f"bench-{tool}", settings=settings, approved=True)
            seconds = time.monotonic() - started
            used = client.stats - before
            allowed = limits[tool]["requests_per_second"] * PER_REQUEST[tool]
            overall, sending = result.sent / seconds, result.sent / result.sending_seconds
            again = len(plan_tool(engine, config, tool, settings).changes)
            print(f"{tool:<11}{result.sent:>8}{used.requests:>9}{used.by_status.get('429', 0):>6}"
                  f"{result.planning_seconds:>8.2f}{result.sending_seconds:>8.2f}{allowed:>10.0f}{overall:>10.1f}"
                  f"{overall / allowed:>9.0%}{sending:>11.1f}{sending / allowed:>9.0%}{again:>8}")  # fmt: skip
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
