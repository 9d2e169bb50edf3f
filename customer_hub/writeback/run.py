"""One write-back of one tool: plan against the hub store, check the guard, apply in batches, keep the ledger.

Used alike by the `<tool>_writeback` assets, `customer-hub writeback plan|apply` and the demo, so the three can
never disagree about what would be written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from customer_hub.config import HubConfig
from customer_hub.spokes.http import ApiClient
from customer_hub.store import alert_store
from customer_hub.store import writeback_store as store
from customer_hub.writeback.desired import flow_desired, flows_for, golden_desired
from customer_hub.writeback.echoes import recognise_own_writes
from customer_hub.writeback.fields import echo_hash, landed_value
from customer_hub.writeback.planner import Change, GuardDecision, Plan, guard, idempotency_key, plan_object
from customer_hub.writeback.settings import WritebackSettings, writeback_settings
from customer_hub.writeback.writers import WRITERS, RecordWrite

log = logging.getLogger("customer_hub.writeback")
DEFAULT_AUTO_MERGE_THRESHOLD = 0.92


class ApprovalRequired(RuntimeError):
    """The plan changes more records than the guard allows and nobody approved it."""


@dataclass
class ApplyResult:
    """What one apply did; `sent` counts records the tool accepted, `rejected` changes it refused."""

    tool: str
    run_id: str
    planned: int = 0
    sent: int = 0
    applied: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    applied_records: set[tuple[str, str]] = field(default_factory=set)  # (object, record id)

    def metadata(self) -> dict[str, int]:
        return {
            "planned": self.planned,
            "sent": self.sent,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "rejected": self.rejected,
        }


def settings_of(config: HubConfig) -> WritebackSettings:
    return writeback_settings(config.writeback)


def threshold_of(config: HubConfig) -> float:
    """matching.auto_merge_threshold: a link weaker than an automatic merge is not trusted with a write."""
    return float(config.matching.get("auto_merge_threshold", DEFAULT_AUTO_MERGE_THRESHOLD))


def plan_tool(engine: Engine, config: HubConfig, tool: str, settings: WritebackSettings | None = None) -> Plan:
    """Every change the enabled targets and flows of `tool` would send now."""
    settings = settings or settings_of(config)
    recognise_own_writes(engine)
    plan = Plan(tool)
    objects = {obj: target for t, obj, target in settings.enabled_targets() if t == tool}
    flows = settings.enabled_flows()
    objects.update(
        {flow.find.object: objects.get(flow.find.object) for flow in flows.values() if flow.find.tool == tool}
    )
    for obj, target in sorted(objects.items()):
        desired = golden_desired(engine, tool, obj, target) if target else []
        for name, flow in flows_for(flows, tool, obj):
            desired += flow_desired(engine, name, flow)
        landed = store.landed(engine, tool, obj)
        current = {
            (item.source_id, item.field): landed_value(tool, landed[item.source_id]["payload"], item.field)
            for item in desired
            if item.source_id in landed
        }
        plan_object(plan, obj, desired, current, store.last_writes(engine, tool, obj), threshold_of(config))
    return plan


def check_guard(engine: Engine, plan: Plan, settings: WritebackSettings, approved: bool = False) -> GuardDecision:
    """The guard's decision, counting an approval given earlier for the same changes (or `approved` now)."""
    decision = guard(plan, settings.approval.max_share, settings.approval.max_records)
    if decision.needs_approval and (approved or store.is_approved(engine, plan.fingerprint())):
        return GuardDecision(False, f"{decision.reason}; approved")
    return decision


def save_plan(engine: Engine, plan: Plan, run_id: str) -> None:
    store.save_plan(engine, run_id, plan.tool, plan.fingerprint(), plan.summary(), datetime.now(UTC))


def approve_run(engine: Engine, run_id: str, by: str) -> list[str]:
    """Approve every plan stored under `run_id`; the tools approved (empty when the run stored none)."""
    plans = store.plans_of_run(engine, run_id)
    for row in plans:
        store.approve(engine, row["fingerprint"], run_id, by, datetime.now(UTC))
    return [row["tool"] for row in plans]


def apply_plan(
    engine: Engine,
    plan: Plan,
    client: ApiClient,
    run_id: str,
    settings: WritebackSettings,
) -> ApplyResult:
    """Send the plan's changes, one request per batch (HubSpot) or per record, ledgering each before sending."""
    result = ApplyResult(plan.tool, run_id, planned=len(plan.changes), unchanged=plan.unchanged)
    result.skipped = sum(plan.skipped.values())
    writer, batched = WRITERS[plan.tool]
    for obj, changes in plan.by_object.items():
        landed = store.landed(engine, plan.tool, obj)
        ledger = store.last_writes(engine, plan.tool, obj)
        writes_of = {source_id: last.writes for (source_id, _), last in ledger.items()}
        records = _by_record(changes)
        for chunk in _chunks(records, settings.batch_size if batched else 25):
            rows, writes = [], []
            for source_id, record_changes in chunk:
                key = idempotency_key(plan.tool, obj, source_id, record_changes, writes_of.get(source_id, 0))
                rows += _ledger_rows(plan.tool, obj, run_id, key, landed[source_id], record_changes)
                values = {c.field: c.new for c in record_changes}
                writes.append(RecordWrite(source_id, values, key, landed[source_id]["payload"]))
            store.add_pending(engine, rows)
            changed = {write.source_id: len(write.values) for write in writes}
            keys = {write.source_id: write.idempotency_key for write in writes}
            applied = []
            for outcome in writer(client, obj, writes):
                if outcome.ok:
                    applied.append(keys[outcome.source_id])
                    result.applied_records.add((obj, outcome.source_id))
                    result.sent += 1
                    result.applied += changed[outcome.source_id]
                else:
                    store.mark(engine, run_id, [keys[outcome.source_id]], "rejected", error=outcome.error)
                    result.rejected += changed[outcome.source_id]
                    result.errors.append(f"{obj} {outcome.source_id}: {outcome.error}")
            store.mark(engine, run_id, applied, "applied", at=datetime.now(UTC))
    return result


def apply_tool(
    engine: Engine,
    config: HubConfig,
    tool: str,
    client: ApiClient,
    run_id: str,
    *,
    settings: WritebackSettings | None = None,
    approved: bool = False,
) -> ApplyResult:
    """Plan, check the guard (ApprovalRequired when it blocks), apply, and raise rejections and flow summaries
    through the alert outbox."""
    settings = settings or settings_of(config)
    plan = plan_tool(engine, config, tool, settings)
    save_plan(engine, plan, run_id)
    decision = check_guard(engine, plan, settings, approved)
    if decision.needs_approval:
        raise ApprovalRequired(
            f"{tool} write-back needs approval: {decision.reason}. Review `customer-hub writeback plan --tool {tool}`, "
            f"then run `customer-hub writeback approve {run_id}` (or set the run config approve: true)"
        )
    result = apply_plan(engine, plan, client, run_id, settings)
    _raise_alerts(engine, config, settings, plan, result)
    log.info("%s write-back %s: %s", tool, run_id, result.metadata())
    return result


def _raise_alerts(
    engine: Engine, config: HubConfig, settings: WritebackSettings, plan: Plan, result: ApplyResult
) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if result.rejected:
            sample = "\n".join(f"• {line[:200]}" for line in result.errors[:5])
            text = (
                f":warning: {plan.tool} write-back {result.run_id}: {result.rejected} change(s) rejected, kept in the "
                f"ledger and retried on the next run.\n{sample}"
            )
            alert_store.enqueue(conn, "writeback", {"text": text}, now)
        for name, flow in settings.enabled_flows().items():
            done = [
                c
                for c in plan.by_object.get(flow.find.object, [])
                if c.origin == f"flow:{name}" and (flow.find.object, c.source_id) in result.applied_records
            ]
            if flow.slack_channel and done:
                records = len({c.source_id for c in done})
                lines = "\n".join(f"• {c.source_id} {c.field}: {c.old} → {c.new}" for c in done[:5])
                text = f"{name}: {records} {flow.find.tool} {flow.find.object} updated\n{lines}"
                alert_store.enqueue(conn, "writeback", {"text": text, "channel": flow.slack_channel}, now)


def _ledger_rows(
    tool: str, obj: str, run_id: str, key: str, landed: dict[str, Any], changes: Sequence[Change]
) -> list[dict[str, Any]]:
    fingerprint = echo_hash(tool, landed["payload"], [c.field for c in changes])
    now = datetime.now(UTC)
    return [
        {
            "run_id": run_id,
            "tool": tool,
            "object": obj,
            "source_id": c.source_id,
            "field": c.field,
            "golden_id": c.golden_id,
            "origin": c.origin,
            "old_value": c.old,
            "new_value": c.new,
            "idempotency_key": key,
            "landed_updated_at": landed["source_updated_at"],
            "landed_changed_at": landed["last_changed_at"],
            "echo_hash": fingerprint,
            "created_at": now,
        }
        for c in changes
    ]


def _by_record(changes: Sequence[Change]) -> list[tuple[str, list[Change]]]:
    grouped: dict[str, list[Change]] = {}
    for change in changes:
        grouped.setdefault(change.source_id, []).append(change)
    return list(grouped.items())


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
