"""Schema changes as units of work: one per tool, object and field, each with a stable key and ticket text.

Schema drift describes a stream as a whole ("renamed email → email_address; added loyalty_tier"); change control
needs one item per field, because each field is patched, tracked and closed on its own. A change's key hashes
tool, object and field, so it is the same on every run and every machine, and the ticket carries it as a marker
(`[schema-change 1a2b…]`) that find-before-create searches for: Asana has no idempotency key for tasks.
A rename is keyed by its old field, the one the mapping reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from customer_hub.quality.drift import Drift

NAME_LIMIT = 250
"""Longest task name the hub writes (Asana shows about this much; the marker is kept whole)."""


@dataclass(frozen=True)
class SchemaChange:
    """One field a tool added, removed or renamed in one stream."""

    tool: str
    object: str
    field: str
    kind: str
    summary: str

    @property
    def key(self) -> str:
        return hashlib.sha1(f"{self.tool}\n{self.object}\n{self.field}".encode()).hexdigest()[:16]

    @property
    def marker(self) -> str:
        return f"[schema-change {self.key}]"

    @property
    def stream(self) -> str:
        return f"{self.tool}_{self.object}"

    def row(self) -> dict[str, Any]:
        """The columns of its `schema_changes` row."""
        return {
            "change_key": self.key,
            "tool": self.tool,
            "object": self.object,
            "field": self.field,
            "kind": self.kind,
            "summary": self.summary,
        }


def changes_of(drifts: Iterable[Drift]) -> list[SchemaChange]:
    """Every field change of every stream's drift, renames first as `describe` lists them."""
    found = []
    for drift in drifts:
        for item in drift.renamed:
            found.append(
                SchemaChange(
                    drift.tool, drift.object, item["from"], "renamed", f"renamed {item['from']} → {item['to']}"
                )
            )
        found += [SchemaChange(drift.tool, drift.object, path, "added", f"added {path}") for path in drift.added]
        found += [SchemaChange(drift.tool, drift.object, path, "removed", f"removed {path}") for path in drift.removed]
    return found


@dataclass(frozen=True)
class Reconciliation:
    """How the changes found now compare with those the hub already tracks."""

    opened: list[SchemaChange]
    reopened: list[SchemaChange]
    seen: list[SchemaChange]
    resolved: list[str]


def reconcile(current: Sequence[SchemaChange], tracked: Sequence[Mapping[str, Any]]) -> Reconciliation:
    """New changes open, tracked ones that are back reopen, open ones no longer found resolve."""
    status = {row["change_key"]: row["status"] for row in tracked}
    keys = {change.key for change in current}
    return Reconciliation(
        opened=[change for change in current if change.key not in status],
        reopened=[change for change in current if status.get(change.key) == "resolved"],
        seen=[change for change in current if status.get(change.key) == "open"],
        resolved=sorted(key for key, state in status.items() if state == "open" and key not in keys),
    )


def ticket_name(change: Mapping[str, Any]) -> str:
    """'Schema change: hubspot contacts: renamed properties.email → properties.email_address [schema-change …]'."""
    marker = marker_of(change)
    text = f"Schema change: {change['tool']} {change['object']}: {change['summary']}"
    room = NAME_LIMIT - len(marker) - 1
    return f"{text if len(text) <= room else text[: room - 1] + '…'} {marker}"


def ticket_notes(change: Mapping[str, Any], owner: str, ui_url: str) -> str:
    """What changed, who owns the tool, what to do, and the marker on its own line."""
    stream = f"{change['tool']}_{change['object']}"
    return "\n".join(
        [
            f"{change['tool']} {change['object']}: {change['summary']}",
            f"Owner: {owner} (systems.{change['tool']}.owner in hub.yaml)",
            f"First seen: {change['first_seen_at']:%Y-%m-%d %H:%M} UTC",
            "",
            "What to do: update the connector's mapping of this field in the next weekly integration patch, then "
            f"accept the new schema with `customer-hub changes accept {change['tool']} {change['object']}`. The hub "
            "completes this task when the change is resolved or accepted.",
            f"In Dagster: {ui_url.rstrip('/')}/assets/{stream}",
            "",
            f"customer-hub change id: {marker_of(change)}",
        ]
    )


def marker_of(change: Mapping[str, Any]) -> str:
    return f"[schema-change {change['change_key']}]"


def find_ticket(tasks: Iterable[Mapping[str, Any]], marker: str) -> Mapping[str, Any] | None:
    """The task carrying the marker in its name or notes (people edit one or the other, rarely both)."""
    for task in tasks:
        if marker in str(task.get("name") or "") or marker in str(task.get("notes") or ""):
            return task
    return None


@dataclass(frozen=True)
class DigestLine:
    """One open change in the weekly digest."""

    tool: str
    object: str
    summary: str
    owner: str
    age_days: int
    ticket_url: str | None
    ticket_state: str | None
    ticket_error: str | None

    def text(self) -> str:
        ticket = {
            None: "no ticket yet" + (f" ({self.ticket_error})" if self.ticket_error else ""),
            "open": "ticket open",
            "completed": "ticket completed, change not accepted yet",
        }.get(self.ticket_state, self.ticket_state or "")
        return (
            f"{self.tool} {self.object}: {self.summary} · open {self.age_days} day{'s' * (self.age_days != 1)} · "
            f"owner {self.owner} · {ticket}"
        )


def digest_lines(
    open_changes: Sequence[Mapping[str, Any]], owners: Mapping[str, str], now: datetime
) -> list[DigestLine]:
    """The open changes, oldest first, with their age in days and the owner of their tool."""
    lines = [
        DigestLine(
            tool=row["tool"],
            object=row["object"],
            summary=row["summary"],
            owner=owners.get(row["tool"], "no owner in hub.yaml"),
            age_days=max((now - row["first_seen_at"]).days, 0),
            ticket_url=row.get("ticket_url"),
            ticket_state=row.get("ticket_state") if row.get("ticket_gid") else None,
            ticket_error=row.get("ticket_error"),
        )
        for row in open_changes
    ]
    return sorted(lines, key=lambda line: (-line.age_days, line.tool, line.object, line.summary))
