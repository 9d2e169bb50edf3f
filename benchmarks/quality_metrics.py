"""How long the quality layer takes on a sandbox-sized hub, and what it finds there.

Syncs every stream of the sandbox (seed 42) into a fresh SQLite hub, builds the golden records, then times
`compute_metrics`, the per-stream checks and the golden checks, and prints the hub-wide figures.

    .venv/bin/python benchmarks/quality_metrics.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime

from customer_hub.config import load_config
from customer_hub.golden.build import build_golden
from customer_hub.golden.records import build_customer_records
from customer_hub.golden.review import auto_merge_threshold
from customer_hub.golden.view360 import build_customer_360
from customer_hub.local_env import sandbox_google_key
from customer_hub.quality import (
    compute_metrics,
    double_billing_check,
    duplicates_check,
    quality_settings,
    quality_summary,
    stream_check_results,
)
from customer_hub.sandbox import SANDBOX_IDS, start_sandbox
from customer_hub.spokes.registry import build_connector, streams
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for
from customer_hub.store.quality_store import append_metrics

CREDENTIALS = {
    "hubspot": {"access_token": "sandbox"},
    "stripe": {"api_key": "sk_test_sandbox"},
    "intercom": {"access_token": "sandbox"},
    "quickbooks": {
        "client_id": "sandbox",
        "client_secret": "sandbox",
        "refresh_token": SANDBOX_IDS["quickbooks_refresh_token"],
        "realm_id": SANDBOX_IDS["quickbooks_realm_id"],
    },
    "asana": {"access_token": "sandbox"},
}


def _timed(label: str, work):
    start = time.perf_counter()
    value = work()
    print(f"{label:<34} {time.perf_counter() - start:8.3f} s")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="sandbox size (1.0 = about 15k records)")
    args = parser.parse_args()
    config = load_config()
    settings = quality_settings(config)
    with tempfile.TemporaryDirectory() as folder, start_sandbox(seed=42, scale=args.scale) as sandbox:
        engine = engine_for(f"sqlite:///{folder}/hub.db")
        os.environ["QUICKBOOKS_TOKEN_URL"] = sandbox.base_url("quickbooks") + "/oauth2/v1/tokens/bearer"
        credentials = {**CREDENTIALS, "sheets": {"service_account_key": sandbox_google_key(sandbox.url)}}
        reported = {}
        for tool, obj in streams(config):
            connector = build_connector(
                tool, config, engine=engine, credentials=credentials[tool], base_url=sandbox.base_url(tool)
            )
            reported[f"{tool}_{obj}"] = sync_stream(engine, connector, obj, mode="full").reported_count
        records = _timed("customer records", lambda: build_customer_records(engine)["live"])
        _timed("golden records (resolution)", lambda: build_golden(engine, config))
        _timed("customer 360", lambda: build_customer_360(engine))
        now = datetime.now(UTC)
        metrics = _timed("compute_metrics", lambda: compute_metrics(engine, config, now, settings))
        append_metrics(engine, metrics, now)
        stream_map = {f"{tool}_{obj}": (tool, obj) for tool, obj in streams(config)}
        parity, _ = _timed(
            "parity + drift, all 12 streams", lambda: stream_check_results(engine, settings, stream_map, reported)
        )
        append_metrics(engine, parity, now)
        _timed("duplicates check", lambda: duplicates_check(engine, settings, auto_merge_threshold(config)))
        _timed("double billing check", lambda: double_billing_check(engine, settings))
        print(f"\n{records} live records, {len(metrics) + len(parity)} metric rows\n")
        print(quality_summary(engine, now))


if __name__ == "__main__":
    main()
