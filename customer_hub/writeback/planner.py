"""The diff planner: golden value vs the value last landed from the tool vs the value last written (ledger).

Pure Python over plain values, so every rule is tested without a database or Dagster. Only real changes are
planned: a value the tool already holds, or one the hub wrote and no sync has contradicted, is `unchanged`; an
empty golden value never overwrites a filled one (`keep`); a record linked below the auto-merge threshold is
`skipped`, because a wrong link would write one customer's data into another's record.
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

    @property
    def records_changed(self) -> int:
        return len({(obj, change.source_id) for obj, changes in self.by_object.items() for change in changes})

    def fingerprint(self) -> str:
        """The same changes give the same fingerprint: an approval covers re-running the plan it approved."""
        items = sorted((obj, c.source_id, c.field, c.new) for obj, changes in self.by_object.items() for c in changes)
        return hashlib.sha256(json.dumps([self.tool, items]).encode()).hexdigest()

    def summary(self) -> dict[str, Any]:
        per_field: dict[str, Counter] = defaultdict(Counter)
        for change in self.changes:
            per_field[change.field][change.operation] += 1
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
        return {
            "tool": self.tool,
            "planned": len(self.changes),
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
