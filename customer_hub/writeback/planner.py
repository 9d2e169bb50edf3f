"""The diff planner: golden value vs the value last landed from the tool vs the value last written (ledger).

Pure Python over plain values, so every rule is tested without a database or Dagster. Only real changes are
planned: a value the tool already holds, or one the hub wrote and no sync has contradicted, is `unchanged`; an
empty golden value never overwrites a filled one (`keep`); a record linked below the auto-merge threshold is
`skipped`, because a wrong link would write one customer's data into another's record. An `upsert` target also
plans one create per golden customer the tool has no record of, once: a create sent before is never planned anew
(only re-sent with its key when its answer was lost), so a record is created at most once per golden customer.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from customer_hub.writeback.fields import UNKNOWN

SAMPLE_ROWS = 10


@dataclass(frozen=True)
class Desired:
    """What one tool field of one record should hold, and why."""

    source_id: str
    field: str
    value: str | None
    golden_id: str | None
    origin: str  # golden field name, "golden_id" or "flow:<name>"
    confidence: float = 1.0
    null_policy: str = "keep"


@dataclass(frozen=True)
class LastWrite:
    """The newest ledger row of a record field."""

    status: str  # pending, applied, confirmed, overwritten, rejected
    new_value: str | None
    writes: int = 0  # applied writes to the record so far: keeps idempotency keys unique across time


@dataclass(frozen=True)
class CreateWanted:
    """A golden customer without a record in the target tool, and what its new record would hold."""

    golden_id: str
    values: dict[str, str]  # tool field -> value (empty values left out)
    identified: bool = True  # holds one of the fields the tool identifies a new record by


@dataclass(frozen=True)
class CreateSent:
    """The create row of a golden customer in a target (one per golden customer, ever)."""

    status: str  # pending (answer not seen), applied, rejected
    attempt: int
    idempotency_key: str


@dataclass(frozen=True)
class Create:
    golden_id: str
    values: dict[str, str]
    idempotency_key: str
    attempt: int
    resend: bool  # sent before without an answer: it may exist already, so look for it before creating


@dataclass(frozen=True)
class Change:
    source_id: str
    field: str
    old: str | None
    new: str | None
    golden_id: str | None
    origin: str

    @property
    def operation(self) -> str:
        return "fill" if self.old is None else ("clear" if self.new is None else "update")


@dataclass
class Plan:
    """The changes for one tool and what was left alone, with the counts the CLI and the asset show."""

    tool: str
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    linked_records: int = 0
    by_object: dict[str, list[Change]] = field(default_factory=dict)
    creates: dict[str, list[Create]] = field(default_factory=dict)  # object -> records to create
    writes: dict[str, dict[str, int]] = field(default_factory=dict)
    """object -> record -> writes the tool accepted so far (keeps each new write's idempotency key new)."""

    @property
    def records_changed(self) -> int:
        updated = {(obj, change.source_id) for obj, changes in self.by_object.items() for change in changes}
        return len(updated) + self.records_created

    @property
    def records_created(self) -> int:
        return sum(len(creates) for creates in self.creates.values())

    def fingerprint(self) -> str:
        """The same changes give the same fingerprint: an approval covers re-running the plan it approved."""
        items = sorted((obj, c.source_id, c.field, c.new) for obj, changes in self.by_object.items() for c in changes)
        new = sorted(
            (obj, c.golden_id, sorted(c.values.items())) for obj, creates in self.creates.items() for c in creates
        )
        return hashlib.sha256(json.dumps([self.tool, items, new] if new else [self.tool, items]).encode()).hexdigest()

    def summary(self) -> dict[str, Any]:
        per_field: dict[str, Counter] = defaultdict(Counter)
        for change in self.changes:
            per_field[change.field][change.operation] += 1
        for creates in self.creates.values():
            for create in creates:
                for name in create.values:
                    per_field[name]["create"] += 1
        samples = [
            {
                "object": obj,
                "record": c.source_id,
                "field": c.field,
                "before": c.old,
                "after": c.new,
                "golden_id": c.golden_id,
            }
            for obj, changes in self.by_object.items()
            for c in changes[:SAMPLE_ROWS]
        ][:SAMPLE_ROWS]
        samples += [
            {"object": obj, "record": None, "field": "(new record)", "before": None, "after": c.values,
             "golden_id": c.golden_id}
            for obj, creates in self.creates.items()
            for c in creates[:SAMPLE_ROWS]
        ][: max(0, SAMPLE_ROWS - len(samples))]  # fmt: skip
        return {
            "tool": self.tool,
            "planned": len(self.changes),
            "creates": self.records_created,
            "records_changed": self.records_changed,
            "records_linked": self.linked_records,
            "unchanged": self.unchanged,
            "skipped": dict(self.skipped),
            "fields": {name: dict(counts) for name, counts in sorted(per_field.items())},
            "samples": samples,
        }


def plan_object(
    plan: Plan,
    obj: str,
    desired: Iterable[Desired],
    current: Mapping[tuple[str, str], Any],
    ledger: Mapping[tuple[str, str], LastWrite],
    threshold: float,
) -> None:
    """Add one tool object's changes to `plan`. `current[(record, field)]` is the landed value (UNKNOWN when the
    payload lacks the field; records not landed are absent and skipped); `ledger[(record, field)]` the last write."""
    changes = plan.by_object.setdefault(obj, [])
    linked: set[str] = set()
    for item in desired:
        key = (item.source_id, item.field)
        if key not in current:
            plan.skipped["not_landed"] += 1
            continue
        linked.add(item.source_id)
        if item.confidence < threshold:
            plan.skipped["low_confidence"] += 1
            continue
        landed, last = current[key], ledger.get(key)
        if last is not None and last.status == "applied" and last.new_value == item.value:
            plan.unchanged += 1  # written by the hub, not yet read back by a sync
            continue
        if landed is UNKNOWN:
            held = last.new_value if last is not None and last.status in ("applied", "confirmed") else UNKNOWN
        else:
            held = landed
        if held == item.value:
            plan.unchanged += 1
            continue
        if item.value is None and item.null_policy == "keep":
            plan.skipped["empty_golden_value"] += 1
            continue
        old = None if held is UNKNOWN else held
        change = Change(item.source_id, item.field, old, item.value, item.golden_id, item.origin)
        changes.append(change)
        plan.changes.append(change)
    plan.linked_records += len(linked)


def plan_creates(
    plan: Plan, obj: str, tool: str, wanted: Iterable[CreateWanted], sent: Mapping[str, CreateSent]
) -> None:
    """Add one upsert target's creates to `plan`. `wanted` are the golden customers the tool has no linked record
    of; `sent[golden_id]` the create sent for one before. A created record (applied) waits for the next sync to
    link it and is never created again, even after someone deletes it in the tool; a pending one (its answer was
    lost) is re-sent with the same key; a rejected one is tried again under a new key."""
    creates = plan.creates.setdefault(obj, [])
    for item in wanted:
        before = sent.get(item.golden_id)
        if before is not None and before.status == "applied":
            plan.unchanged += 1
            continue
        if not item.identified:
            plan.skipped["create_without_identity"] += 1
            continue
        if before is not None and before.status == "pending":
            creates.append(Create(item.golden_id, item.values, before.idempotency_key, before.attempt, resend=True))
            continue
        attempt = before.attempt + 1 if before is not None else 0
        creates.append(
            Create(item.golden_id, item.values, create_key(tool, obj, item.golden_id, attempt), attempt, False)
        )


def create_key(tool: str, obj: str, golden_id: str, attempt: int) -> str:
    """One key per create attempt: a lost answer's re-send carries the same key (Stripe replays, QuickBooks'
    `requestid` too); a create tried again after the tool refused it gets a new one."""
    return hashlib.sha256(json.dumps([tool, obj, "create", golden_id, attempt]).encode()).hexdigest()[:48]


@dataclass(frozen=True)
class GuardDecision:
    needs_approval: bool
    reason: str


def guard(plan: Plan, max_share: float, max_records: int) -> GuardDecision:
    """A plan changing more records than `max_records`, or more than `max_share` of the linked records, waits for
    approval: a mapping mistake or a bad merge would otherwise rewrite a whole CRM in one run."""
    return guard_counts(plan.records_changed, plan.linked_records, max_share, max_records)


def guard_counts(changed: int, linked: int, max_share: float, max_records: int) -> GuardDecision:
    """`guard` on the counts a stored plan keeps."""
    linked = max(linked, 1)
    share = changed / linked
    if changed > max_records:
        return GuardDecision(True, f"{changed} records would change, more than max_records {max_records}")
    if share > max_share:
        reason = f"{changed} of {linked} linked records ({share:.0%}) would change, more than {max_share:.0%}"
        return GuardDecision(True, reason)
    return GuardDecision(False, f"{changed} of {linked} linked records would change")


def idempotency_key(tool: str, obj: str, source_id: str, changes: Iterable[Change], writes: int) -> str:
    """One key per record request: the same pending change re-sent after a lost reply gets the same key (Stripe
    replays its first answer); a later change of the same record, even back to an old value, gets a new one."""
    body = sorted((c.field, c.new) for c in changes)
    return hashlib.sha256(json.dumps([tool, obj, source_id, body, writes]).encode()).hexdigest()[:48]
