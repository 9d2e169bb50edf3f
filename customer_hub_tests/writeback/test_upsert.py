"""Upsert targets: a golden customer a tool has no record of gets one, created exactly once (despite lost answers,
retries and crashed runs), carrying its golden id; the next sync and golden run link it to that same customer."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from customer_hub.store import writeback_store
from customer_hub.writeback.planner import Create
from customer_hub.writeback.run import apply_tool, plan_tool
from customer_hub.writeback.writers import CREATORS, RecordCreate
from customer_hub_tests.writeback.conftest import (
    BOTH_BACKENDS,
    FAULTY_CLIENT,
    OBJECT,
    WRITTEN,
    World,
    add_unlinked_golden_customers,
    upserting,
)
from customer_hub_tests.writeback.test_apply import _apply_until_clean

NEW = 12


def _golden_ids_created(world: World, tool: str, field: str) -> Counter:
    """How many records the sandbox holds, created through its API, per golden id they carry."""
    created = world.sandbox.state.writes()[f"{tool}_{OBJECT[tool]}"]
    return Counter(world.stored(tool, str(record.get("id", record.get("Id"))), field) for record in created)


@BOTH_BACKENDS
def test_each_missing_customer_is_created_once_in_every_tool_despite_faults(world: World) -> None:
    new = add_unlinked_golden_customers(world.engine, NEW)
    settings = upserting(world.settings)
    for tool in WRITTEN:
        plan = plan_tool(world.engine, world.config, tool, settings)
        assert sorted(c.golden_id for c in plan.creates[OBJECT[tool]]) == new
        assert plan.summary()["creates"] == NEW
    world.faults_on(WRITTEN)
    clients = {tool: world.client(tool, **FAULTY_CLIENT) for tool in WRITTEN}
    results = _apply_until_clean(world, WRITTEN, clients.__getitem__, settings)
    world.sandbox.state.clear_faults()
    assert sum(r.created for r in results) == NEW * len(WRITTEN)
    lost = sum(client.stats.by_status["timeout"] for client in clients.values())
    assert lost >= 3, "no answer was lost: the look-before-create was not exercised"

    creates = writeback_store.create_rows(world.engine)
    assert len(creates) == NEW * len(WRITTEN) and {row["status"] for row in creates} == {"applied"}
    for tool in WRITTEN:
        field = settings.targets[tool][OBJECT[tool]].golden_id_field
        assert _golden_ids_created(world, tool, field) == Counter(new), f"{tool}: a customer made twice or not at all"
        for row in (row for row in creates if row["tool"] == tool):
            assert world.stored(tool, row["source_id"], field) == row["golden_id"]
            for name, value in row["new_values"].items():
                assert world.stored(tool, row["source_id"], name) == value
    ledger = [row for row in writeback_store.ledger_rows(world.engine) if row["origin"] == "create"]
    assert {(r["tool"], r["source_id"], r["field"]) for r in ledger} == {
        (row["tool"], row["source_id"], name) for row in creates for name in row["new_values"]
    }
    for tool in WRITTEN:  # right after: nothing to create or change (the created records wait for the next sync)
        again = plan_tool(world.engine, world.config, tool, settings)
        assert again.records_created == 0 and again.changes == []


def test_a_create_whose_answer_never_came_back_is_found_not_made_again(world: World) -> None:
    golden_ids = dict(zip(WRITTEN, add_unlinked_golden_customers(world.engine, len(WRITTEN)), strict=True))
    settings = upserting(world.settings)
    for tool, golden_id in golden_ids.items():
        obj, field = OBJECT[tool], settings.targets[tool][OBJECT[tool]].golden_id_field
        create = next(c for c in plan_tool(world.engine, world.config, tool, settings).creates[obj]
                      if c.golden_id == golden_id)  # fmt: skip
        # a run recorded the create as pending and sent it, then died before it saw the answer
        writeback_store.save_creates(world.engine, "crashed", tool, obj, [create], datetime.now(UTC))
        creator, _ = CREATORS[tool]
        creator(world.client(tool), obj, [RecordCreate(golden_id, create.values, create.idempotency_key, field)])
        assert _golden_ids_created(world, tool, field) == Counter([golden_id])

        resent = next(c for c in plan_tool(world.engine, world.config, tool, settings).creates[obj]
                      if c.golden_id == golden_id)  # fmt: skip
        assert resent == Create(golden_id, create.values, create.idempotency_key, create.attempt, resend=True)
        target = settings.targets[tool][obj].model_copy(update={"fields": {}})
        only = settings.model_copy(update={"targets": {tool: {obj: target}}, "flows": {}})  # just this create
        result = apply_tool(world.engine, world.config, tool, world.client(tool), f"next-{tool}", settings=only,
                            approved=True)  # fmt: skip
        assert result.rejected == 0, result.errors
        assert _golden_ids_created(world, tool, field)[golden_id] == 1, f"{tool}: created a second time"
        row = next(r for r in writeback_store.create_rows(world.engine, tool) if r["golden_id"] == golden_id)
        assert row["status"] == "applied" and world.stored(tool, row["source_id"], field) == golden_id


def test_a_taken_email_is_refused_unless_its_record_is_the_one_created_before(world: World) -> None:
    """HubSpot and Intercom keep contact emails unique: a conflict is our own earlier create (its answer lost,
    and not yet found by search) only when the existing record carries the same golden id."""
    settings = upserting(world.settings)
    for tool in ("hubspot", "intercom"):
        golden_a, golden_b = add_unlinked_golden_customers(world.engine, 2, start=10 if tool == "intercom" else 0)
        obj, field = OBJECT[tool], settings.targets[tool][OBJECT[tool]].golden_id_field
        creates = {c.golden_id: c for c in plan_tool(world.engine, world.config, tool, settings).creates[obj]}
        creator, _ = CREATORS[tool]
        first = creates[golden_a]
        (made,) = creator(world.client(tool), obj, [RecordCreate(golden_a, first.values, first.idempotency_key,
                                                                 field)])  # fmt: skip

        again = creator(world.client(tool), obj, [RecordCreate(golden_a, first.values, "other-key", field)])
        assert [(o.status, o.source_id) for o in again] == [("applied", made.source_id)]
        taken = {**creates[golden_b].values, "email": first.values["email"]}
        (refused,) = creator(world.client(tool), obj, [RecordCreate(golden_b, taken, "key-b", field)])
        assert refused.status == "rejected" and made.source_id in (refused.error or "")
        assert _golden_ids_created(world, tool, field) == Counter([golden_a])


def _resolve(world: World) -> None:
    """What the golden assets run after a sync: the hub's own writes recognised, records rebuilt, resolved."""
    from customer_hub.golden.build import build_golden
    from customer_hub.golden.records import build_customer_records
    from customer_hub.writeback.echoes import recognise_own_writes

    recognise_own_writes(world.engine)
    build_customer_records(world.engine, world.config.matching)
    build_golden(world.engine, world.config)


def _links(world: World) -> dict[str, str]:
    from sqlalchemy import select

    from customer_hub.store.schema import customer_xref

    with world.engine.connect() as conn:
        return dict(conn.execute(select(customer_xref.c.record_id, customer_xref.c.golden_customer_id)).all())


def _active_customers(world: World) -> set[str]:
    from sqlalchemy import select

    from customer_hub.store.schema import golden_customers

    query = select(golden_customers.c.golden_id).where(
        golden_customers.c.status == "active", golden_customers.c.kind == "customer"
    )
    with world.engine.connect() as conn:
        return set(conn.execute(query).scalars())


def test_created_records_join_their_golden_customer_and_nothing_propagates_again(world: World) -> None:
    """The real golden layer: customers missing from HubSpot and Stripe get a record there; the next sync lands
    them, the next golden run links each to the customer it was made for (no new customer), nothing is planned
    again for those tools, and what the other tools would be sent has not changed."""
    from sqlalchemy import delete

    from customer_hub.store.schema import customer_xref, golden_customers

    with world.engine.begin() as conn:  # the fixture's one-customer-per-record links give way to real resolution
        conn.execute(delete(customer_xref))
        conn.execute(delete(golden_customers))
    _resolve(world)
    customers = _active_customers(world)
    upserted = ("hubspot", "stripe")
    # without the payment flow: it would (rightly) fill a new contact's last payment on its first run after the sync
    settings = upserting(world.settings, upserted).model_copy(update={"flows": {}})
    others = {tool: plan_tool(world.engine, world.config, tool, settings).fingerprint() for tool in WRITTEN[2:]}
    wanted = {
        (tool, c.golden_id)
        for tool in upserted
        for c in plan_tool(world.engine, world.config, tool, settings).creates[OBJECT[tool]]
    }
    assert {tool for tool, _ in wanted} == set(upserted)

    for tool in upserted:
        result = apply_tool(world.engine, world.config, tool, world.client(tool), f"up-{tool}", settings=settings,
                            approved=True)  # fmt: skip
        assert result.rejected == 0, result.errors
    created = {(row["tool"], row["golden_id"]): row["source_id"] for row in writeback_store.create_rows(world.engine)}
    assert set(created) == wanted

    world.sync()
    _resolve(world)
    links = _links(world)
    for (tool, golden_id), source_id in created.items():
        assert links[f"{tool}:{OBJECT[tool]}:{source_id}"] == golden_id, f"{tool} {source_id} joined another customer"
    assert _active_customers(world) == customers, "a created record made a customer of its own"
    assert {row["status"] for row in writeback_store.ledger_rows(world.engine)} == {"confirmed"}
    for tool in upserted:
        again = plan_tool(world.engine, world.config, tool, settings)
        assert again.changes == [] and again.records_created == 0, f"{tool}: {again.summary()['samples']}"
    assert {tool: plan_tool(world.engine, world.config, tool, settings).fingerprint() for tool in others} == others
