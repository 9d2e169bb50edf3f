"""Dagster wiring of the client-success loop: `customer_health` and `mrr`, both downstream of customer_360.

- `customer_health`: every golden customer's score with its signals, the day kept in the history; its check
  `customers_at_risk` raises the at-risk alert through the alert outbox;
- `mrr`: MRR per currency with new / expansion / contraction / churned since the previous snapshot, each snapshot
  kept in the history (movements add up over a day however often it runs).
Both refresh eagerly when customer_360 or the onboarding flows change (an onboarding run refreshes the won
customer's 360 row) and run daily on their hub.yaml cron, so ageing signals and flat days are recorded too.
The logic is in `customer_hub.customer_health` and `customer_hub.mrr`; this module only wires it.
"""

from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSelection,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from customer_hub.alerts import observe
from customer_hub.alerts.links import links_for
from customer_hub.automation.settings import automation_settings
from customer_hub.config import cached_config
from customer_hub.customer_health.alert import ASSET as HEALTH_ASSET
from customer_hub.customer_health.alert import CHECK as AT_RISK_CHECK
from customer_hub.customer_health.settings import health_settings
from customer_hub.defs import automation
from customer_hub.defs.golden import REFRESH_ON_ANY_SYNC, table_metadata
from customer_hub.defs.quality import check_result
from customer_hub.defs.resources import HubResource
from customer_hub.defs.run_context import trigger_of
from customer_hub.mrr.settings import mrr_settings
from customer_hub.store.health import health_logged

_config = cached_config()
GROUP = "customer_success"
KINDS = {"python", "sqlalchemy"}
OWNERS = [_config.hub.owner]
DEPS = ["customer_360", *(flow.key for flow in automation.assets)]
"""customer_360, and the onboarding flows when the flow is wired: its last step rewrites the won customer's row.
Refreshed as the golden records are (REFRESH_ON_ANY_SYNC): onboarding_flows stays unmaterialized until a deal
closes, and that must not hold back the daily figures."""

_health = health_settings(_config.customer_health)
_mrr = mrr_settings(_config.mrr)
_timezone = automation_settings(_config.automation).schedules.timezone


@asset(
    name=HEALTH_ASSET,
    deps=DEPS,
    group_name=GROUP,
    owners=OWNERS,
    kinds=KINDS,
    automation_condition=REFRESH_ON_ANY_SYNC,
    check_specs=[
        AssetCheckSpec(
            AT_RISK_CHECK,
            asset=HEALTH_ASSET,
            description=f"Customers at risk of churning? Goal: none below {_health.bands.watch} "
            "(customer_health.bands.watch); alerts when a customer drops into the band.",
        )
    ],
    description="Per golden customer: a score of 100 minus the points of each churn signal present (failed or "
    "past-due payments, overdue QuickBooks balance, open and ageing support conversations, implementation overdue "
    "or stalled, slow onboarding, double billing), each with its reason; weights and bands in hub.yaml "
    "(customer_health). One row per customer per day in customer_health_history.",
)
def customer_health(context: AssetExecutionContext, hub: HubResource) -> MaterializeResult:
    from customer_hub.customer_health.alert import at_risk_result
    from customer_hub.customer_health.build import score_customers
    from customer_hub.store import customer_health_store

    config, engine = hub.config(), hub.engine()
    now = datetime.now(UTC)
    with health_logged(engine, HEALTH_ASSET, trigger_of(context), run_id=context.run.run_id) as entry:
        run = score_customers(engine, config, now)
        entry.records_in = entry.records_out = len(run.scores)
        at_risk = customer_health_store.latest_scores(engine, band="at_risk")
        result = at_risk_result(at_risk, health_settings(config.customer_health).bands.watch)
        kind = observe(engine, result, links_for(config), config.alerts.slack_channel, now)
    if kind:
        context.log.info(f"at-risk alert queued: {kind}")
    counts = run.band_counts()
    scores = [health.score for health in run.scores]
    newly = run.newly_at_risk()
    metadata: dict[str, Any] = {
        "dagster/row_count": MetadataValue.int(len(run.scores)),
        **{f"{band}_customers": MetadataValue.int(count) for band, count in counts.items()},
        "newly_at_risk": MetadataValue.int(len(newly)),
        "mean_score": MetadataValue.float(round(sum(scores) / len(scores), 1) if scores else 100.0),
        "day": MetadataValue.text(run.day),
        "at_risk": table_metadata(
            [
                {
                    "customer": row["name"] or row["golden_customer_id"],
                    "golden_customer_id": row["golden_customer_id"],
                    "score": row["score"],
                    "new": "yes" if row["previous_band"] != "at_risk" else "",
                    "reasons": "; ".join(f"{s['reason']} (-{s['points']})" for s in row["signals"]),
                }
                for row in at_risk
            ],
            ["customer", "golden_customer_id", "score", "new", "reasons"],
        ),
        "signals": table_metadata(
            [{"signal": name, "customers": count} for name, count in run.signal_counts().items()],
            ["signal", "customers"],
        ),
    }
    return MaterializeResult(metadata=metadata, check_results=[check_result(result)])


@asset(
    name="mrr",
    deps=DEPS,
    pool="mrr",  # one snapshot at a time; the store's compare-and-set covers runs Dagster does not queue
    group_name=GROUP,
    owners=OWNERS,
    kinds=KINDS,
    automation_condition=REFRESH_ON_ANY_SYNC,
    description="MRR from customer_360 (billing Stripe subscriptions), at least daily and after every change: total "
    "in mrr.currency and per currency, with new / expansion / contraction / churned since the previous snapshot (a "
    "merged customer is carried over, not churned). History in mrr_history; the onboarding flow's customer_360 "
    "refresh feeds it.",
)
def mrr(context: AssetExecutionContext, hub: HubResource) -> MaterializeResult:
    from customer_hub.mrr.build import snapshot_mrr

    config, engine = hub.config(), hub.engine()
    with health_logged(engine, "mrr", trigger_of(context), run_id=context.run.run_id) as entry:
        snapshot = snapshot_mrr(engine, config)
        entry.records_out = snapshot.paying_customers
    totals = snapshot.totals
    metadata: dict[str, Any] = {
        "dagster/row_count": MetadataValue.int(snapshot.paying_customers),
        "total_mrr": MetadataValue.float(totals["mrr"]),
        "new_mrr": MetadataValue.float(totals["new"]),
        "expansion_mrr": MetadataValue.float(totals["expansion"]),
        "contraction_mrr": MetadataValue.float(totals["contraction"]),
        "churned_mrr": MetadataValue.float(totals["churned"]),
        "net_new_mrr": MetadataValue.float(round(sum(totals[kind] for kind in totals if kind != "mrr"), 2)),
        "currency": MetadataValue.text(snapshot.total_currency),
        "compared_with": MetadataValue.text(
            f"the snapshot of {snapshot.previous_at:%Y-%m-%d %H:%M} UTC"
            if snapshot.previous_at
            else "nothing: the first snapshot is the baseline"
        ),
        **{f"mrr_{movement.currency or 'none'}": MetadataValue.float(movement.mrr) for movement in snapshot.currencies},
        "by_currency": table_metadata(
            [movement.as_row() for movement in snapshot.currencies],
            ["currency", "mrr", "customers", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr"],
        ),
        "movements": table_metadata(
            [
                {
                    "customer": snapshot.names.get(change.golden_customer_id, change.golden_customer_id),
                    "golden_customer_id": change.golden_customer_id,
                    "kind": change.kind,
                    "currency": change.currency,
                    "from": change.previous,
                    "to": change.current,
                }
                for change in snapshot.changes
            ],
            ["customer", "golden_customer_id", "kind", "currency", "from", "to"],
        ),
    }
    if snapshot.left_out:
        metadata["left_out_of_total"] = MetadataValue.text(
            f"{', '.join(snapshot.left_out)}: no rate in mrr.exchange_rates"
        )
    return MaterializeResult(metadata=metadata)


customer_health_job = define_asset_job(
    "customer_health_job",
    selection=AssetSelection.assets(customer_health),
    description="Daily: score every customer (ageing signals move with the calendar) and check who is at risk.",
)
mrr_job = define_asset_job(
    "mrr_job", selection=AssetSelection.assets(mrr), description="Daily: the MRR snapshot and its movements."
)

assets = [customer_health, mrr]
jobs = [customer_health_job, mrr_job]
schedules = [
    ScheduleDefinition(
        name=f"{job.name.removesuffix('_job')}_schedule",
        job=job,
        cron_schedule=cron,
        execution_timezone=_timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"{key} from hub.yaml: {cron}",
    )
    for job, cron, key in (
        (customer_health_job, _health.cron, "customer_health.cron"),
        (mrr_job, _mrr.cron, "mrr.cron"),
    )
]
