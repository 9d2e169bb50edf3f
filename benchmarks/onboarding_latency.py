"""Closed-won deal → Asana project → QuickBooks draft invoice: how long the onboarding flow takes, against the sandbox.

Two measurements:
- in-process: the sensor is evaluated right after the deal closes and the run executes in this process; this is
  the flow's own latency (HubSpot read, Asana template instantiation, QuickBooks customer and invoice, 360 row);
- --daemon: the real thing. `dagster-daemon` runs the workspace with the project's dagster.yaml in a temporary
  DAGSTER_HOME; the closed-won sensor polls on its default interval, the run queue launches the run in its own
  process. Adds detection wait (up to the sensor interval), queueing and run start-up.

    .venv/bin/python benchmarks/onboarding_latency.py --deals 5 [--daemon --daemon-deals 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml
from sqlalchemy import select

from customer_hub.automation.demo import run_onboarding_demo
from customer_hub.config import load_config
from customer_hub.defs.resources import HubResource
from customer_hub.local_env import sandbox_environment
from customer_hub.sandbox import SANDBOX_IDS, start_sandbox
from customer_hub.spokes.registry import build_connector
from customer_hub.store import engine_for
from customer_hub.store.schema import onboarding_flows

REPO = Path(__file__).resolve().parents[1]


def write_config(folder: Path) -> Path:
    data = yaml.safe_load((REPO / "hub.yaml").read_text())
    data["automation"] = {
        "onboarding": {
            "asana_template_gid": SANDBOX_IDS["asana_onboarding_template_gid"],
            "asana_team_gid": SANDBOX_IDS["asana_team_gid"],
        }
    }
    path = folder / "hub.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def summarise(label: str, latencies: list[float]) -> None:
    if not latencies:
        print(f"{label}: no completed flows")
        return
    print(
        f"{label}: n={len(latencies)} median={statistics.median(latencies):.2f} s "
        f"min={min(latencies):.2f} s max={max(latencies):.2f} s"
    )


def in_process(sandbox_url: str, folder: Path, deals: int) -> None:
    config = load_config(write_config(folder))
    hub = HubResource(config_path=str(config.path), database_url=f"sqlite:///{folder}/hub.db")
    latencies, steps = [], []
    for _ in range(deals):
        result = run_onboarding_demo(config, sandbox_url, hub=hub, echo=lambda _: None)
        if result.success:
            latencies.append(result.flow["latency_seconds"])
            steps.append(
                (
                    result.seconds("deal_closed_at", "detected_at"),
                    result.seconds("detected_at", "project_created_at"),
                    result.seconds("project_created_at", "invoice_drafted_at"),
                )
            )
    summarise("in-process (sensor tick + run, no polling wait)", latencies)
    if steps:
        detect, project, invoice = (statistics.median(values) for values in zip(*steps, strict=True))
        print(f"  median steps: closed→detected {detect:.3f} s, →project {project:.3f} s, →invoice {invoice:.3f} s")


def open_deals(config, count: int) -> list[str]:
    page = next(iter(build_connector("hubspot", config).read_full("deals").pages))
    ids = [str(d["id"]) for d in page.records if d["properties"].get("dealstage") not in ("closedwon", "closedlost")]
    return ids[-count:]


def with_daemon(sandbox_url: str, folder: Path, deals: int, timeout: float) -> None:
    config_path = write_config(folder)
    config = load_config(config_path)
    home = folder / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    database_url = f"sqlite:///{folder}/daemon_hub.db"
    env = {
        **os.environ,
        **sandbox_environment(config, sandbox_url),
        "DAGSTER_HOME": str(home),
        "CUSTOMER_HUB_CONFIG": str(config_path),
        "CUSTOMER_HUB_DATABASE_URL": database_url,
    }
    os.environ.update(sandbox_environment(config, sandbox_url))
    log_path = folder / "daemon.log"
    with log_path.open("w") as log:
        daemon = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", str(REPO / "workspace.yaml")],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
    engine = engine_for(database_url)
    latencies = []
    try:
        time.sleep(10)  # let the daemon load the code location and take the sensor's first tick
        for deal_id in open_deals(config, deals):
            requests.post(f"{sandbox_url}/_sandbox/deals/{deal_id}/close_won", timeout=10).raise_for_status()
            started = time.monotonic()
            row = None
            while time.monotonic() - started < timeout:
                with engine.connect() as conn:
                    row = conn.execute(select(onboarding_flows).where(onboarding_flows.c.deal_id == deal_id)).first()
                if row is not None and row.status in ("done", "failed"):
                    break
                time.sleep(0.5)
            if row is None or row.status != "done":
                tail = "\n".join(log_path.read_text().splitlines()[-15:])
                print(f"deal {deal_id}: not onboarded within {timeout:.0f} s; daemon log ends:\n{tail}")
                continue
            detected = (row.detected_at - row.deal_closed_at).total_seconds()
            print(
                f"deal {deal_id}: closed→detected {detected:.1f} s, →invoice drafted {row.latency_seconds:.1f} s "
                f"(run overhead {row.latency_seconds - detected:.1f} s)"
            )
            latencies.append(row.latency_seconds)
        time.sleep(5)  # let the last run finish its latency check before the daemon stops
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
    summarise("daemon (default 30 s sensor interval, queued run in its own process)", latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=5, help="deals onboarded in-process")
    parser.add_argument("--daemon", action="store_true", help="also measure with dagster-daemon")
    parser.add_argument("--daemon-deals", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for one daemon flow")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with start_sandbox(scale=0.2) as sandbox:
            in_process(sandbox.url, Path(tmp), args.deals)
        if args.daemon:  # a fresh sandbox: QuickBooks' rotated refresh token lives in the other run's hub store
            with start_sandbox(scale=0.2) as sandbox:
                with_daemon(sandbox.url, Path(tmp), args.daemon_deals, args.timeout)


if __name__ == "__main__":
    main()
