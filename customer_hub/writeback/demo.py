"""The demo's write-back step: every target and flow of hub.yaml switched on against the sandbox, planned, held
back by the guard, approved, applied, and planned again (nothing left to send)."""

from __future__ import annotations

from sqlalchemy import Engine

from customer_hub.config import HubConfig
from customer_hub.spokes.registry import build_connector
from customer_hub.writeback.cli import format_summary
from customer_hub.writeback.run import ApprovalRequired, apply_tool, approve_run, plan_tool, settings_of


def run_writeback_demo(engine: Engine, config: HubConfig) -> bool:
    """Print the plan and apply counts per tool; True when nothing was rejected and a re-plan is empty."""
    settings = settings_of(config).enable_all()
    ok = True
    for tool in settings.tools():
        client = build_connector(tool, config, engine=engine).client
        print(format_summary(plan_tool(engine, config, tool, settings).summary()))
        run_id = f"demo-{tool}"
        try:
            result = apply_tool(engine, config, tool, client, run_id, settings=settings)
        except ApprovalRequired as held:
            print(f"  guard: {held}")
            approve_run(engine, run_id, "demo")
            print(f"  approved run {run_id}; applying")
            result = apply_tool(engine, config, tool, client, run_id, settings=settings)
        counts = ", ".join(f"{name} {value}" for name, value in result.metadata().items())
        again = plan_tool(engine, config, tool, settings)
        print(f"  applied: {counts}; requests {client.stats.requests}; re-plan right after: {len(again.changes)}")
        ok &= not result.rejected and not again.changes
    return ok
