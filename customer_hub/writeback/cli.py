"""`customer-hub writeback plan|apply|approve`: what the write-back would send, sending it, approving a big plan."""

from __future__ import annotations

import argparse
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from customer_hub.config import load_config


def add_commands(commands: Any) -> None:
    """Register the `writeback` command and its subcommands on the main parser."""
    writeback = commands.add_parser("writeback", help="write golden fields back to the tools: plan, apply, approve")
    actions = writeback.add_subparsers(dest="action", required=True)
    plan = actions.add_parser("plan", help="counts per tool, field and operation, and sample rows; sends nothing")
    plan.add_argument("--tool", help="one tool (default: every tool with an enabled target or flow)")
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    apply = actions.add_parser("apply", help="send the planned changes (credentials from the environment)")
    apply.add_argument("--tool")
    apply.add_argument("--approve", action="store_true", help="approve a plan the guard would hold back")
    approve = actions.add_parser("approve", help="approve the plans of a run the guard held back")
    approve.add_argument("run", help="the run id printed by `plan` or a blocked `apply` / Dagster run")
    approve.add_argument("--by", default="cli", help="who approved (kept with the approval)")
    writeback.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    from customer_hub.store import database_url, engine_for

    config = load_config(args.config)
    engine = engine_for(database_url(config.data_dir))
    if args.action == "approve":
        from customer_hub.writeback.run import approve_run

        tools = approve_run(engine, args.run, args.by)
        if not tools:
            print(f"no write-back plan stored under run {args.run!r}; run `customer-hub writeback plan` for its id")
            return 1
        print(f"approved the {', '.join(tools)} write-back plan(s) of run {args.run} (by {args.by})")
        return 0
    from customer_hub.writeback.run import settings_of

    settings = settings_of(config)
    tools = [args.tool] if args.tool else settings.tools()
    if args.tool and args.tool not in settings.tools():
        raise ValueError(
            f"no enabled write-back target or flow for {args.tool}; enable one under writeback in hub.yaml"
        )
    if not tools:
        print("nothing to write back: every writeback target and flow in hub.yaml is disabled (enabled: false)")
        return 0
    run_id = f"{args.action}-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
    if args.action == "plan":
        return _plan(engine, config, tools, run_id, as_json=args.json)
    return _apply(engine, config, tools, run_id, approved=args.approve)


def _plan(engine: Any, config: Any, tools: list[str], run_id: str, *, as_json: bool) -> int:
    from customer_hub.writeback.run import check_guard, plan_tool, save_plan, settings_of

    settings = settings_of(config)
    report = []
    for tool in tools:
        plan = plan_tool(engine, config, tool, settings)
        save_plan(engine, plan, run_id)
        decision = check_guard(engine, plan, settings)
        report.append(plan.summary() | {"needs_approval": decision.needs_approval, "guard": decision.reason})
    if as_json:
        print(json.dumps({"run_id": run_id, "tools": report}, indent=2, default=str))
        return 0
    print(f"write-back plan {run_id}")
    for summary in report:
        print(format_summary(summary))
        if summary["needs_approval"]:
            print(f"  held back: {summary['guard']}. Approve with `customer-hub writeback approve {run_id}`")
    return 0


def format_summary(summary: dict[str, Any]) -> str:
    """One tool's plan as a few readable lines: totals, a per-field table, sample rows."""
    skipped = ", ".join(f"{reason} {count}" for reason, count in summary["skipped"].items()) or "none"
    creates = f"; {summary['creates']} new record(s) to create" if summary.get("creates") else ""
    lines = [
        f"{summary['tool']}: {summary['planned']} change(s) on {summary['records_changed']} of "
        f"{summary['records_linked']} linked records{creates}; unchanged {summary['unchanged']}; skipped: {skipped}"
    ]
    if summary["fields"]:
        lines.append(f"  {'field':<40}{'fill':>7}{'update':>8}{'clear':>7}{'create':>8}")
        for name, counts in summary["fields"].items():
            fill, update, clear, create = (counts.get(op, 0) for op in ("fill", "update", "clear", "create"))
            lines.append(f"  {name:<40}{fill:>7}{update:>8}{clear:>7}{create:>8}")
    for row in summary["samples"][:5]:
        lines.append(f"  e.g. {row['object']} {row['record']} {row['field']}: {row['before']} -> {row['after']} "
                     f"({row['golden_id']})")  # fmt: skip
    return "\n".join(lines)


def _apply(engine: Any, config: Any, tools: list[str], run_id: str, *, approved: bool) -> int:
    from customer_hub.spokes.registry import build_connector
    from customer_hub.writeback.run import ApprovalRequired, apply_tool

    status = 0
    for tool in tools:
        client = build_connector(tool, config, engine=engine).client
        try:
            result = apply_tool(engine, config, tool, client, run_id, approved=approved)
        except ApprovalRequired as blocked:
            print(str(blocked))
            status = 1
            continue
        counts = ", ".join(f"{name} {value}" for name, value in result.metadata().items())
        print(f"{tool} write-back {run_id}: {counts}")
        status |= 1 if result.rejected else 0
    return status
