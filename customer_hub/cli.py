"""`customer-hub`: quick answers and local running from the command line.

Imports happen inside each command so that `customer-hub lookup` answers in well under a second: it never loads
Dagster or the connectors.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml
from sqlalchemy.exc import SQLAlchemyError

from customer_hub.config import ConfigError, load_config


def _engine(args: argparse.Namespace):
    from customer_hub.store import database_url, engine_for

    config = load_config(args.config, sections=False)
    return engine_for(database_url(config.data_dir))


def _cmd_lookup(args: argparse.Namespace) -> int:
    from customer_hub.lookup import format_360, lookup

    if not args.query.strip():
        raise SystemExit("customer-hub lookup: the query is empty; give a name, email, domain, phone or a tool's id")
    views = lookup(_engine(args), args.query, limit=args.limit)
    if args.json:
        print(json.dumps(views, indent=2, default=str))
    elif not views:
        print(f"No customer matches {args.query!r}. Try a name, an email, a domain or a tool's id.")
    else:
        print("\n\n".join(format_360(view) for view in views))
    return 0 if views else 1


def _cmd_inventory(args: argparse.Namespace) -> int:
    from customer_hub.inventory import format_inventory, inventory_rows

    config = load_config(args.config)
    rows = inventory_rows(config, _engine(args))
    print(json.dumps(rows, indent=2, default=str) if args.json else format_inventory(rows))
    return 0


def _cmd_decide(args: argparse.Namespace) -> int:
    from customer_hub.lookup import DecisionError, load_decisions_file, record_decision, withdraw_decision

    engine = _engine(args)
    try:
        if args.file:
            count = load_decisions_file(engine, args.file)
            print(f"Recorded {count} steward decision(s) from {args.file}; they apply from the next golden run.")
        else:
            if not (args.record_a and args.record_b and args.decision):
                raise SystemExit("decide: give RECORD_A RECORD_B merge|keep_apart|withdraw, or --file decisions.yaml")
            if args.decision == "withdraw":
                withdraw_decision(engine, args.record_a, args.record_b)
                print(f"Withdrew the decision on {args.record_a} and {args.record_b}; the evidence decides from the "
                      "next run.")  # fmt: skip
            else:
                record_decision(engine, args.record_a, args.record_b, args.decision, args.by, args.reason)
                print(f"Recorded {args.decision} for {args.record_a} and {args.record_b}; applies from the next run.")
    except DecisionError as error:
        raise SystemExit(f"customer-hub decide: {error}") from None
    return 0


def _cmd_review(args: argparse.Namespace) -> int:
    from customer_hub.golden.review import auto_merge_threshold, format_pair, open_pairs, review_interactively
    from customer_hub.lookup import DecisionError, load_decisions_file

    engine = _engine(args)
    if args.file:
        try:
            count = load_decisions_file(engine, args.file)
        except DecisionError as error:
            raise SystemExit(f"customer-hub review: {error}") from None
        print(f"Recorded {count} steward decision(s) from {args.file}; they apply from the next golden run.")
        return 0
    config = load_config(args.config)
    pairs = open_pairs(engine, auto_merge_threshold(config))[: args.limit]
    if args.json:
        print(json.dumps(pairs, indent=2, default=str))
    elif not pairs:
        print("The review queue is empty: no open pairs.")
    elif sys.stdin.isatty() and not args.list:
        counts = review_interactively(engine, pairs, input, print, args.by)
        print(f"{counts['merge']} merged, {counts['keep_apart']} kept apart, {counts['skip']} skipped; decisions "
              "apply from the next golden run.")  # fmt: skip
    else:
        print("\n\n".join(format_pair(pair, number, len(pairs)) for number, pair in enumerate(pairs, start=1)))
        print(f"\n{len(pairs)} open pair(s). Decide with `customer-hub review` in a terminal, "
              "`customer-hub decide A B merge|keep_apart` or `customer-hub review --file decisions.yaml`.")  # fmt: skip
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from customer_hub.golden.explain import ExplainError, explain_records, format_explanation

    config = load_config(args.config)
    try:
        explained = explain_records(_engine(args), config, args.record_a, args.record_b)
    except ExplainError as error:
        raise SystemExit(f"customer-hub explain: {error}") from None
    print(json.dumps(explained, indent=2, default=str) if args.json else format_explanation(explained))
    return 0


def _cmd_accept_fields(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from customer_hub.quality import quality_settings
    from customer_hub.quality.quarantine import accept_new_mapping

    config = load_config(args.config)
    system = config.systems.get(args.tool)
    if system is None or args.object not in system.objects:
        raise ValueError(f"no stream {args.tool} {args.object} in {config.path}; streams are the tools' objects")
    ignore = quality_settings(config).drift_ignore
    accepted = accept_new_mapping(_engine(args), args.tool, args.object, args.by, datetime.now(UTC), ignore)
    print(accepted.describe())
    return 0 if accepted.fields else 1


def _cmd_changes(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from customer_hub.change_control.changes import digest_lines
    from customer_hub.change_control.tickets import track_changes
    from customer_hub.store import change_store
    from customer_hub.store.quality_store import accept_schema

    config, engine, now = load_config(args.config), _engine(args), datetime.now(UTC)
    if args.action == "accept":
        system = config.systems.get(args.tool)
        if system is None or args.object not in system.objects:
            raise ValueError(f"no stream {args.tool} {args.object} in {config.path}; streams are the tools' objects")
        if accept_schema(engine, args.tool, args.object, args.by, now) is None:
            raise ValueError(f"{args.tool} {args.object} has no schema snapshot yet: sync it first")
        resolved = track_changes(engine, config, now).resolved
        print(f"Accepted the current schema of {args.tool} {args.object} as its baseline: {len(resolved)} change(s) "
              "resolved; their Asana tickets are completed on the next schema_change_tickets run.")  # fmt: skip
        return 0
    track_changes(engine, config, now)
    rows = change_store.read_changes(engine, None if args.all else change_store.OPEN)
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    owners = {tool: system.owner for tool, system in config.systems.items()}
    for row in rows:
        line = digest_lines([row], owners, now)[0]
        status = f"[{row['status']}] " if args.all else ""
        print(f"{status}{line.text()}" + (f" {line.ticket_url}" if line.ticket_url else ""))
    if not rows:
        print("No open schema change." if not args.all else "No schema change tracked yet.")
    return 0


def _cmd_map(args: argparse.Namespace) -> int:
    from pathlib import Path

    from customer_hub.config import CONFIG_ENV
    from customer_hub.integration_map import code_location_facts, render
    from customer_hub.integration_map.build import current_map
    from customer_hub.integration_map.render import require_dot

    if args.format != "md":
        require_dot()  # one line now, not after loading every definition
    config = load_config(args.config)
    if args.config:  # the definitions load hub.yaml themselves: the same file
        os.environ[CONFIG_ENV] = str(config.path)
    chart = current_map(config, _engine(args), code_location_facts())
    text = render(chart, args.format)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"integration map ({args.format}) written to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from customer_hub.sandbox import serve

    serve(
        host=args.host,
        port=args.port,
        seed=args.seed,
        scale=args.scale,
        rate_limits=args.rate_limits,
        webhook_url=args.webhook_url,
        saved=Path(args.state) if args.state else None,
    )
    return 0


def _cmd_webhooks(args: argparse.Namespace) -> int:
    from customer_hub.webhooks.server import serve
    from customer_hub.webhooks.settings import webhook_settings

    config = load_config(args.config)
    serve(_engine(args), webhook_settings(config.webhooks), host=args.host, port=args.port)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from customer_hub.demo import run_demo

    return run_demo(load_config(args.config), keep=args.keep)


def _cmd_ui(args: argparse.Namespace) -> int:
    from customer_hub.ui import run_ui

    return run_ui(load_config(args.config), port=args.port, sandbox_port=args.sandbox_port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="customer-hub", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="path to hub.yaml (default: $CUSTOMER_HUB_CONFIG or ./hub.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO level")
    commands = parser.add_subparsers(dest="command", required=True)

    lookup = commands.add_parser("lookup", help="the 360 view of a customer: name, email, domain or any tool's id")
    lookup.add_argument("query")
    lookup.add_argument("--json", action="store_true", help="machine-readable output")
    lookup.add_argument("--limit", type=int, default=3, help="at most this many customers (default 3)")
    lookup.set_defaults(func=_cmd_lookup)

    inventory = commands.add_parser("inventory", help="the systems in hub.yaml with owners, cadence, cost, last sync")
    inventory.add_argument("--json", action="store_true")
    inventory.set_defaults(func=_cmd_inventory)

    decide = commands.add_parser("decide", help="record a steward decision on two source records")
    decide.add_argument("record_a", nargs="?", help="record id, e.g. hubspot:contacts:101")
    decide.add_argument("record_b", nargs="?")
    decide.add_argument("decision", nargs="?", choices=["merge", "keep_apart", "withdraw"])
    decide.add_argument("--by", default="cli", help="who decided (kept with the decision)")
    decide.add_argument("--reason", default=None)
    decide.add_argument("--file", help="YAML or CSV of decisions (record_a, record_b, decision, by, reason)")
    decide.set_defaults(func=_cmd_decide)

    review = commands.add_parser("review", help="the review queue side by side: merge, keep apart or skip each pair")
    review.add_argument("--json", action="store_true", help="the open pairs as JSON (nothing is asked)")
    review.add_argument("--list", action="store_true", help="only list the open pairs, even in a terminal")
    review.add_argument("--file", help="record the decisions in a YAML or CSV file instead of asking")
    review.add_argument("--by", default="cli", help="who decided (kept with each decision)")
    review.add_argument("--limit", type=int, default=50, help="at most this many pairs (default 50)")
    review.set_defaults(func=_cmd_review)

    explain = commands.add_parser("explain", help="why two source records are (or are not) one person and customer")
    explain.add_argument("record_a", help="record id, e.g. hubspot:contacts:101")
    explain.add_argument("record_b")
    explain.add_argument("--json", action="store_true", help="the explanation as JSON")
    explain.set_defaults(func=_cmd_explain)

    accept = commands.add_parser(
        "accept-fields", help="accept a stream's new field mapping after a sync quarantined fields it would empty"
    )
    accept.add_argument("tool")
    accept.add_argument("object")
    accept.add_argument("--by", default="cli", help="who accepted (kept with the quarantine)")
    accept.set_defaults(func=_cmd_accept_fields)

    changes = commands.add_parser(
        "changes", help="schema changes the tools made (change control): open ones with age, owner and ticket"
    )
    changes.add_argument("--all", action="store_true", help="resolved changes too")
    changes.add_argument("--json", action="store_true")
    changes.set_defaults(func=_cmd_changes, action="list")
    change_actions = changes.add_subparsers(dest="action")
    accept_change = change_actions.add_parser(
        "accept", help="accept a stream's current schema as its baseline: its changes resolve, their tickets close"
    )
    accept_change.add_argument("tool")
    accept_change.add_argument("object")
    accept_change.add_argument("--by", default="cli", help="who accepted (kept with the acceptance)")
    chart = commands.add_parser(
        "map", help="the integration map from hub.yaml and the Dagster definitions: tools, flows, field owners"
    )
    chart.add_argument("--format", choices=["md", "svg", "html"], default="md", help="md (with Mermaid; default), "
                       "or svg / html drawn by Graphviz (needs its `dot` program)")  # fmt: skip
    chart.add_argument("--output", "-o", help="write to this file instead of standard output")
    chart.set_defaults(func=_cmd_map)

    sandbox = commands.add_parser("sandbox", help="serve the local imitation of the vendor APIs and Slack")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--seed", type=int, default=42)
    sandbox.add_argument(
        "--scale", type=float, default=1.0, help="multiply record volumes (default 1: ~2,000 customers)"
    )
    sandbox.add_argument("--rate-limits", action="store_true", help="imitate each vendor's rate limits")
    sandbox.add_argument("--webhook-url", help="send signed webhooks for changes to this receiver (http://host:port)")
    sandbox.add_argument(
        "--state", help="keep the tools' data in this file: read at start when present, written when stopped"
    )
    sandbox.set_defaults(func=_cmd_sandbox)

    webhooks = commands.add_parser("webhooks", help="receive signed HubSpot, Stripe and Intercom webhooks")
    webhooks.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1: put a proxy in front)")
    webhooks.add_argument("--port", type=int, default=8787)
    webhooks.set_defaults(func=_cmd_webhooks)

    demo = commands.add_parser("demo", help="run the whole pipeline once against the sandbox and print a summary")
    demo.add_argument(
        "--keep", action="store_true", help="keep the previous demo's hub database instead of starting fresh"
    )
    demo.set_defaults(func=_cmd_demo)

    from customer_hub.writeback.cli import add_commands as add_writeback_commands

    add_writeback_commands(commands)

    ui = commands.add_parser("ui", help="the Dagster UI on the demo instance, with the sandbox running")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--sandbox-port", type=int, default=8765)
    ui.set_defaults(func=_cmd_ui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose or args.command in {"demo", "sandbox", "webhooks"} else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except BrokenPipeError:
        # the reader (e.g. `| head`) stopped reading: not a failure; silence the flush at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ConfigError as error:
        print(f"customer-hub: {error}", file=sys.stderr)
        return 2
    except (OSError, ValueError, yaml.YAMLError) as error:
        # a missing or malformed input file, a bad record id, a port in use: the message says what to fix
        print(f"customer-hub {args.command}: {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        print(f"customer-hub {args.command}: the hub database cannot be used: {cause}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
