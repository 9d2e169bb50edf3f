"""What the derived layer costs as the hub grows: the whole graph after a full load, after 1% of records changed, after
nothing changed, after 1% changed in fields matching does not read and after new invoices and conversations of
existing customers (1% of the records), at several sandbox scales, on SQLite and PostgreSQL.

Each step (customer_records, golden_customers, customer_360, quality_metrics) runs in a fresh Python process, so its
time and peak memory (the resident high-water mark, imports included) are its own and not those of the steps
before it. The sandbox serves the tools in this process; syncs run here too. Run on a quiet machine; compare ratios
within one run. The report ends with each run's share once golden's matching of every record is taken out (golden
logs how long it took): what the rest of the derived layer costs after the change, which no faster matcher lowers.

    .venv/bin/python benchmarks/pipeline_scale.py [--scales 1 5 20] [--backends sqlite postgresql]

PostgreSQL is used through `--postgres-url` (default postgresql://127.0.0.1/test); each scale gets a fresh schema.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from customer_hub.config import load_config
from customer_hub.local_env import environment, sandbox_environment
from customer_hub.sandbox import start_sandbox
from customer_hub.sandbox.mutation import NO_MATCHING_FIELD
from customer_hub.spokes.registry import build_connectors, streams
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("customer_records", "golden_customers", "customer_360", "quality_metrics")
DERIVED = ("golden_customers", "customer_360", "quality_metrics")
"""The steps whose incremental cost the targets are about."""
OTHER_FIELDS = "1% other"
"""A run after 1% of the records changed in fields matching does not read (deal stages, payments, subscription
quantities, conversation states: most of what an hourly sync brings), so the golden run keeps its matching."""
NEW_ACTIVITY = "1% new"
"""A run after new records joined customers the hub holds (invoices, conversations: 1% of the records), which
every working day brings; the other runs' changes create only new customers and contacts."""
RUNS = ("full", "1% changed", "no change", OTHER_FIELDS, NEW_ACTIVITY)

_STEP = """
import json, logging, sys, time
from datetime import UTC, datetime
from customer_hub.config import load_config
from customer_hub.store import engine_for
from customer_hub.golden.build import build_golden
from customer_hub.golden.records import build_customer_records
from customer_hub.golden.view360 import build_customer_360
from customer_hub.quality.metrics import compute_metrics
from customer_hub.store.quality_store import append_metrics
config = load_config(sys.argv[2])
engine = engine_for(sys.argv[3])
logging.basicConfig(level=logging.WARNING, format="%(message)s")  # to stderr, which run_step reads
logging.getLogger("customer_hub.golden.build").setLevel(logging.INFO)
started = time.perf_counter()  # a Dagster run's process has imported the code location before a step starts
step = sys.argv[1]
if step == "customer_records":
    build_customer_records(engine, config.matching)
elif step == "golden_customers":
    build_golden(engine, config)
elif step == "customer_360":
    build_customer_360(engine)
else:
    now = datetime.now(UTC)
    append_metrics(engine, compute_metrics(engine, config, now), now)
elapsed = time.perf_counter() - started
# VmHWM belongs to this program's memory map, made new by exec: ru_maxrss would carry the parent's peak over
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": elapsed, "peak_mib": peak / 1024}))
"""


SURVIVED = "ids survived from"
"""The golden log line that says how many of the touched ids' records survivorship read."""
MATCHED = re.compile(r"^matched \d+ records in ([0-9.]+) s$")
"""The golden log line that says how long matching every record took (absent when the run kept its matching)."""


def run_step(step: str, url: str) -> dict[str, object]:
    """One step in a fresh interpreter: its own wall time (imports excluded), peak resident memory and, for golden,
    how many records survivorship read (`SURVIVED` lines of its log) and how long matching took (`MATCHED`)."""
    done = subprocess.run(
        [sys.executable, "-c", _STEP, step, str(ROOT / "hub.yaml"), url],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{step} failed:\n{done.stderr[-3000:]}")
    lines = done.stderr.splitlines()
    survived = [line for line in lines if SURVIVED in line]
    matching = sum(float(found[1]) for line in lines if (found := MATCHED.match(line)))
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "survived": survived, "matching": matching}


def sync_all(engine, config, url: str, sandbox_url: str, mode: str) -> float:
    started = time.perf_counter()
    with environment(sandbox_environment(config, sandbox_url)):
        connectors = build_connectors(config, engine=engine)
        for tool, obj in streams(config):
            sync_stream(engine, connectors[tool], obj, mode=mode)
    return time.perf_counter() - started


def fresh_url(backend: str, folder: str, scale: float, postgres_url: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder}/hub-{scale:g}.db"
    schema = f"pipeline_scale_{str(scale).replace('.', '_')}"
    admin = engine_for(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    return f"{postgres_url}?options=-csearch_path%3D{schema}"


def measure(backend: str, scale: float, folder: str, postgres_url: str, seed: int) -> list[dict[str, object]]:
    config = load_config(ROOT / "hub.yaml")
    url = fresh_url(backend, folder, scale, postgres_url)
    engine = engine_for(url)
    rows: list[dict[str, object]] = []
    with start_sandbox(seed=seed, scale=scale) as sandbox:
        landed = sync_all(engine, config, url, sandbox.url, "full")
        records = sum(sandbox.state.counts().get(tool, {}).get(obj, 0) for tool, obj in streams(config))
        print(f"{backend} scale {scale:g}: {records} source records landed in {landed:.1f} s", file=sys.stderr)
        for run in RUNS:
            if run == "1% changed":
                sandbox.state.mutate(0.01, create=max(1, records // 1000), delete=max(1, records // 2000), merge=2)
            elif run == OTHER_FIELDS:
                sandbox.state.mutate(0.01, objects=list(NO_MATCHING_FIELD))
            elif run == NEW_ACTIVITY:
                sandbox.state.mutate(0, activity=max(1, records // 100))
            if run != "full":
                sync_all(engine, config, url, sandbox.url, "auto")
            for step in STEPS:
                figures = run_step(step, url)
                rows.append({"backend": backend, "scale": scale, "records": records, "run": run, "step": step,
                             **figures})  # fmt: skip
                print(f"  {run:<11} {step:<17} {figures['seconds']:8.2f} s {figures['peak_mib']:8.0f} MiB",
                      file=sys.stderr)  # fmt: skip
                if step == "golden_customers" and run in ("1% changed", NEW_ACTIVITY):
                    print(f"  {run:<11} {reach(engine)}", file=sys.stderr)
                    for line in figures["survived"]:
                        print(f"  {run:<11} {line}", file=sys.stderr)
    return rows


def reach(engine) -> str:
    """How far a change reaches once golden has run: the records whose content changed, and the customers the run
    touched with every record they hold (what customer_360 rebuilds, and what survivorship may read)."""
    with engine.connect() as conn:
        changed = conn.execute(
            text("SELECT count(*) FROM customer_records WHERE revision = (SELECT max(revision) FROM customer_records)")
        ).scalar_one()
        customers, held = conn.execute(
            text(
                "SELECT count(DISTINCT golden_customer_id), count(*) FROM customer_xref WHERE golden_customer_id IN "
                "(SELECT golden_customer_id FROM golden_touched)"
            )
        ).one()
        live = conn.execute(text("SELECT count(*) FROM customer_xref")).scalar_one()
    return (
        f"{changed} records changed; golden touched {customers} customers holding {held} records "
        f"({held / max(live, 1):.0%} of {live})"
    )


def report(rows: list[dict[str, object]]) -> None:
    print(f"{'backend':<11}{'scale':>6}{'records':>9} {'run':<11} {'step':<17}{'seconds':>9}{'peak MiB':>10}")
    for row in rows:
        print(f"{row['backend']:<11}{row['scale']:>6g}{row['records']:>9} {row['run']:<11} {row['step']:<17}"
              f"{row['seconds']:>9.2f}{row['peak_mib']:>10.0f}")  # fmt: skip
    print()
    for title, steps in (("golden + 360 + quality", DERIVED), ("every derived step, customer_records included", STEPS)):
        print(f"{title}, as a share of the full run's time:")
        share_of_full(rows, steps)
    print(
        "golden + 360 + quality without the time golden spent matching every record (what a matcher that cost "
        "nothing would leave), as a share of the full run's time:"
    )
    without_matching(rows)


def share_of_full(rows: list[dict[str, object]], steps: tuple[str, ...]) -> None:
    """Per backend and scale, the time of `steps` after a 1% change and after no change, against the full run's."""
    for backend, scale in sorted({(row["backend"], row["scale"]) for row in rows}):
        total = {
            run: sum(
                r["seconds"]
                for r in rows
                if (r["backend"], r["scale"], r["run"]) == (backend, scale, run) and r["step"] in steps
            )  # fmt: skip
            for run in RUNS
        }
        peak = max(r["peak_mib"] for r in rows if (r["backend"], r["scale"]) == (backend, scale) and r["step"] in steps)
        print(f"  {backend:<11} scale {scale:>4g}: full {total['full']:.1f} s, after 1% changed "
              f"{total['1% changed'] / total['full']:.1%}, after no change {total['no change'] / total['full']:.1%}, "
              f"after 1% changed in other fields {total[OTHER_FIELDS] / total['full']:.1%}, "
              f"after 1% new records of existing customers {total[NEW_ACTIVITY] / total['full']:.1%}; "
              f"peak {peak:.0f} MiB")  # fmt: skip


def without_matching(rows: list[dict[str, object]]) -> None:
    """Per backend, scale and run after a change: matching's seconds, and the derived steps' share of the full run
    with them taken out. Everything left is work on what the change touched or over the whole store besides
    matching: the floor an incremental matcher alone cannot go under."""
    for backend, scale in sorted({(row["backend"], row["scale"]) for row in rows}):
        ours = [r for r in rows if (r["backend"], r["scale"]) == (backend, scale) and r["step"] in DERIVED]
        full = sum(r["seconds"] for r in ours if r["run"] == "full")
        parts = []
        for run in RUNS[1:]:
            seconds = sum(r["seconds"] for r in ours if r["run"] == run)
            matching = sum(r["matching"] for r in ours if r["run"] == run)
            parts.append(f"{run}: matching {matching:.2f} s, without it {(seconds - matching) / full:.1%}")
        print(f"  {backend:<11} scale {scale:>4g}: " + "; ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 5, 20])
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--postgres-url", default="postgresql://127.0.0.1/test")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.backends:
            for scale in args.scales:
                rows += measure(backend, scale, folder, args.postgres_url, args.seed)
    report(rows)


if __name__ == "__main__":
    main()
