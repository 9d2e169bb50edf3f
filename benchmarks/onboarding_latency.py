"""Closed-won deal → Asana project → QuickBooks draft invoice: how long the onboarding flow takes, against the sandbox.

Measurements:
- in-process: the sensor is evaluated right after the deal closes and the run executes in this process; this is
  the flow's own latency (HubSpot read, Asana template instantiation, QuickBooks customer and invoice, 360 row);
- --daemon: the real thing. `dagster-daemon` runs the workspace with the project's dagster.yaml in a temporary
  DAGSTER_HOME; the closed-won sensor polls on its default interval, the run queue launches the run in its own
  process. Adds detection wait (up to the sensor interval), queueing and run start-up.

- --webhooks: deal closed → Asana project, by webhook vs by polling, side by side over the same schedule of deal
  closures (>= 10 deals): each sensor is ticked on its hub.yaml interval (webhooks 5 s, closed-won polling 30 s)
  and the onboarding runs it requests execute in this process, as a daemon would launch them;
- --throughput: 1,000 deliveries to the receiver over HTTP, 10% duplicates and 5% bad signatures: every valid
  event stored and processed exactly once, every bad one refused, none lost, and deliveries per second.

    .venv/bin/python benchmarks/onboarding_latency.py --deals 5 [--daemon --daemon-deals 3]
    .venv/bin/python benchmarks/onboarding_latency.py --deals 0 --webhooks --webhook-deals 10 --throughput
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import yaml
from dagster import SensorResult, build_sensor_context
from sqlalchemy import select

from customer_hub.automation.demo import execute_onboarding_run, run_onboarding_demo
from customer_hub.automation.settings import automation_settings
from customer_hub.config import load_config
from customer_hub.defs import automation as automation_defs
from customer_hub.defs import webhooks as webhook_defs
from customer_hub.defs.resources import HubResource
from customer_hub.defs.tool_resources import tool_resource
from customer_hub.local_env import environment, sandbox_environment
from customer_hub.sandbox import SANDBOX_IDS, start_sandbox
from customer_hub.sandbox.webhooks import SANDBOX_WEBHOOK_SECRETS, signed_headers
from customer_hub.spokes.registry import build_connector
from customer_hub.store import engine_for, onboarding_store, webhook_store
from customer_hub.store.schema import onboarding_flows
from customer_hub.webhooks.demo import open_deal
from customer_hub.webhooks.dispatch import dispatch
from customer_hub.webhooks.server import start_receiver
from customer_hub.webhooks.settings import WebhookSettings, webhook_settings

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


def _ticking(sensor, interval: float, resources: dict, stop: threading.Event) -> None:
    """Tick a sensor on its interval and execute the onboarding runs it requests, as the daemon would."""
    cursor = None
    while not stop.is_set():
        result = sensor(build_sensor_context(resources=resources, cursor=cursor))
        if isinstance(result, SensorResult):
            cursor = result.cursor
            for request in result.run_requests or []:
                if request.job_name in (None, "onboarding_job"):
                    execute_onboarding_run(request, resources, None)
        stop.wait(interval)


def _latency_run(mode: str, folder: Path, deals: int, spacing: float, timeout: float) -> list[float]:
    """Close `deals` deals `spacing` seconds apart; seconds from each close to its Asana project."""
    folder.mkdir()
    config = load_config(write_config(folder))
    hub = HubResource(config_path=str(config.path), database_url=f"sqlite:///{folder}/hub.db")
    with start_sandbox(scale=0.2) as sandbox, environment(sandbox_environment(config, sandbox.url)):
        resources = {"hub": hub, **{tool: tool_resource(tool, config) for tool in automation_defs.ONBOARDING_TOOLS}}
        stop = threading.Event()
        receiver = None
        if mode == "webhook":
            receiver = start_receiver(hub.engine(), webhook_settings(config.webhooks), environ=os.environ)
            sandbox.state.webhooks.configure({"url": receiver.url})
            sensor, interval = (
                webhook_defs.webhook_events_sensor,
                webhook_settings(config.webhooks).sensor_interval_seconds,
            )
        else:
            sensor = automation_defs.closed_won_sensor
            interval = automation_settings(config.automation).onboarding.sensor_interval_seconds
        ticker = threading.Thread(target=_ticking, args=(sensor, interval, resources, stop), daemon=True)
        ticker.start()
        closed: dict[str, float] = {}
        try:
            time.sleep(1.0)  # the polling sensor's first tick sets its cursor
            for _ in range(deals):
                deal_id = open_deal(sandbox.state)
                closed[deal_id] = time.time()
                sandbox.state.close_won(deal_id)
                time.sleep(spacing)
            deadline = time.monotonic() + timeout
            flows: dict[str, Any] = {}
            while time.monotonic() < deadline:
                flows = {d: onboarding_store.read_flow(hub.engine(), d) or {} for d in closed}
                if all(flow.get("project_created_at") for flow in flows.values()):
                    break
                time.sleep(0.2)
        finally:
            stop.set()
            ticker.join(timeout=60)
            if receiver:
                sandbox.state.webhooks.configure({"url": None})
                receiver.stop()
    done = [
        flows[d]["project_created_at"].timestamp() - closed[d] for d in closed if flows[d].get("project_created_at")
    ]
    if len(done) < deals:
        print(f"{mode}: {deals - len(done)} of {deals} deals had no Asana project within {timeout:.0f} s")
    return done


def webhook_vs_polling(folder: Path, deals: int, spacing: float, timeout: float) -> None:
    results = {mode: _latency_run(mode, folder / mode, deals, spacing, timeout) for mode in ("webhook", "polling")}
    print(f"deal closed → Asana project, {deals} deals closed {spacing:g} s apart, runs executed in-process:")
    print(f"{'path':<9}{'n':>4}{'p50 s':>9}{'max s':>9}")
    for mode, latencies in results.items():
        if latencies:
            print(f"{mode:<9}{len(latencies):>4}{statistics.median(latencies):>9.2f}{max(latencies):>9.2f}")


def receiver_throughput(folder: Path, database_url: str, deliveries: int, workers: int) -> None:
    """Deliveries over HTTP with duplicates and forged signatures; then one dispatch; then the checks."""
    engine = engine_for(database_url)
    logging.getLogger("customer_hub.webhooks").setLevel(logging.ERROR)  # the forged deliveries' refusals
    secrets = {"HUBSPOT_CLIENT_SECRET": SANDBOX_WEBHOOK_SECRETS["hubspot"],
               "STRIPE_WEBHOOK_SECRET": SANDBOX_WEBHOOK_SECRETS["stripe"]}  # fmt: skip
    rng = random.Random(7)
    bad_count, dup_count = deliveries * 5 // 100, deliveries * 10 // 100
    unique = deliveries - bad_count - dup_count
    valid = [("stripe", {"id": f"evt_{n}", "object": "event", "type": rng.choice(STRIPE_TYPES), "created": 0,
                         "data": {"object": {"id": f"cus_{n}"}}}) if n % 2 else
             ("hubspot", [{"eventId": n, "subscriptionId": 1001, "subscriptionType": "contact.propertyChange",
                           "objectId": n, "propertyName": "phone", "propertyValue": "1", "occurredAt": 0}])
             for n in range(unique)]  # fmt: skip
    forged = [("stripe", {"id": f"evt_forged_{n}", "object": "event", "type": "customer.updated", "created": 0,
                          "data": {"object": {"id": "cus_x"}}}, True) for n in range(bad_count)]  # fmt: skip
    plan = [(tool, body, False) for tool, body in valid]
    plan += [(tool, body, False) for tool, body in rng.sample(valid, dup_count)] + forged
    rng.shuffle(plan)
    with start_receiver(engine, WebhookSettings(), environ=secrets) as receiver:

        def send(item) -> tuple[str, Any, int]:
            tool, payload, forge = item
            url = f"{receiver.url}/webhooks/{tool}"
            body = json.dumps(payload).encode()
            secret = "forged" if forge else SANDBOX_WEBHOOK_SECRETS[tool]
            status = sessions.get().post(url, data=body, headers=signed_headers(tool, secret, url, body, time.time()))
            return tool, payload, status.status_code

        sessions = _SessionPerThread()
        started = time.monotonic()
        with ThreadPoolExecutor(workers) as pool:
            answers = list(pool.map(send, plan))
        seconds = time.monotonic() - started
        acknowledged = {_event_key(tool, payload) for tool, payload, status in answers if status == 200}
    statuses = Counter(status for *_, status in answers)
    streams = {("stripe", "customers"), ("stripe", "subscriptions"), ("stripe", "invoices"), ("hubspot", "contacts")}
    first = dispatch(engine, 0, streams, False, datetime.now(UTC), limit=10 * deliveries)
    dispatch(engine, first.tick, streams, False, datetime.now(UTC))
    stored = webhook_store.events(engine)
    keys = [(e["tool"], e["event_id"]) for e in stored]
    processed = [e for e in stored if e["status"] == "processed" and e["run_key"]]
    forged_stored = [k for k in keys if "forged" in k[1]]
    answered = dict(sorted(statuses.items()))
    stored_keys = set(keys)
    print(f"receiver throughput ({engine.dialect.name}, {workers} concurrent senders): {deliveries} deliveries "
          f"in {seconds:.2f} s = {deliveries / seconds:.0f} deliveries/s; answers {answered}")  # fmt: skip
    print(f"  unique valid events {unique}: stored {len(stored_keys)} (rows {len(keys)}), acknowledged and stored "
          f"{len(acknowledged & stored_keys)}, lost {len(acknowledged - stored_keys)}, forged stored "
          f"{len(forged_stored)}")  # fmt: skip
    print(f"  processed exactly once: {len(processed)} of {len(stored)} events, by {len(first.syncs)} coalesced sync "
          f"runs ({', '.join(f'{s.tool}_{s.obj} ×{s.events}' for s in first.syncs)}); duplicates recorded "
          f"{sum(e['deliveries'] - 1 for e in stored)}")  # fmt: skip


STRIPE_TYPES = ("customer.updated", "customer.subscription.updated", "invoice.paid")


def _event_key(tool: str, payload: Any) -> tuple[str, str]:
    return (
        (tool, f"{payload[0]['subscriptionId']}:{payload[0]['eventId']}")
        if tool == "hubspot"
        else (tool, payload["id"])
    )


class _SessionPerThread(threading.local):
    def get(self) -> requests.Session:
        if not hasattr(self, "session"):
            self.session = requests.Session()
        return self.session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=5, help="deals onboarded in-process")
    parser.add_argument("--daemon", action="store_true", help="also measure with dagster-daemon")
    parser.add_argument("--daemon-deals", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for one daemon flow")
    parser.add_argument("--webhooks", action="store_true", help="deal → Asana project by webhook vs by polling")
    parser.add_argument("--webhook-deals", type=int, default=10)
    parser.add_argument("--spacing", type=float, default=4.0, help="seconds between two deal closures")
    parser.add_argument("--throughput", action="store_true", help="1,000 deliveries to the receiver")
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8, help="concurrent senders in the throughput run")
    parser.add_argument("--database-url", help="hub store of the throughput run (default: SQLite in a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.deals:
            with start_sandbox(scale=0.2) as sandbox:
                in_process(sandbox.url, Path(tmp), args.deals)
        if args.webhooks:
            webhook_vs_polling(Path(tmp), args.webhook_deals, args.spacing, args.timeout)
        if args.throughput:
            url = args.database_url or f"sqlite:///{tmp}/throughput.db"
            receiver_throughput(Path(tmp), url, args.deliveries, args.workers)
        if args.daemon:  # a fresh sandbox: QuickBooks' rotated refresh token lives in the other run's hub store
            with start_sandbox(scale=0.2) as sandbox:
                with_daemon(sandbox.url, Path(tmp), args.daemon_deals, args.timeout)


if __name__ == "__main__":
    main()
