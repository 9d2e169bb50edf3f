"""Field quarantines as a check, and accepting a vendor's new mapping.

A sync that would have emptied a field filled on most records holds the last good values (`spokes.field_guard`);
this module turns the open quarantine into a failing, blocking check (so the golden layer waits) and gives a
person one step to accept the change: the renames schema drift recognised become part of the mapping, and the
stream's current schema becomes its drift baseline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from customer_hub.quality.checks import CheckResult
from customer_hub.quality.reports import schema_drifts
from customer_hub.store import quality_store, quarantine_store

CHECK = "field_quarantine"


@dataclass(frozen=True)
class Acceptance:
    """What accepting a stream's new mapping did."""

    tool: str
    object: str
    fields: list[str]
    renames: dict[str, str]

    def describe(self) -> str:
        stream = f"{self.tool} {self.object}"
        if not self.fields:
            return f"{stream}: no quarantined field to accept"
        renamed = ", ".join(f"{old} -> {new}" for old, new in self.renames.items()) or "none recognised"
        return (
            f"{stream}: accepted the new mapping of {', '.join(self.fields)} (renames: {renamed}); run a full sync "
            f"of {self.tool}_{self.object} (mode: full) to re-derive every record"
        )


def accept_new_mapping(
    engine: Engine, tool: str, obj: str, accepted_by: str, now: datetime, ignore: Sequence[str] = ()
) -> Acceptance:
    """Accept every open quarantine of the stream with the renames drift detection recognised."""
    drifts = schema_drifts(engine, [(tool, obj)], ignore)
    renames = {item["from"]: item["to"] for drift in drifts for item in drift.renamed}
    fields = quarantine_store.accept(engine, tool, obj, renames, accepted_by, now)
    if fields:
        quality_store.accept_schema(engine, tool, obj, accepted_by, now)
    return Acceptance(tool, obj, fields, renames if fields else {})


def check_quarantine(stream: str, tool: str, obj: str, rows: Sequence[Mapping[str, Any]]) -> CheckResult:
    """Fails (ERROR, blocking) while any field of the stream is quarantined; names the fields and the fix."""
    open_rows = [row for row in rows if row["status"] == quarantine_store.OPEN]
    offenders = [
        {
            "tool": tool,
            "stream": stream,
            "field": row["field"],
            "summary": f"{row['field']}: {row['detail'].get('emptied')} of {row['detail'].get('filled_before')} "
            "filled values would have been emptied",
        }
        for row in open_rows
    ]
    names = ", ".join(row["field"] for row in open_rows)
    figure = (
        f"{tool} {obj}: {names} held at the last good values; accept with `customer-hub accept-fields {tool} {obj}`"
        if open_rows
        else f"{tool} {obj}: no field quarantined"
    )
    return CheckResult(
        check=CHECK,
        subject=stream,
        asset=stream,
        passed=not open_rows,
        severity="ERROR",
        value=len(open_rows),
        threshold=0,
        figure=figure,
        goal="no sync empties a field that was filled on most records",
        state=names or "none",
        offenders=offenders,
        offender_count=len(open_rows),
        tool=tool,
    )


def quarantine_check(engine: Engine, stream: str, tool: str, obj: str) -> CheckResult:
    """The check as the stream stands in the hub store."""
    return check_quarantine(stream, tool, obj, quarantine_store.quarantines(engine, tool, obj))
