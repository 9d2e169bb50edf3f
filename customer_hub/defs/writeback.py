"""Write-back wiring: per tool with an enabled target or flow, a plan asset, a blocking guard check and the
`<tool>_writeback` asset that applies the plan.

The plan is its own asset because a blocking check stops what is *downstream* of the asset it checks: the guard
must sit between planning and sending. Both assets run in the tool's pool, so a write-back never competes with
the tool's syncs for its rate limit. The logic lives in `customer_hub.writeback`.
"""

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from pydantic import Field

from customer_hub.config import HubConfig, cached_config
from customer_hub.defs.run_context import trigger_of
from customer_hub.store.health import health_logged

GROUP = "writeback"


class PlanRunConfig(Config):
    approve: bool = Field(default=False, description="approve this run's plan even if the guard would hold it back")
    approved_by: str = Field(default="dagster run config", description="who approved, kept with the approval")


def build_writeback(tool: str, config: HubConfig) -> tuple[list[AssetsDefinition], list[AssetChecksDefinition]]:
    """The plan asset, its guard check and the apply asset of one tool."""
    owner = config.systems[tool].owner
    plan_key = f"{tool}_writeback_plan"

    @asset(
        name=plan_key,
        deps=[AssetKey("golden_customers")],
        group_name=GROUP,
        kinds={tool},
        owners=[owner],
        pool=tool,
        required_resource_keys={"hub"},
        description=f"What the hub would write to {tool}: golden value vs last landed vs last written; sends nothing.",
    )
    def _plan(context: AssetExecutionContext, config: PlanRunConfig) -> MaterializeResult:
        from customer_hub.writeback.run import approve_run, plan_tool, save_plan

        hub = context.resources.hub
        engine = hub.engine()
        plan = plan_tool(engine, hub.config(), tool)
        save_plan(engine, plan, context.run.run_id)
        if config.approve:
            approve_run(engine, context.run.run_id, config.approved_by)
        summary = plan.summary()
        return MaterializeResult(
            metadata={
                "planned": summary["planned"],
                "creates": summary["creates"],
                "records_changed": summary["records_changed"],
                "records_linked": summary["records_linked"],
                "unchanged": summary["unchanged"],
                "skipped": sum(summary["skipped"].values()),
                "fingerprint": MetadataValue.text(plan.fingerprint()),
            }
        )

    @asset_check(
        asset=plan_key,
        name=f"{tool}_writeback_guard",
        blocking=True,
        required_resource_keys={"hub"},
        description="Holds back a plan changing more records than writeback.approval allows until it is approved.",
    )
    def _guard(context) -> AssetCheckResult:
        from customer_hub.store import writeback_store
        from customer_hub.writeback.planner import guard_counts
        from customer_hub.writeback.run import settings_of

        hub = context.resources.hub
        engine = hub.engine()
        stored = [row for row in writeback_store.plans_of_run(engine, context.run.run_id) if row["tool"] == tool]
        if not stored:
            return AssetCheckResult(passed=True, metadata={"reason": "no plan in this run"})
        row, approval = stored[0], settings_of(hub.config()).approval
        decision = guard_counts(row["records_changed"], row["records_linked"], approval.max_share, approval.max_records)
        approved = writeback_store.is_approved(engine, row["fingerprint"])
        reason = decision.reason
        if decision.needs_approval and not approved:
            reason += f"; approve with `customer-hub writeback approve {context.run.run_id}` and re-run"
        return AssetCheckResult(
            passed=not decision.needs_approval or approved,
            severity=AssetCheckSeverity.ERROR,
            metadata={"records_changed": row["records_changed"], "approved": approved, "reason": reason},
        )

    @asset(
        name=f"{tool}_writeback",
        deps=[AssetKey(plan_key)],
        group_name=GROUP,
        kinds={tool},
        owners=[owner],
        pool=tool,
        required_resource_keys={"hub", tool},
        description=f"Golden fields and flow values written to {tool}, exactly once per change (write ledger).",
    )
    def _apply(context: AssetExecutionContext) -> MaterializeResult:
        from customer_hub.writeback.run import apply_tool

        hub = context.resources.hub
        engine = hub.engine()
        with health_logged(
            engine, what=f"{tool}_writeback", trigger=trigger_of(context), tool=tool, run_id=context.run.run_id
        ) as entry:
            client = getattr(context.resources, tool).connector(hub.config(), engine).client
            result = apply_tool(engine, hub.config(), tool, client, context.run.run_id)
            entry.records_in, entry.records_out = result.planned, result.applied
        return MaterializeResult(metadata=result.metadata())

    return [_plan, _apply], [_guard]


def build_writeback_defs(config: HubConfig) -> tuple[list[AssetsDefinition], list[AssetChecksDefinition]]:
    from customer_hub.writeback.settings import writeback_settings

    built_assets, built_checks = [], []
    for tool in writeback_settings(config.writeback).tools():
        tool_assets, tool_checks = build_writeback(tool, config)
        built_assets += tool_assets
        built_checks += tool_checks
    return built_assets, built_checks


assets, asset_checks = build_writeback_defs(cached_config())
