"""Kill -9 and flaky vendors: does the hub lose, duplicate or re-key anything?

Against the local sandbox and a throw-away SQLite hub store:

1. a clean full sync of every stream, then the golden layer: the reference (record -> golden customer id);
2. kill rounds: each stream's full sync runs in a subprocess that is killed with SIGKILL at a random moment,
   `--rounds` times over the streams;
3. a fault pass: every vendor answers `--error-rate` of requests with 429, 5xx or a reply after the client's
   timeout (the sandbox's fault switches), and every stream is synced through it (failed syncs retried);
4. faults off, one last full sync of every stream, and the golden layer again.

It prints, per stream and in total, the records lost (in the tool, not live in the hub), duplicated (rows for one
source id beyond the first, or live rows the tool does not hold) and the golden ids changed against the reference.
All three should be zero. A benchmark, not a test: it is never run in CI; `--budget-seconds` bounds phases 2-3.

    .venv/bin/python benchmarks/fault_injection.py [--scale 0.3] [--rounds 3] [--error-rate 0.4] [--seed 7]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from sqlalchemy import func, select

HUB_YAML = Path(__file__).resolve().parents[1] / "hub.yaml"


def _config(quick: bool):
    from customer_hub.config import load_config

    config = load_config(HUB_YAML)
    if not quick:
        return config
    sync = config.sync.model_copy(
        update={"timeout_seconds": 1.0, "max_retries": 10, "backoff_seconds": 0.05, "max_backoff_seconds": 0.5}
    )
    return config.model_copy(update={"sync": sync})


def _sync(url: str, tool: str, obj: str, quick: bool = False) -> None:
    from customer_hub.spokes.registry import build_connector
    from customer_hub.spokes.sync import sync_stream
    from customer_hub.store import engine_for

    engine = engine_for(url)
    config = _config(quick)
    sync_stream(engine, build_connector(tool, config, engine=engine), obj, mode="full")


def _child(argv: list[str]) -> int:
    """One full sync in its own process, so the parent can kill it with SIGKILL mid-read or mid-write."""
    url, tool, obj = argv
    _sync(url, tool, obj)
    return 0


def _golden(url: str) -> dict[str, str]:
    from customer_hub.golden.build import build_golden
    from customer_hub.golden.records import build_customer_records
    from customer_hub.store import engine_for
    from customer_hub.store.schema import customer_xref

    engine, config = engine_for(url), _config(False)
    build_customer_records(engine, config.matching)
    build_golden(engine, config)
    with engine.connect() as conn:
        rows = conn.execute(select(customer_xref.c.record_id, customer_xref.c.golden_customer_id))
        return {row.record_id: row.golden_customer_id for row in rows}


def _audit(url: str, sandbox, streams: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
    """(lost, duplicated) per stream against the sandbox's own records."""
    from customer_hub.store import engine_for
    from customer_hub.store.schema import landed_records as t

    found = {}
    with engine_for(url).connect() as conn:
        for tool, obj in streams:
            truth = {str(source_id) for source_id in sandbox.state.stream(tool, obj).records}
            where = (t.c.tool == tool, t.c.object == obj)
            live = set(conn.scalars(select(t.c.source_id).where(*where, t.c.deleted_at.is_(None))))
            rows = conn.execute(select(func.count(), func.count(t.c.source_id.distinct())).where(*where)).one()
            if tool == "sheets":  # rows are keyed by content, not by the sheet's row number: compare counts
                lost, extra = max(0, len(truth) - len(live)), max(0, len(live) - len(truth))
            else:
                lost, extra = len(truth - live), len(live - truth)
            found[(tool, obj)] = (lost, (rows[0] - rows[1]) + extra)
    return found


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return _child(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.3)
    parser.add_argument("--rounds", type=int, default=3, help="kill rounds over every stream")
    parser.add_argument("--error-rate", type=float, default=0.4, help="share of requests failing in the fault pass")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--budget-seconds", type=float, default=300.0, help="time bound of the kill and fault passes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    from customer_hub.local_env import environment, sandbox_environment
    from customer_hub.sandbox import start_sandbox
    from customer_hub.spokes.http import ToolError
    from customer_hub.spokes.registry import streams as all_streams

    dice = random.Random(args.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder, start_sandbox(seed=42, scale=args.scale) as sandbox:
        url = f"sqlite:///{folder}/hub.db"
        config = _config(False)
        env = sandbox_environment(config, sandbox.url)
        streams = all_streams(config)
        with environment(env):
            for tool, obj in streams:
                _sync(url, tool, obj)
            reference = _golden(url)
        took = time.monotonic() - started
        print(f"reference: {len(streams)} streams, {len(reference)} records resolved ({took:.0f} s)")

        deadline = time.monotonic() + args.budget_seconds
        kills = finished_first = 0
        child_env = {**os.environ, **env}
        for _ in range(args.rounds):
            for tool, obj in streams:
                if time.monotonic() > deadline:
                    break
                child = subprocess.Popen(
                    [sys.executable, __file__, "--child", url, tool, obj], env=child_env, stderr=subprocess.DEVNULL
                )
                time.sleep(dice.uniform(0.5, 4.0))  # start-up takes about a second: some die early, most mid-read
                if child.poll() is None:
                    child.send_signal(signal.SIGKILL)
                    kills += 1
                else:
                    finished_first += 1
                child.wait()
        print(f"kill pass: {kills} syncs killed with SIGKILL mid-run, {finished_first} finished before the kill")

        # a "timeout" answers after the work is done: for QuickBooks' token endpoint that is a rotated token whose
        # reply is lost, recovered within Intuit's grace for the previous token (modelled here as 10 minutes)
        faults = {
            "all": {"error_rate": args.error_rate, "timeout_seconds": 1.5},
            "quickbooks": {"token_grace_seconds": 600},
        }
        switched = requests.post(f"{sandbox.url}/_sandbox/faults", json=faults, timeout=10)
        if switched.status_code != 200:
            raise SystemExit(f"the sandbox refused the faults: {switched.text}")
        failed_attempts = 0
        with environment(env):
            for tool, obj in streams:
                while time.monotonic() < deadline:
                    try:
                        _sync(url, tool, obj, quick=True)
                        break
                    except ToolError:
                        failed_attempts += 1
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=10).raise_for_status()
        print(f"fault pass at {args.error_rate:.0%} failing requests: {failed_attempts} syncs gave up and were re-run")

        with environment(env):
            for tool, obj in streams:
                _sync(url, tool, obj)
            after = _golden(url)
        audit = _audit(url, sandbox, streams)

    changed = sum(1 for record, golden in reference.items() if after.get(record) != golden)
    print(f"\n{'stream':<26}{'lost':>6}{'duplicated':>12}")
    for (tool, obj), (lost, duplicated) in audit.items():
        print(f"{tool + '_' + obj:<26}{lost:>6}{duplicated:>12}")
    lost, duplicated = sum(v[0] for v in audit.values()), sum(v[1] for v in audit.values())
    print(f"{'total':<26}{lost:>6}{duplicated:>12}")
    print(f"golden ids changed: {changed} of {len(reference)} records")
    print(f"elapsed: {time.monotonic() - started:.0f} s")
    return 0 if lost == duplicated == changed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
