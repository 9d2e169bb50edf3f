"""One write-back of one tool: plan against the hub store, check the guard, apply in batches, keep the ledger.

Used alike by the `<tool>_writeback` assets, `customer-hub writeback plan|apply` and the demo, so the three can
never disagree about what would be written.

Applying keeps a few requests in flight (`writeback.concurrency`) on worker threads while this thread writes the
ledger: each batch's rows are ledgered pending before its request leaves and marked when its answer is back. Sent
one after another, a vendor's round trip (a HubSpot batch takes a few hundred milliseconds) plus the ledger's own
writes would leave the rate limit unused between requests; the client's pacing keeps the requests in flight
within it.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from customer_hub.config import HubConfig
from customer_hub.golden.records import record_id
from customer_hub.spokes.http import ApiClient
from customer_hub.store import alert_store, golden_store
from customer_hub.store import writeback_store as store
from customer_hub.writeback.desired import flow_desired, flows_for, golden_creates, golden_desired
from customer_hub.writeback.echoes import recognise_own_writes
from customer_hub.writeback.fields import echo_hash
from customer_hub.writeback.planner import (
    Change,
    Create,
    GuardDecision,
    Plan,
    guard,
    idempotency_key,
    plan_creates,
    plan_object,
)
from customer_hub.writeback.settings import WritebackSettings, writeback_settings
from customer_hub.writeback.writers import CREATORS, WRITERS, Created, Outcome, RecordCreate, RecordWrite

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
    created: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    applied_records: set[tuple[str, str]] = field(default_factory=set)  # (object, record id)
    planning_seconds: float = 0.0
    sending_seconds: float = 0.0
    """Wall time of the plan, and from the first request to the last answer: the sending rate against the
    tool's limit, apart from the planning that precedes it."""

    def metadata(self) -> dict[str, int]:
        return {
            "planned": self.planned,
            "sent": self.sent,
            "created": self.created,
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
        landed = store.landed_values(engine, tool, obj, sorted({item.field for item in desired}))
        current = {
            (item.source_id, item.field): landed[item.source_id][item.field]
            for item in desired
            if item.source_id in landed
        }
        ledger = store.last_writes(engine, tool, obj)
        plan_object(plan, obj, desired, current, ledger, threshold_of(config))
        changed = {change.source_id for change in plan.by_object[obj]}
        plan.writes[obj] = {source_id: last.writes for (source_id, _), last in ledger.items() if source_id in changed}
        if target is not None and target.mode == "upsert":
            wanted = golden_creates(engine, tool, obj, target)
            plan_creates(plan, obj, tool, wanted, store.creates_sent(engine, tool, obj))
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
    """Send the plan's changes, one request per batch (HubSpot) or per record, ledgering each before sending; then
    its creates, each recorded before it is sent."""
    result = ApplyResult(plan.tool, run_id, planned=len(plan.changes), unchanged=plan.unchanged)
    result.skipped = sum(plan.skipped.values())
    started = time.monotonic()
    run = _Apply(engine, plan, client, run_id, result)
    _, batched = WRITERS[plan.tool]
    jobs: list[_UpdateBatch | _CreateBatch] = [
        _UpdateBatch(run, obj, chunk)
        for obj, changes in plan.by_object.items()
        for chunk in _chunks(_by_record(changes), settings.batch_size if batched else PER_RECORD_CHUNK)
    ]
    _, batched = CREATORS[plan.tool]
    jobs += [
        _CreateBatch(run, obj, str(settings.targets[plan.tool][obj].golden_id_field), chunk)
        for obj, creates in plan.creates.items()
        for chunk in _chunks(creates, settings.batch_size if batched else PER_RECORD_CHUNK)
    ]
    _run_pipelined(jobs, settings.concurrency)
    result.sending_seconds = time.monotonic() - started
    return result


@dataclass
class _Apply:
    """What every batch of one apply shares."""

    engine: Engine
    plan: Plan
    client: ApiClient
    run_id: str
    result: ApplyResult


@dataclass
class _UpdateBatch:
    """Updates of a few records: ledgered pending, sent, then marked applied or rejected per record."""

    run: _Apply
    obj: str
    records: Sequence[tuple[str, list[Change]]]

    def prepare(self) -> list[RecordWrite]:
        run, tool = self.run, self.run.plan.tool
        landed = store.landed(run.engine, tool, self.obj, [source_id for source_id, _ in self.records])
        writes_of = run.plan.writes[self.obj]
        rows, writes = [], []
        for source_id, changes in self.records:
            key = idempotency_key(tool, self.obj, source_id, changes, writes_of.get(source_id, 0))
            rows += _ledger_rows(tool, self.obj, run.run_id, key, landed[source_id], changes)
            values = {c.field: c.new for c in changes}
            writes.append(RecordWrite(source_id, values, key, landed[source_id]["payload"]))
        store.add_pending(run.engine, rows)
        return writes

    def send(self, writes: list[RecordWrite]) -> list[Outcome]:
        writer, _ = WRITERS[self.run.plan.tool]
        return writer(self.run.client, self.obj, writes)

    def finish(self, writes: list[RecordWrite], outcomes: list[Outcome]) -> None:
        run, result = self.run, self.run.result
        changed = {write.source_id: len(write.values) for write in writes}
        keys = {write.source_id: write.idempotency_key for write in writes}
        applied = []
        for outcome in outcomes:
            if outcome.ok:
                applied.append(keys[outcome.source_id])
                result.applied_records.add((self.obj, outcome.source_id))
                result.sent += 1
                result.applied += changed[outcome.source_id]
            else:
                store.mark(run.engine, run.run_id, [keys[outcome.source_id]], "rejected", error=outcome.error)
                result.rejected += changed[outcome.source_id]
                result.errors.append(f"{self.obj} {outcome.source_id}: {outcome.error}")
        store.mark(run.engine, run.run_id, applied, "applied", at=datetime.now(UTC))


@dataclass
class _CreateBatch:
    """Creates of a few records: recorded pending, sent, then recorded with their outcome. A created record's
    values go into the ledger (applied) and a merge decision ties it to a record of its golden customer, so the
    next golden run links it there instead of resolving it on its own."""

    run: _Apply
    obj: str
    golden_id_field: str
    creates: Sequence[Create]

    def prepare(self) -> list[RecordCreate]:
        run = self.run
        store.save_creates(run.engine, run.run_id, run.plan.tool, self.obj, self.creates, datetime.now(UTC))
        field = self.golden_id_field
        return [RecordCreate(c.golden_id, c.values, c.idempotency_key, field, c.resend) for c in self.creates]

    def send(self, creates: list[RecordCreate]) -> list[Created]:
        creator, _ = CREATORS[self.run.plan.tool]
        return creator(self.run.client, self.obj, creates)

    def finish(self, sent: list[RecordCreate], outcomes: list[Created]) -> None:
        run, tool, now = self.run, self.run.plan.tool, datetime.now(UTC)
        store.finish_creates(run.engine, tool, self.obj, [vars(outcome) for outcome in outcomes], now)
        by_golden = {create.golden_id: create for create in sent}
        made = [outcome for outcome in outcomes if outcome.status == "applied"]
        rows = [
            {"run_id": run.run_id, "tool": tool, "object": self.obj, "source_id": outcome.source_id, "field": name,
             "golden_id": outcome.golden_id, "origin": "create", "old_value": None, "new_value": value,
             "idempotency_key": by_golden[outcome.golden_id].idempotency_key, "landed_updated_at": None,
             "landed_changed_at": None, "echo_hash": None, "created_at": now}
            for outcome in made
            for name, value in by_golden[outcome.golden_id].values.items()
        ]  # fmt: skip
        store.add_applied(run.engine, rows, now)
        anchors = store.anchor_records(run.engine, [outcome.golden_id for outcome in made])
        decisions = [
            {"record_a": record_id(tool, self.obj, str(outcome.source_id)), "record_b": anchors[outcome.golden_id],
             "decision": "merge", "decided_by": "writeback",
             "reason": f"created in {tool} by the write-back for {outcome.golden_id} (run {run.run_id})"}
            for outcome in made
            if outcome.golden_id in anchors
        ]  # fmt: skip
        if decisions:
            golden_store.add_decisions(run.engine, decisions)
        run.result.created += len(made)
        for outcome in outcomes:
            if outcome.status != "applied":
                run.result.rejected += 1
                run.result.errors.append(f"{self.obj} new record for {outcome.golden_id}: {outcome.error}")


def _run_pipelined(jobs: Iterable[_UpdateBatch | _CreateBatch], size: int) -> None:
    """Run batches with up to `size` sends in flight, preparing and finishing each in order on this thread (the
    ledger). A send that raises (a missing scope, say) stops new sends; those in flight are still finished, then
    the error is raised."""
    failure: Exception | None = None
    flight: deque[tuple[Future, _UpdateBatch | _CreateBatch, Any]] = deque()

    def finish_oldest() -> Exception | None:
        future, job, payload = flight.popleft()
        try:
            outcomes = future.result()
        except Exception as error:  # noqa: BLE001 - raised once the batches in flight are finished
            return error
        job.finish(payload, outcomes)
        return None

    with ThreadPoolExecutor(max_workers=size, thread_name_prefix="writeback") as pool:
        for job in jobs:
            while len(flight) >= size and failure is None:
                failure = finish_oldest()
            if failure is not None:
                break
            payload = job.prepare()
            flight.append((pool.submit(job.send, payload), job, payload))
        while flight:
            failure = finish_oldest() or failure
    if failure is not None:
        raise failure


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
    started = time.monotonic()
    plan = plan_tool(engine, config, tool, settings)
    planning_seconds = time.monotonic() - started
    save_plan(engine, plan, run_id)
    decision = check_guard(engine, plan, settings, approved)
    if decision.needs_approval:
        raise ApprovalRequired(
            f"{tool} write-back needs approval: {decision.reason}. Review `customer-hub writeback plan --tool {tool}`, "
            f"then run `customer-hub writeback approve {run_id}` (or set the run config approve: true)"
        )
    result = apply_plan(engine, plan, client, run_id, settings)
    result.planning_seconds = planning_seconds
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


PER_RECORD_CHUNK = 25
"""Records one worker sends one after another, for tools that take one record per request."""


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
