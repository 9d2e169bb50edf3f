"""Dagster wiring of the golden-record layer: customer_records → golden_customers (+ customer_xref,
match_candidates) → customer_360.

Every asset refreshes eagerly when its inputs change, so a sync that lands new records flows through to the 360
view without a schedule of its own. The work is done in `customer_hub.golden`; this module only connects it.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AutomationCondition,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)
from pydantic import Field

from customer_hub.config import SPEND_STREAMS, cached_config
from customer_hub.defs.columns import COLUMN_SCHEMA, table_schema
from customer_hub.defs.resources import HubResource
from customer_hub.defs.run_context import trigger_of
from customer_hub.store import golden_store, schema
from customer_hub.store.health import health_logged

GROUP = "golden"
KINDS = {"pandas", "sqlalchemy"}  # the hub store is SQLite by default, PostgreSQL in production
OWNERS = [cached_config().hub.owner]
"""hub.yaml's `hub.owner`: golden records are derived from every tool, so no one tool's owner owns them."""
STREAM_KEYS = [
    f"{tool}_{obj}"
    for tool, system in cached_config().enabled_systems().items()
    for obj in system.objects
    if (tool, obj) not in SPEND_STREAMS
]
"""The ingestion assets (one per tool and object) that customer_records reads: every one but the spend streams."""
REFRESH_ON_ANY_SYNC = (
    AutomationCondition.eager().without(~AutomationCondition.any_deps_missing())
    & AutomationCondition.all_deps_blocking_checks_passed()
)
"""Eager, except that a stream never synced yet (a tool just added, or failing since day one) does not hold back
the golden records of every other tool; and never while a stream's blocking check fails (a quarantined field)."""
REFRESH_UNLESS_BLOCKED = AutomationCondition.eager() & AutomationCondition.all_deps_blocking_checks_passed()
"""Eager, but not while a blocking check of an input failed at ERROR: a later tick must not do what the failed
check stopped in its run (the checks run with their assets, as their own automation condition is eager too)."""


def table_metadata(rows: list[dict], columns: list[str], limit: int = 20) -> MetadataValue:
    """Rows as a Markdown table for an asset's metadata (the first `limit`, and how many more)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]

    def cell(value: object) -> str:
        text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else "" if value is None else str(value)
        return text.replace("|", "/")

    for row in rows[:limit]:
        lines.append("| " + " | ".join(cell(row.get(column)) for column in columns) + " |")
    if len(rows) > limit:
        lines.append(f"\n{len(rows) - limit} more not shown.")
    return MetadataValue.md("\n".join(lines) if rows else "None.")


@asset(
    deps=[AssetKey(key) for key in STREAM_KEYS],
    group_name=GROUP,
    owners=OWNERS,
    kinds=KINDS,
    metadata={COLUMN_SCHEMA: table_schema(schema.customer_records)},
    automation_condition=REFRESH_ON_ANY_SYNC,
    description="Every landed record as one canonical row (tool:object:id); deleted ones kept with deleted_at.",
)
def customer_records(context: AssetExecutionContext, hub: HubResource) -> MaterializeResult:
    from customer_hub.golden.records import build_customer_records
    from customer_hub.writeback.echoes import recognise_own_writes

    engine = hub.engine()
    with health_logged(
        engine, what="customer_records", trigger=trigger_of(context), run_id=context.run.run_id
    ) as entry:
        recognise_own_writes(engine)  # the hub's own write-backs, read back by a sync, are not new changes
        summary = build_customer_records(engine, hub.config().matching)
        entry.records_in, entry.records_out = summary["records"], summary["live"]
    return MaterializeResult(
        metadata={
            "dagster/row_count": summary["records"],
            "live_records": summary["live"],
            "deleted_records": summary["deleted"],
            "changed_records": summary["changed"],
            "landed_records_read": summary["read"],
            "normalized_records": summary["normalized"],
            **{f"records_{tool}": count for tool, count in summary["live_per_tool"].items()},
        }
    )


class RebuildConfig(Config):
    """Run config of the derived steps that work incrementally."""

    full: bool = Field(
        default=False,
        description="Redo every customer, not only what changed since the last run (same result, more work).",
    )
    retrain_model: bool = Field(
        default=False,
        description="golden_customers: train the match model again now rather than when the records drift.",
    )


def _golden_spec(key: str, description: str) -> AssetSpec:
    return AssetSpec(
        key,
        deps=[customer_records],
        group_name=GROUP,
        owners=OWNERS,
        kinds=KINDS,
        metadata={COLUMN_SCHEMA: table_schema(getattr(schema, key))},
        automation_condition=AutomationCondition.eager(),
        description=description,
    )


def _model_metadata(summary) -> dict[str, object]:
    """What the match model learnt this run (m, u and weight per comparison level) and the blocks over their cap."""
    if summary.model is None:
        return {}
    blocking = summary.blocking or {}
    return {
        "prior_match_probability": float(summary.model["prior"]),
        "match_model": table_metadata(
            summary.model_rows(), ["comparison", "level", "m", "u", "weight"], limit=len(summary.model_rows())
        ),
        "blocks_over_cap": sum(rule["oversized_blocks"] for rule in blocking.values()),
        "blocking": table_metadata(
            [{"rule": name, **figures} for name, figures in blocking.items()],
            ["rule", "pairs", "oversized_blocks", "oversized_records"],
            limit=len(blocking),
        ),
    }


@multi_asset(
    name="golden_customers",
    pool="golden",  # one golden run at a time; the store's compare-and-set covers runs Dagster does not queue
    specs=[
        _golden_spec("golden_customers", "One row per golden customer and person: surviving fields and their source."),
        _golden_spec("customer_xref", "Every live source record → its golden customer and person, rule and scores."),
        _golden_spec("match_candidates", "The steward's review queue: pairs scored between review and auto-merge."),
    ],
)
def golden_customers(context: AssetExecutionContext, hub: HubResource, config: RebuildConfig):
    """Resolve, keep ids stable, survive fields and persist: one run produces all three tables together."""
    from customer_hub.golden.build import build_golden
    from customer_hub.golden.review import auto_merge_threshold, markdown_table, open_pairs

    engine = hub.engine()
    with health_logged(
        engine, what="golden_customers", trigger=trigger_of(context), run_id=context.run.run_id
    ) as entry:
        summary = build_golden(engine, hub.config(), full=config.full, retrain=config.retrain_model)
        entry.records_in, entry.records_out = summary.records, summary.customers
    auto_merge = auto_merge_threshold(hub.config())
    yield MaterializeResult(
        asset_key="golden_customers",
        metadata={
            "dagster/row_count": summary.customers,  # customers; people are counted apart in golden_persons
            "golden_customers": summary.customers,
            "golden_persons": summary.persons,
            "created_this_run": summary.created,
            "merges_this_run": summary.merges,
            "splits_this_run": summary.splits,
            "updated_this_run": summary.updated,
            "candidates_open": summary.candidates_open,
            "auto_merge_rate": summary.auto_merge_rate,
            "xref_rows_rewritten": summary.rewritten,
            "nothing_changed": summary.unchanged,
            "matching_kept": summary.matching_kept,
            **_model_metadata(summary),
        },
    )
    yield MaterializeResult(
        asset_key="customer_xref",
        metadata={
            "dagster/row_count": summary.records,
            "records_linked": summary.linked,
            "auto_merge_rate": summary.auto_merge_rate,
        },
    )
    yield MaterializeResult(
        asset_key="match_candidates",
        metadata={
            "dagster/row_count": summary.candidates_open + summary.candidates_decided,
            "candidates_open": summary.candidates_open,
            "candidates_decided": summary.candidates_decided,
            "open_pairs": MetadataValue.md(markdown_table(open_pairs(engine, auto_merge))),
        },
    )


@asset(
    deps=["golden_customers", "customer_xref"],
    group_name=GROUP,
    owners=OWNERS,
    kinds=KINDS,
    metadata={COLUMN_SCHEMA: table_schema(schema.customer_360)},
    automation_condition=REFRESH_UNLESS_BLOCKED,
    description="Per golden customer: surviving fields with their tool, MRR, subscriptions, balances, support, deals.",
)
def customer_360(context: AssetExecutionContext, hub: HubResource, config: RebuildConfig) -> MaterializeResult:
    from customer_hub.golden.reports import double_billing_in
    from customer_hub.golden.view360 import build_customer_360

    engine = hub.engine()
    with health_logged(engine, what="customer_360", trigger=trigger_of(context), run_id=context.run.run_id) as entry:
        rebuilt = build_customer_360(engine, full=config.full)
        figures = golden_store.figures_360(engine)
        entry.records_in = entry.records_out = rebuilt
    billed_twice = double_billing_in(golden_store.double_billing_views(engine))
    duplicates = golden_store.duplicate_views(engine, limit=20)
    return MaterializeResult(
        metadata={
            "dagster/row_count": figures["customers"],
            "rebuilt_this_run": rebuilt,
            "total_mrr": figures["total_mrr"],
            "paying_customers": figures["paying_customers"],
            "double_billed_customers": len(billed_twice),
            "duplicate_records": figures["duplicate_records"],
            "open_conversations": figures["open_conversations"],
            "unpaid_invoices": figures["unpaid_invoices"],
            "double_billing": table_metadata(
                billed_twice, ["golden_customer_id", "name", "product_name", "subscriptions", "mrr", "since"]
            ),
            "within_tool_duplicates": table_metadata(
                duplicates, ["golden_customer_id", "name", "tool", "object", "count", "records"]
            ),
        }
    )


assets = [customer_records, golden_customers, customer_360]
asset_checks: list = []
