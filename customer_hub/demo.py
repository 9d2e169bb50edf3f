"""`customer-hub demo`: the whole pipeline once, against the local sandbox, on the embedded SQLite hub.

It runs the real Dagster definitions on the local instance the UI uses (`var/dagster_home`), so after the demo
`make ui` shows the same runs, materializations, checks and metadata. The steps a person would otherwise do by
hand are: a first (full) run of every asset, 1% of the sandbox's records changed, a second (incremental) run, a
deal closed in HubSpot flowing to Asana and QuickBooks, the alerts delivered to the sandbox's Slack, a schema
change becoming an Asana ticket, and the shadow-IT scan of the QuickBooks spend.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from dagster import AssetKey, DagsterInstance
from sqlalchemy import Engine, func, select

from customer_hub.alerts.delivery import DeliveryReport
from customer_hub.alerts.links import ui_address
from customer_hub.alerts.plain_text import message_text
from customer_hub.config import HubConfig
from customer_hub.dagster_home import prepare_dagster_home
from customer_hub.defs.run_context import QUIET_RUN_CONFIG
from customer_hub.local_env import environment, sandbox_environment
from customer_hub.sandbox.saved import save_state, saved_path
from customer_hub.store import alert_store
from customer_hub.store.db import DATABASE_URL_ENV
from customer_hub.store.schema import customer_xref, golden_customers

log = logging.getLogger("customer_hub.demo")

_WIDTH = 100
_MESSAGES_SHOWN = 8


def _banner(title: str) -> None:
    print(f"\n{'=' * _WIDTH}\n{title}\n{'=' * _WIDTH}", flush=True)


def _fresh_hub(config: HubConfig, keep: bool) -> None:
    """Start from an empty embedded hub so the figures are reproducible; an external database is never touched."""
    if keep or os.environ.get(DATABASE_URL_ENV):
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{config.data_dir / 'hub.db'}{suffix}").unlink(missing_ok=True)
    saved_path(config.data_dir).unlink(missing_ok=True)  # the tools as an earlier demo left them


def _metadata_value(instance: DagsterInstance, key: str, name: str) -> Any:
    event = instance.get_latest_materialization_event(AssetKey(key))
    if event is None or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get(name)
    return getattr(value, "value", value)


def _run_assets(defs: Any, instance: DagsterInstance, keys: list[str], label: str) -> bool:
    """Materialize `keys` (and their checks) as one run, tagged so the health log says what started it."""
    job = defs.resolve_implicit_global_asset_job_def()
    started = time.monotonic()
    result = job.execute_in_process(
        instance=instance,
        asset_selection=[AssetKey(key) for key in keys],
        tags={"customer_hub/trigger": "demo"},
        run_config=QUIET_RUN_CONFIG,
        raise_on_error=False,
    )
    status = "succeeded" if result.success else "FAILED"
    print(f"{label}: run {result.run_id[:8]} {status} in {time.monotonic() - started:.1f} s", flush=True)
    return result.success


def _parity_table(instance: DagsterInstance, streams: list[tuple[str, str]], served: dict[str, dict[str, int]]):
    """Per stream: what the sandbox serves, what the hub holds, what the last run fetched. Returns all-equal."""
    print(f"{'stream':<26}{'sandbox':>9}{'hub':>9}{'fetched':>9}{'mode':>13}  parity")
    exact = True
    for tool, obj in streams:
        key = f"{tool}_{obj}"
        hub_rows = _metadata_value(instance, key, "dagster/row_count")
        fetched = _metadata_value(instance, key, "fetched")
        mode = _metadata_value(instance, key, "mode")
        expected = served[tool][obj]
        same = hub_rows == expected
        exact &= same
        print(f"{key:<26}{expected:>9}{hub_rows!s:>9}{fetched!s:>9}{mode!s:>13}  {'exact' if same else 'MISMATCH'}")
    return exact


def _golden_counts(engine: Engine) -> str:
    """How many source records became how many golden customers and people."""
    with engine.connect() as conn:
        records = conn.execute(select(func.count()).select_from(customer_xref)).scalar_one()
        kinds = dict(
            conn.execute(
                select(golden_customers.c.kind, func.count())
                .where(golden_customers.c.status == "active")
                .group_by(golden_customers.c.kind)
            ).all()
        )
    return (
        f"{records} source records resolved to {kinds.get('customer', 0)} golden customers "
        f"and {kinds.get('person', 0)} golden people"
    )


def _map_files(instance: DagsterInstance) -> str:
    """Where the integration_map asset wrote the map (and why there is no drawing, when Graphviz is missing)."""
    path = _metadata_value(instance, "integration_map", "path")
    drawing = _metadata_value(instance, "integration_map", "drawing")
    return f"integration map: {path}\ndrawing: {drawing}\n(also: customer-hub map --format md|svg|html)"


def _print_delivered(engine: Engine, report: DeliveryReport, config: HubConfig) -> None:
    """What this pass put in Slack, each message as a reader sees it, and where its links lead."""
    address = ui_address(config.alerts)
    print(f"\nSlack: {report.summary()}")
    where = f"Links in the messages open the Dagster UI at {address.url} ({address.source})"
    local = "; a local address works on this machine only: set alerts.public_ui_url or $CUSTOMER_HUB_PUBLIC_UI_URL"
    print(where + (local if address.is_local else ""))
    delivered = alert_store.alerts_by_id(engine, report.delivered_ids)
    for row in delivered[:_MESSAGES_SHOWN]:
        print(f"\n--- {row['kind']} · {row['incident_key'] or ''}\n{message_text(row['message'], '  ')}")
    if len(delivered) > _MESSAGES_SHOWN:
        print(f"\n({len(delivered) - _MESSAGES_SHOWN} more messages in the channel)")


def run_demo(config: HubConfig, keep: bool = False) -> int:
    """Run every step and print the summary; exit code 0 when every run succeeded and parity is exact."""
    from customer_hub.sandbox import start_sandbox

    started = time.monotonic()
    # Dagster's instance storage logs each schema migration step at INFO: ~40 lines that say nothing to a reader
    logging.getLogger("alembic").setLevel(logging.WARNING)
    _fresh_hub(config, keep)
    home = prepare_dagster_home(config)
    with start_sandbox(seed=42) as sandbox, environment(sandbox_environment(config, sandbox.url)):
        from customer_hub.alerts import deliver_pending, slack_target
        from customer_hub.automation.demo import run_onboarding_demo
        from customer_hub.customer_health.summary import health_summary
        from customer_hub.definitions import defs
        from customer_hub.defs.resources import HubResource
        from customer_hub.golden.double_billing import describe_double_billing
        from customer_hub.golden.duplicates import duplicate_records, duplicate_sets
        from customer_hub.golden.reports import double_billing, duplicate_report
        from customer_hub.lookup import format_360, lookup
        from customer_hub.mrr.summary import mrr_summary
        from customer_hub.quality import quality_summary
        from customer_hub.spokes.registry import streams as configured_streams

        instance = DagsterInstance.get()
        hub = HubResource(config_path=str(config.path or ""))
        engine = hub.engine()
        streams = configured_streams(config)
        stream_keys = [f"{tool}_{obj}" for tool, obj in streams]
        pipeline_keys = [*stream_keys, "customer_records", "golden_customers", "customer_xref", "match_candidates"]
        pipeline_keys += ["customer_360", "quality_metrics", "customer_health", "mrr", "integration_map"]
        print(f"sandbox APIs on {sandbox.url}; Dagster instance {home}; hub store {engine.url.render_as_string()}")

        _banner("1. First run: full sync of every stream, golden records, customer 360, quality metrics")
        ok = _run_assets(defs, instance, pipeline_keys, "full run")
        exact = _parity_table(instance, streams, sandbox.state.counts())

        _banner("2. 1% of the sandbox's records change; second run syncs incrementally")
        changed = sandbox.state.mutate(0.01)
        per_tool = (f"{tool} {sum(map(len, objects.values()))}" for tool, objects in changed.items())
        print("records changed in the tools: " + ", ".join(per_tool))
        ok &= _run_assets(defs, instance, pipeline_keys, "incremental run")
        exact &= _parity_table(instance, streams, sandbox.state.counts())

        _banner("3. Golden customers: duplicates within tools and double billing")
        duplicates = duplicate_report(engine)
        billing = double_billing(engine)
        acme = {row["golden_customer_id"] for row in duplicates if "acme" in str(row.get("name")).lower()}
        print(_golden_counts(engine))
        sets = duplicate_sets(duplicates)
        print(f"{duplicate_records(sets)} duplicate records within tools (in {len(duplicates)} customer-tool pairs); "
              f"{len(billing)} customers billed twice")  # fmt: skip
        for row in [row for row in sets if "acme" in str(row).lower() or row["golden_customer_id"] in acme][:3]:
            print(f"  duplicate: {row['tool']} holds one {row['level']} {len(row['records'])} times: "
                  + ", ".join(row["records"]))  # fmt: skip
        for row in [row for row in billing if "acme" in str(row.get("name")).lower()][:3]:
            print(f"  double billing: {row['name']}: {describe_double_billing(row)}")

        _banner("4. Closed-won deal in HubSpot → Asana project from template → QuickBooks draft invoice → MRR")
        onboarding = run_onboarding_demo(config, sandbox.url, hub=hub, instance=instance)
        ok &= onboarding.success
        # the flow's last step rewrote the won customer's 360 row: the MRR snapshot and the health scores follow it
        ok &= _run_assets(defs, instance, ["customer_health", "mrr"], "health and MRR after onboarding")

        _banner("4b. The same by webhook: HubSpot sends a signed event → receiver stores it → sensor → Asana project")
        from customer_hub.webhooks.demo import open_deal, run_webhook_onboarding_demo

        by_webhook = run_webhook_onboarding_demo(
            config, sandbox.url, open_deal(sandbox.state), hub=hub, instance=instance
        )
        ok &= by_webhook.success

        _banner("5. Quality and alerts (delivered to the sandbox's Slack)")
        report = deliver_pending(engine, slack_target(config.alerts))
        print(quality_summary(engine))
        _print_delivered(engine, report, config)

        _banner("6. customer-hub lookup acme")
        views = lookup(engine, "acme", limit=1)
        print(format_360(views[0]) if views else "Acme not found")

        _banner("7. Write-back: golden fields and the payment flow to HubSpot, Stripe and Intercom (plan, then apply)")
        from customer_hub.writeback.demo import run_writeback_demo

        ok &= run_writeback_demo(engine, config)

        _banner("8. Change control: a schema change → Slack alert → one Asana ticket per field → weekly digest")
        from customer_hub.change_control.demo import run_change_control_demo
        from customer_hub.spend.demo import run_shadow_it_demo

        def run(keys: list[str], label: str) -> bool:
            return _run_assets(defs, instance, keys, label)

        ok &= run_change_control_demo(sandbox, engine, config, run)

        _banner("9. Shadow-IT scan: recurring QuickBooks charges against the inventory and a SaaS catalogue")
        ok &= run_shadow_it_demo(engine, config, run)

        _banner("10. Integration map, customer health and MRR")
        ok &= _run_assets(defs, instance, ["integration_map"], "integration map")
        print(_map_files(instance))
        print("\nCustomer health (customer-hub lookup NAME shows a customer's score and reasons):")
        print(health_summary(engine))
        print("\nMRR (history in mrr_history; the asset's metadata plots it in the UI):")
        print(mrr_summary(engine))
        save_state(sandbox.state, saved_path(config.data_dir))  # `make ui` serves the tools as the demo left them

    _banner(
        f"Done in {time.monotonic() - started:.0f} s: {'all runs succeeded' if ok else 'a run FAILED'}, "
        f"row-count parity {'exact for every stream' if exact else 'NOT exact (see above)'}"
    )
    print("Next: `make ui` (Dagster UI on this instance), `.venv/bin/customer-hub lookup <name|email|domain|id>`")
    return 0 if ok and exact else 1
