"""Customer records: every landed record as one canonical row, the input of entity resolution.

A record that vanished from its tool stays in the table with `deleted_at` (the hub never forgets what it saw) but
is left out of resolution, so a deleted contact no longer holds two customers together.

Each row's `attributes` hold the canonical fields as the tool gave them and, under the `normalized` key, their
normalised forms (`customer_hub.resolution.normalize_records`: email_normalized, is_role_mailbox,
company_name_normalized, company_domain_normalized, phone_e164, first/last/full_name_normalized, names_swapped;
null where the record has no usable value), so a steward reading a record sees what matching compared.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from customer_hub.resolution import NORMALIZED_COLUMNS, ResolutionSettings, normalize_records
from customer_hub.spokes.canonical import IDENTITY_FIELDS, LINK_FIELDS
from customer_hub.store import golden_store

BASE_COLUMNS = ("record_id", "source_system", "source_object", "source_id")
NORMALIZED_KEY = "normalized"
"""The attributes key holding a record's normalised fields."""
NORMALIZED_FIELDS = tuple(column for column in NORMALIZED_COLUMNS if column != "record_id")


def record_id(tool: str, obj: str, source_id: str) -> str:
    """The hub-wide id of a source record: `tool:object:source_id`, e.g. `hubspot:contacts:101`."""
    return f"{tool}:{obj}:{source_id}"


def customer_record_rows(
    landed: Iterable[Mapping[str, Any]], settings: ResolutionSettings | Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """customer_records rows from landed rows (tool, object, source_id, fields, source_updated_at, deleted_at).

    The canonical fields are kept as landed, with every identity field present so downstream frames always have
    the same columns, and their normalised forms are added under `attributes["normalized"]`, read with the
    matching `settings` (hub.yaml `matching`: role mailboxes, free-mail domains, default phone region).
    """
    rows = []
    for landed_row in landed:
        tool, obj, source_id = landed_row["tool"], landed_row["object"], str(landed_row["source_id"])
        attributes: dict[str, Any] = dict.fromkeys(IDENTITY_FIELDS)
        attributes.update({"shared_keys": "", "is_account_only": False})
        attributes.update(landed_row["fields"] or {})
        rid = record_id(tool, obj, source_id)
        attributes.update(record_id=rid, source_system=tool, source_object=obj, source_id=source_id)
        rows.append(
            {
                "record_id": rid,
                "source_system": tool,
                "source_object": obj,
                "source_id": source_id,
                "attributes": attributes,
                "source_updated_at": landed_row["source_updated_at"],
                "deleted_at": landed_row["deleted_at"],
            }
        )
    _add_normalized(rows, settings)
    return rows


def _add_normalized(rows: list[dict[str, Any]], settings: ResolutionSettings | Mapping[str, Any] | None) -> None:
    """Normalise every row in one vectorised pass and store the result in its attributes ('' stored as null)."""
    if not rows:
        return
    wanted = ("record_id", *IDENTITY_FIELDS)
    frame = pd.DataFrame({field: [row["attributes"].get(field) for row in rows] for field in wanted})
    normalized = normalize_records(frame, settings)
    columns = []
    for field in NORMALIZED_FIELDS:
        values = normalized[field].tolist()
        columns.append(values if normalized[field].dtype == bool else [value or None for value in values])
    for row, values in zip(rows, zip(*columns, strict=True), strict=True):
        row["attributes"][NORMALIZED_KEY] = dict(zip(NORMALIZED_FIELDS, values, strict=True))


def records_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The resolution input: one row per live customer record, canonical columns first, tool-owned attributes after,
    then the normalised fields (`NORMALIZED_FIELDS`, missing where a record was stored without them).

    `source_updated_at` is a pandas UTC timestamp column; `shared_keys` is always a string and `is_account_only`
    always a bool, whatever the connector left empty.
    """
    flat = []
    for row in rows:
        if row.get("deleted_at") is not None:
            continue
        attributes = dict(row["attributes"])
        attributes.update(attributes.pop(NORMALIZED_KEY, None) or {})
        attributes.update({column: row[column] for column in BASE_COLUMNS})
        attributes["source_updated_at"] = row.get("source_updated_at")
        flat.append(attributes)
    leading = [*BASE_COLUMNS, *IDENTITY_FIELDS, *LINK_FIELDS, "source_updated_at"]
    frame = pd.DataFrame(flat)
    for column in leading:
        if column not in frame.columns:
            frame[column] = None
    for column in NORMALIZED_FIELDS:
        if column not in frame.columns:
            frame[column] = None
    tool_owned = sorted(set(frame.columns) - set(leading) - set(NORMALIZED_FIELDS))
    frame = frame[leading + tool_owned + list(NORMALIZED_FIELDS)]
    frame["shared_keys"] = frame["shared_keys"].fillna("").astype(str)
    frame["is_account_only"] = frame["is_account_only"].map(_truthy).astype(bool)
    frame["source_updated_at"] = pd.to_datetime(frame["source_updated_at"], utc=True)
    return frame.reset_index(drop=True)


def _truthy(value: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def build_customer_records(
    engine: Engine, settings: ResolutionSettings | Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Rebuild customer_records from landed_records, normalised with the matching `settings` (hub.yaml
    `matching`; the defaults when None). Returns counts for the run's metadata.

    The table is replaced as a whole in one transaction: at hub scale (tens of thousands of records) a full
    rewrite is cheaper and simpler than diffing, and it can never drift from the landed data. A record the
    write-back created and nobody has changed since only confirms its golden customer (`writeback.created`).
    """
    from customer_hub.writeback.created import without_tool_defaults  # the write-back imports this module

    rows = customer_record_rows(without_tool_defaults(engine, golden_store.landed_rows(engine)), settings)
    golden_store.replace_customer_records(engine, rows)
    live = [row for row in rows if row["deleted_at"] is None]
    return {
        "records": len(rows),
        "live": len(live),
        "deleted": len(rows) - len(live),
        "live_per_tool": dict(sorted(Counter(row["source_system"] for row in live).items())),
        "newest_source_update": max(
            (row["source_updated_at"] for row in rows if isinstance(row["source_updated_at"], datetime)),
            default=None,
        ),
    }
