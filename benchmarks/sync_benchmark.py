"""How close full syncs run to the vendors' rate limits, and what an incremental sync costs next to a full one.

Starts the sandbox with rate limits on, syncs every stream of the chosen tools in full into a throw-away SQLite
hub store, then changes a share of the records and syncs incrementally. Prints, per tool, records per second
against what the limit allows (requests per second x page size) and, per stream, incremental cost as a ratio of
the full sync's requests, seconds and records fetched.

    .venv/bin/python benchmarks/sync_benchmark.py [--scale 5] [--tools hubspot stripe] [--mutate 0.01]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import socket
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from customer_hub.config import load_config
from customer_hub.local_env import sandbox_google_key
from customer_hub.sandbox import SANDBOX_IDS, TOOL_PATHS, serve
from customer_hub.spokes.registry import build_connector
from customer_hub.spokes.sync import SyncResult, client_stats, sync_stream
from customer_hub.store import engine_for
from customer_hub.store.landing import LandedRecord, upsert_records

HUB_YAML = Path(__file__).resolve().parents[1] / "hub.yaml"


def sandbox_credentials(config, tool: str, sandbox_url: str) -> dict[str, str]:
    """Placeholder credentials the sandbox accepts; QuickBooks needs its fixed realm and first refresh token, Sheets
    a service-account key the sandbox made."""
    values = {setting: f"sandbox-{setting}" for setting in config.systems[tool].credentials}
    if tool == "quickbooks":
        values.update(
            realm_id=SANDBOX_IDS["quickbooks_realm_id"], refresh_token=SANDBOX_IDS["quickbooks_refresh_token"]
        )
    if tool == "sheets":
        values["service_account_key"] = sandbox_google_key(sandbox_url)
    return values


class SandboxProcess:
    """The sandbox in its own process, as a vendor would be: its JSON work must not share this process's GIL."""

    def __init__(self, scale: float) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._process = multiprocessing.Process(
            target=serve, kwargs={"port": port, "scale": scale, "rate_limits": True}, daemon=True
        )
        self._process.start()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.ConnectionError):
                requests.get(f"{self.url}/_sandbox/", timeout=5)
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("the sandbox did not start within 300 s")

    def base_url(self, tool: str) -> str:
        return self.url + TOOL_PATHS[tool]

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(timeout=10)


def page_size(connector) -> int:
    return getattr(connector, "page_size", None) or 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=5.0, help="sandbox volume multiplier (default 5)")
    parser.add_argument("--tools", nargs="+", default=["hubspot", "stripe"], help="tools to sync")
    parser.add_argument("--mutate", type=float, default=0.01, help="share of records changed before the incremental")
    parser.add_argument("--landing", type=int, default=100_000, help="records for the landing-throughput run (0: skip)")
    parser.add_argument("--postgres", default="", help="also time landing on this PostgreSQL URL")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the sandbox's access log

    config = load_config(HUB_YAML)
    started = time.monotonic()
    sandbox = SandboxProcess(scale=args.scale)
    print(f"sandbox scale {args.scale} seeded in {time.monotonic() - started:.1f} s at {sandbox.url}")
    limits = requests.get(f"{sandbox.url}/_sandbox/faults", timeout=30).json()["rate_limits"]
    engine = engine_for(f"sqlite:///{tempfile.mkdtemp(prefix='sync-benchmark-')}/hub.db")
    try:
        connectors = {
            tool: build_connector(
                tool, config, engine=engine, credentials=sandbox_credentials(config, tool, sandbox.url),
                base_url=sandbox.base_url(tool),
            )
            for tool in args.tools
        }  # fmt: skip
        full = run_syncs(engine, connectors, "full")
        print_rate_table(full, connectors, limits)
        changed = requests.post(
            f"{sandbox.url}/_sandbox/mutate", json={"fraction": args.mutate, "tools": args.tools}, timeout=60
        ).json()
        incremental = run_syncs(engine, connectors, "incremental")
        print_incremental_table(full, incremental, changed, args.mutate)
    finally:
        sandbox.stop()
    if args.landing:
        print(f"\nLanding throughput: {args.landing:,} contact-sized records in pages of 100, no API involved")
        print_landing(f"sqlite:///{tempfile.mkdtemp(prefix='landing-benchmark-')}/hub.db", args.landing)
        if args.postgres:
            with scratch_postgres(args.postgres) as url:
                print_landing(url, args.landing)


@contextlib.contextmanager
def scratch_postgres(server_url: str):
    """A throw-away database on the server at `server_url`, dropped afterwards."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"customer_hub_benchmark_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def print_landing(url: str, count: int) -> None:
    """Insert `count` records, re-land them unchanged, then land them with 10% changed; records per second."""
    engine = engine_for(url)
    now = datetime.now(UTC)

    def batch(version: int, changed_every: int) -> list[LandedRecord]:
        return [
            LandedRecord(
                str(i),
                {"id": str(i), "properties": {"email": f"p{i}@example.com", "firstname": "Ada", "lastname": "King",
                                              "phone": "+44 20 7946 0000", "company": f"Company {i % 5000}",
                                              "version": version if i % changed_every == 0 else 0}},
                {"email": f"p{i}@example.com"},
                now,
            )
            for i in range(count)
        ]  # fmt: skip

    for label, records in (("insert", batch(0, 1)), ("re-land unchanged", batch(0, 1)), ("10% changed", batch(1, 10))):
        clock = time.monotonic()
        for start in range(0, count, 100):
            with engine.begin() as conn:
                upsert_records(conn, "benchmark", "contacts", records[start : start + 100], now)
        seconds = time.monotonic() - clock
        print(f"  {engine.dialect.name:<11}{label:<19}{seconds:>8.2f} s {count / seconds:>10,.0f} records/s")
        if engine.dialect.name == "postgresql":
            # What autovacuum does within a minute of a bulk load; without fresh statistics the planner scans the
            # whole stream through ix_landed_stream instead of probing uq_landed_source.
            with engine.begin() as conn:
                conn.execute(text("ANALYZE landed_records"))


def run_syncs(engine, connectors, mode: str) -> dict[tuple[str, str], tuple[SyncResult, float, int]]:
    """(result, wall seconds, HTTP 429s) per stream; each tool's streams run back to back, as its pool would."""
    results = {}
    for tool, connector in connectors.items():
        for obj in connector.objects:
            throttled_before = client_stats(connector).by_status.get("429", 0)
            clock = time.monotonic()
            result = sync_stream(engine, connector, obj, mode=mode)
            seconds = time.monotonic() - clock
            results[(tool, obj)] = (result, seconds, client_stats(connector).by_status.get("429", 0) - throttled_before)
    return results


def print_rate_table(full, connectors, limits) -> None:
    print("\nFull sync against the rate limits (each tool's streams back to back)")
    print(f"{'tool':<11}{'records':>9}{'requests':>10}{'429s':>6}{'seconds':>9}{'rec/s':>9}{'limit rec/s':>13}"
          f"{'% of limit':>12}{'req/s':>8}{'limit rps':>11}{'% of rps':>10}")  # fmt: skip
    for tool, connector in connectors.items():
        rows = [value for (name, _), value in full.items() if name == tool]
        records = sum(result.fetched for result, _, _ in rows)
        calls = sum(result.requests for result, _, _ in rows)
        errors = sum(count for _, _, count in rows)
        seconds = sum(wall for _, wall, _ in rows)
        rps = limits.get(tool, {}).get("requests_per_second")
        allowed = rps * page_size(connector) if rps else None
        rate, call_rate = records / seconds, calls / seconds
        share = f"{100 * rate / allowed:.1f}%" if allowed else "n/a"
        call_share = f"{100 * call_rate / rps:.1f}%" if rps else "n/a"
        print(f"{tool:<11}{records:>9}{calls:>10}{errors:>6}{seconds:>9.2f}{rate:>9.0f}{allowed or 0:>13.0f}"
              f"{share:>12}{call_rate:>8.2f}{rps or 0:>11.2f}{call_share:>10}")  # fmt: skip


def print_incremental_table(full, incremental, changed, fraction: float) -> None:
    print(f"\nIncremental sync after changing {fraction:.0%} of records: cost as a ratio of the full sync")
    print(f"{'stream':<24}{'changed':>8}{'fetched':>8}{'requests':>10}{'seconds':>9}"
          f"{'req ratio':>11}{'sec ratio':>11}{'rec ratio':>11}")  # fmt: skip
    totals = [0, 0, 0.0, 0, 0, 0.0]
    for (tool, obj), (result, seconds, _) in incremental.items():
        base, base_seconds, _ = full[(tool, obj)]
        print(f"{tool + '_' + obj:<24}{len(changed.get(tool, {}).get(obj, [])):>8}{result.fetched:>8}"
              f"{result.requests:>10}{seconds:>9.2f}{result.requests / base.requests:>11.3f}"
              f"{seconds / base_seconds:>11.3f}{result.fetched / max(base.fetched, 1):>11.3f}")  # fmt: skip
        totals = [totals[0] + result.requests, totals[1] + result.fetched, totals[2] + seconds,
                  totals[3] + base.requests, totals[4] + base.fetched, totals[5] + base_seconds]  # fmt: skip
    print(f"{'all streams':<24}{'':>8}{totals[1]:>8}{totals[0]:>10}{totals[2]:>9.2f}{totals[0] / totals[3]:>11.3f}"
          f"{totals[2] / totals[5]:>11.3f}{totals[1] / max(totals[4], 1):>11.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
