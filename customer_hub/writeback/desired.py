"""What each linked tool record should hold: golden fields by the configured mappings, and the values of flows;
and, for an upsert target, the records the tool should have and has not.

A target record is one the cross-reference links to a golden customer; its confidence travels with each value so
the planner can refuse weak links. A flow ("new Stripe payment -> HubSpot contact by email") is the same thing
from a different source: the newest matching source record per target record, found by a shared field. A golden
customer with no record at all in the target object (not even a weakly linked one) is one to create.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, select

from customer_hub.store.schema import customer_xref, golden_customers, landed_records
from customer_hub.store.writeback_store import json_reads, json_value
from customer_hub.writeback.fields import as_text
from customer_hub.writeback.planner import CreateWanted, Desired
from customer_hub.writeback.settings import REQUIRED_ON_CREATE, FlowSettings, TargetSettings

GOLDEN_ID = "golden_id"


def golden_desired(engine: Engine, tool: str, obj: str, target: TargetSettings) -> list[Desired]:
    """One Desired per mapped field (and the golden id field) of every record of `tool`/`obj` in the xref."""
    xref, golden = customer_xref, golden_customers
    names = list(target.fields)
    reads = [part for name in names for part in json_reads(engine, golden.c.fields, (name,))]
    links = (
        select(xref.c.source_id, xref.c.golden_customer_id, xref.c.confidence, *reads)
        .join(golden, golden.c.golden_id == xref.c.golden_customer_id)
        .where(xref.c.source_system == tool, xref.c.source_object == obj)
        .where(golden.c.status == "active", golden.c.kind == "customer")
    )
    with engine.connect() as conn:
        rows = conn.execute(links.order_by(xref.c.source_id)).all()
    desired = []
    for source_id, golden_id, confidence, *read in rows:
        common = {"golden_id": golden_id, "confidence": confidence, "null_policy": target.null_policy}
        if target.golden_id_field:
            desired.append(Desired(source_id, target.golden_id_field, golden_id, origin=GOLDEN_ID, **common))
        for number, golden_field in enumerate(names):
            value = as_text(json_value(read[2 * number], read[2 * number + 1]))
            desired.append(Desired(source_id, target.fields[golden_field], value, origin=golden_field, **common))
    return desired


def golden_creates(engine: Engine, tool: str, obj: str, target: TargetSettings) -> list[CreateWanted]:
    """One CreateWanted per active golden customer with no record of `tool`/`obj` in the cross-reference (and
    matching `create_where`): its golden id, create fields and mapped fields as the new record's values."""
    xref = customer_xref
    linked = select(xref.c.golden_customer_id).where(xref.c.source_system == tool, xref.c.source_object == obj)
    golden = select(golden_customers.c.golden_id, golden_customers.c.fields).where(
        golden_customers.c.status == "active",
        golden_customers.c.kind == "customer",
        golden_customers.c.golden_id.not_in(linked.where(xref.c.golden_customer_id.is_not(None))),
    )
    required = REQUIRED_ON_CREATE[(tool, obj)]
    mapped = {**target.fields, **target.create_fields}
    wanted = []
    with engine.connect() as conn:
        rows = conn.execute(golden.order_by(golden_customers.c.golden_id)).all()
    for golden_id, fields in rows:
        fields = fields or {}
        if not all(as_text(fields.get(key)) == as_text(value) for key, value in target.create_where.items()):
            continue
        values = {tool_field: as_text(fields.get(golden_field)) for golden_field, tool_field in mapped.items()}
        values = {name: value for name, value in values.items() if value is not None}
        values[str(target.golden_id_field)] = golden_id
        wanted.append(CreateWanted(golden_id, values, identified=any(values.get(name) for name in required)))
    return wanted


def flow_desired(engine: Engine, name: str, flow: FlowSettings) -> list[Desired]:
    """The flow's values for each target record: from the newest source record sharing its `by` field."""
    sources = _live_fields(engine, flow.when.tool, flow.when.object)
    targets = _live_fields(engine, flow.find.tool, flow.find.object)
    newest: dict[str, Mapping[str, Any]] = {}
    for fields in sources.values():
        if not all(as_text(fields.get(key)) == as_text(value) for key, value in flow.when.where.items()):
            continue
        key = _key(fields.get(flow.find.by))
        order = str(fields.get(flow.latest_by) or "")
        if key and (key not in newest or order > str(newest[key].get(flow.latest_by) or "")):
            newest[key] = fields
    golden_ids = _golden_ids(engine, flow.find.tool, flow.find.object)
    desired = []
    for source_id, fields in targets.items():
        source = newest.get(_key(fields.get(flow.find.by)) or "")
        if source is None:
            continue
        for tool_field, expression in flow.set.items():
            desired.append(
                Desired(source_id, tool_field, _value(source, expression), golden_ids.get(source_id), f"flow:{name}")
            )
    return desired


def _value(fields: Mapping[str, Any], expression: str) -> str | None:
    name, _, transform = expression.partition("|")
    value = as_text(fields.get(name))
    return value[:10] if value and transform == "date" else value


def _key(value: Any) -> str | None:
    text = as_text(value)
    return text.strip().lower() if text else None


def _live_fields(engine: Engine, tool: str, obj: str) -> dict[str, dict[str, Any]]:
    """source id -> canonical fields of the live records of a stream."""
    table = landed_records
    query = select(table.c.source_id, table.c.fields).where(
        table.c.tool == tool, table.c.object == obj, table.c.deleted_at.is_(None)
    )
    with engine.connect() as conn:
        return {row.source_id: row.fields or {} for row in conn.execute(query.order_by(table.c.source_id))}


def _golden_ids(engine: Engine, tool: str, obj: str) -> dict[str, str]:
    xref = customer_xref
    query = select(xref.c.source_id, xref.c.golden_customer_id).where(
        xref.c.source_system == tool, xref.c.source_object == obj
    )
    with engine.connect() as conn:
        return dict(conn.execute(query).all())


def flows_for(flows: Mapping[str, FlowSettings], tool: str, obj: str) -> Iterable[tuple[str, FlowSettings]]:
    return [(name, flow) for name, flow in flows.items() if (flow.find.tool, flow.find.object) == (tool, obj)]
