"""What changed in the golden records since the last run, as rows to write and history to keep.

Pure: the previous golden rows and this run's surviving records in, inserts/updates/history out. Nothing is ever
deleted: an id that lost its records to another is kept with status `merged` and `merged_into`, and one whose
records all vanished is `retired`. Ids are never reused, so a merge undone by a steward gives the split-off part a
new id with a `split` event naming the old one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class GoldenChanges:
    """Rows for golden_customers (new and changed) and golden_history."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    def count(self, event: str) -> int:
        return sum(row["event"] == event for row in self.history)


def _changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def golden_changes(
    existing: Mapping[str, Mapping[str, Any]],
    survived: Iterable[Mapping[str, Any]],
    id_events: Iterable[Mapping[str, Any]],
    now: datetime,
    members: Mapping[str, set[str]] | None = None,
) -> GoldenChanges:
    """Compare this run's golden records with the stored ones.

    `survived`: golden_id, kind, fields, field_sources, source_times (optional) and `records` (the record ids behind
    it) per golden record of this run. `id_events`: merge and split events of the stable-id assignment (golden_id,
    event, detail; a merged-away id has `into` in its detail). `members`: the record ids each id held before.
    Changed fields and records that joined or left become one `updated` event with before/after values.
    """
    changes = GoldenChanges()
    events = list(id_events)
    merged_into = {event["golden_id"]: event["detail"].get("into") for event in events if event["event"] == "merged"}
    current: set[str] = set()

    def log(golden_id: str, event: str, detail: Mapping[str, Any]) -> None:
        changes.history.append({"golden_id": golden_id, "event": event, "detail": dict(detail), "recorded_at": now})

    for row in survived:
        golden_id = row["golden_id"]
        current.add(golden_id)
        fields, sources, times = dict(row["fields"]), dict(row["field_sources"]), row.get("source_times")
        before = existing.get(golden_id)
        if before is None:
            changes.inserts.append(
                {
                    "golden_id": golden_id,
                    "kind": row["kind"],
                    "status": "active",
                    "merged_into": None,
                    "fields": fields,
                    "field_sources": sources,
                    "source_times": times,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if not any(e["golden_id"] == golden_id and e["event"] == "created" for e in events):
                log(golden_id, "created", {"records": list(row.get("records", []))})
            continue
        changed = _changed_fields(before["fields"] or {}, fields)
        if changed or sources != (before["field_sources"] or {}) or times != before.get("source_times"):
            changes.updates.append({"golden_id": golden_id, "fields": fields, "field_sources": sources,
                                    "source_times": times, "updated_at": now})  # fmt: skip
        had, has = set((members or {}).get(golden_id, ())), set(row.get("records", ()))
        if changed or (members is not None and had != has):
            detail: dict[str, Any] = {"fields": changed, "sources": {key: sources.get(key) for key in changed}}
            if members is not None:
                detail.update(records_joined=sorted(has - had), records_left=sorted(had - has))
            log(golden_id, "updated", detail)

    for golden_id, before in existing.items():
        if golden_id in current or before["status"] != "active":
            continue
        survivor = merged_into.get(golden_id)
        status = "merged" if survivor else "retired"
        changes.updates.append({"golden_id": golden_id, "status": status, "merged_into": survivor, "updated_at": now})
        if not survivor:
            log(golden_id, "retired", {"reason": "no live source record is left"})

    for event in events:
        log(event["golden_id"], event["event"], event["detail"])
    return changes
