"""Write-back against the sandbox: exactly once under faults, nothing re-planned, echoes recognised, weak links
and large plans held back, the payment flow and its Slack summary."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from customer_hub.store import writeback_store
from customer_hub.store.schema import alert_outbox, landed_records
from customer_hub.writeback.echoes import recognise_own_writes
from customer_hub.writeback.run import ApprovalRequired, apply_tool, approve_run, plan_tool
from customer_hub_tests.writeback.conftest import BOTH_BACKENDS, FAULTY_CLIENT, WRITTEN, World


def _apply_until_clean(world: World, tools: tuple[str, ...], client_for, settings=None, runs: int = 4) -> list:
    """Apply each tool until nothing is rejected (rejections are retried by the next run)."""
    results = []
    for attempt in range(runs):
        batch = [
            apply_tool(
                world.engine,
                world.config,
                tool,
                client_for(tool),
                f"run-{attempt}-{tool}",
                settings=settings or world.settings,
                approved=True,
            )  # fmt: skip
            for tool in tools
        ]
        results += batch
        if not any(result.rejected for result in batch):
            break
    return results


@BOTH_BACKENDS
def test_faulty_vendors_get_every_planned_change_exactly_once(world: World) -> None:
    planned = {
        tool: {
            (c.source_id, c.field, c.new) for c in plan_tool(world.engine, world.config, tool, world.settings).changes
        }
        for tool in WRITTEN
    }
    assert all(planned.values())
    world.faults_on(WRITTEN)
    clients = {tool: world.client(tool, **FAULTY_CLIENT) for tool in WRITTEN}
    _apply_until_clean(world, WRITTEN, clients.__getitem__)
    world.sandbox.state.clear_faults()

    failures = Counter()
    for client in clients.values():
        failures.update(
            {k: v for k, v in client.stats.by_status.items() if k in ("429", "500", "502", "503", "timeout")}
        )
    assert failures["timeout"] and failures["429"] and sum(failures.values()) >= 20, failures

    log = Counter((e["tool"], e["id"], e["field"], e["new"]) for e in world.sandbox.state.write_log)
    assert max(log.values()) == 1, "a change was applied twice"
    rows = [row for row in writeback_store.ledger_rows(world.engine) if row["status"] == "applied"]
    applied = {(row["tool"], row["source_id"], row["field"], row["new_value"]) for row in rows}
    assert {(tool, *change) for tool, changes in planned.items() for change in changes} == applied, "lost or extra"
    assert len(rows) == len(applied) == len(log), "ledger and sandbox disagree on what was written"
    for tool, source_id, field, new in applied:
        assert world.stored(tool, source_id, field) == new
    assert {tool for tool, *_ in applied} == set(WRITTEN)

    for tool in WRITTEN:
        again = plan_tool(world.engine, world.config, tool, world.settings)
        assert again.changes == [], f"{tool} re-planned {again.summary()['samples']}"


@BOTH_BACKENDS
def test_a_sync_after_writeback_lands_only_recognised_echoes(world: World) -> None:
    with world.engine.connect() as conn:
        before = {
            (row.tool, row.source_id): (row.source_updated_at, row.last_changed_at)
            for row in conn.execute(select(landed_records))
        }
    for tool in WRITTEN:
        result = apply_tool(world.engine, world.config, tool, world.client(tool), f"first-{tool}",
                            settings=world.settings, approved=True)  # fmt: skip
        assert result.sent and not result.rejected
    world.sync()
    assert recognise_own_writes(world.engine) > 0
    statuses = Counter(row["status"] for row in writeback_store.ledger_rows(world.engine))
    assert set(statuses) == {"confirmed"}, statuses
    written = {(row["tool"], row["source_id"]) for row in writeback_store.ledger_rows(world.engine)}
    with world.engine.connect() as conn:
        after = {
            (row.tool, row.source_id): (row.source_updated_at, row.last_changed_at)
            for row in conn.execute(select(landed_records))
        }
    assert all(after[key] == before[key] for key in written), "an echo made a record look newer"
    for tool in WRITTEN:
        assert plan_tool(world.engine, world.config, tool, world.settings).changes == []


def test_weak_links_are_never_written_and_large_plans_wait_for_approval(world: World) -> None:
    strict = world.settings.model_copy(
        update={"approval": world.settings.approval.model_copy(update={"max_share": 0.1})}
    )
    plan = plan_tool(world.engine, world.config, "stripe", strict)
    assert plan.skipped["low_confidence"] > 0
    weak = {row.source_id for row in _weak_links(world, "stripe")}
    assert weak and not weak & {change.source_id for change in plan.changes}
    with pytest.raises(ApprovalRequired, match="writeback approve run-big"):
        apply_tool(world.engine, world.config, "stripe", world.client("stripe"), "run-big", settings=strict)
    assert world.sandbox.state.write_log == []
    assert approve_run(world.engine, "run-big", "finance-lead") == ["stripe"]
    result = apply_tool(world.engine, world.config, "stripe", world.client("stripe"), "run-next", settings=strict)
    assert result.sent == plan.records_changed


def test_payment_flow_sets_last_payment_on_the_contact_found_by_email(world: World) -> None:
    result = apply_tool(world.engine, world.config, "hubspot", world.client("hubspot"), "flow-run",
                        settings=world.settings, approved=True)  # fmt: skip
    flow_rows = [r for r in writeback_store.ledger_rows(world.engine, "hubspot") if r["origin"].startswith("flow:")]
    assert result.sent and flow_rows
    paid = {}
    for invoice in world.sandbox.state.stream("stripe", "invoices"):
        if invoice["status"] == "paid" and invoice.get("customer_email"):
            email = invoice["customer_email"].lower()
            if email not in paid or invoice["created"] > paid[email]["created"]:
                paid[email] = invoice
    contact = world.sandbox.state.stream("hubspot", "contacts").get(flow_rows[0]["source_id"])["properties"]
    invoice = paid[contact["email"].lower()]
    assert float(contact["last_payment_amount"]) == invoice["amount_paid"] / 100
    with world.engine.connect() as conn:
        messages = [row.message for row in conn.execute(select(alert_outbox))]
    assert any(m.get("channel") == "#finance" and "stripe_payment_to_hubspot" in m["text"] for m in messages)


def _weak_links(world: World, tool: str):
    from customer_hub.store.schema import customer_xref

    with world.engine.connect() as conn:
        return conn.execute(
            select(customer_xref.c.source_id).where(
                customer_xref.c.source_system == tool, customer_xref.c.confidence < 0.92
            )
        ).all()


def test_a_value_changed_in_the_tool_after_the_write_is_written_again(world: World) -> None:
    from customer_hub.sandbox.events import emit_stripe_event

    apply_tool(world.engine, world.config, "stripe", world.client("stripe"), "first", settings=world.settings,
               approved=True)  # fmt: skip
    row = next(r for r in writeback_store.ledger_rows(world.engine) if r["field"] == "metadata[golden_customer_id]")
    with world.sandbox.state.lock:
        customer = world.sandbox.state.stream("stripe", "customers").get(row["source_id"])
        customer["metadata"] = {**customer["metadata"], "golden_customer_id": "typed-by-hand"}
        emit_stripe_event(world.sandbox.state, "customer.updated", customer, {"metadata": {}})
    world.sync()
    recognise_own_writes(world.engine)
    statuses = {r["status"] for r in writeback_store.ledger_rows(world.engine) if r["source_id"] == row["source_id"]}
    assert "overwritten" in statuses
    plan = plan_tool(world.engine, world.config, "stripe", world.settings)
    assert [(c.source_id, c.old, c.new) for c in plan.changes] == [
        (row["source_id"], "typed-by-hand", row["new_value"])
    ]
    result = apply_tool(world.engine, world.config, "stripe", world.client("stripe"), "second", settings=world.settings)
    assert result.sent == 1  # a new idempotency key: Stripe applies it instead of replaying the first write
    assert (
        world.sandbox.state.stream("stripe", "customers").get(row["source_id"])["metadata"]["golden_customer_id"]
        == (row["new_value"])
    )
