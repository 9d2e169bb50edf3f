"""Customer records: every landed record as one canonical row, the input of entity resolution.

A record that vanished from its tool stays in the table with `deleted_at` (the hub never forgets what it saw) but
is left out of resolution, so a deleted contact no longer holds two customers together.

Each row's `attributes` hold the canonical fields as the tool gave them and, under the `normalized` key, their
normalised forms (`customer_hub.resolution.normalize_records`: email_normalized, is_role_mailbox,
company_name_normalized, company_domain_normalized, phone_e164, first/last/full_name_normalized, names_swapped;
null where the record has no usable value), so a steward reading a record sees what matching compared.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from customer_hub.resolution import NORMALIZED_COLUMNS, ResolutionSettings, normalize_records
from customer_hub.spokes.canonical import IDENTITY_FIELDS, LINK_FIELDS
from customer_hub.store import golden_store, keyed
from customer_hub.store.schema import RESOLUTION_TEXT_FIELDS

BASE_COLUMNS = ("record_id", "source_system", "source_object", "source_id")
NORMALIZED_KEY = "normalized"
"""The attributes key holding a record's normalised fields."""
NORMALIZED_FIELDS = tuple(column for column in NORMALIZED_COLUMNS if column != "record_id")


def record_id(tool: str, obj: str, source_id: str) -> str:
    """The hub-wide id of a source record: `tool:object:source_id`, e.g. `hubspot:contacts:101`."""
    return f"{tool}:{obj}:{source_id}"


def _bare_row(landed_row: Mapping[str, Any]) -> dict[str, Any]:
    """A customer_records row from a landed row, without its normalised fields."""
    tool, obj, source_id = landed_row["tool"], landed_row["object"], str(landed_row["source_id"])
    attributes: dict[str, Any] = dict.fromkeys(IDENTITY_FIELDS)
    attributes.update({"shared_keys": "", "is_account_only": False})
    attributes.update(landed_row["fields"] or {})
    rid = record_id(tool, obj, source_id)
    attributes.update(record_id=rid, source_system=tool, source_object=obj, source_id=source_id)
    return {
        "record_id": rid,
        "source_system": tool,
        "source_object": obj,
        "source_id": source_id,
        "attributes": attributes,
        "source_updated_at": landed_row["source_updated_at"],
        "deleted_at": landed_row["deleted_at"],
    }


def customer_record_rows(
    landed: Iterable[Mapping[str, Any]], settings: ResolutionSettings | Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """customer_records rows from landed rows (tool, object, source_id, fields, source_updated_at, deleted_at).

    The canonical fields are kept as landed, with every identity field present so downstream frames always have
    the same columns, and their normalised forms are added under `attributes["normalized"]`, read with the
    matching `settings` (hub.yaml `matching`: role mailboxes, free-mail domains, default phone region).
    """
    rows = [_bare_row(landed_row) for landed_row in landed]
    if rows:
        normalized = _normalized(pd.DataFrame({field: [row["attributes"].get(field) for row in rows]
                                               for field in ("record_id", *IDENTITY_FIELDS)}), settings)  # fmt: skip
        for row, values in zip(rows, normalized, strict=True):
            row["attributes"][NORMALIZED_KEY] = values
    return rows


def _normalized(identity: pd.DataFrame, settings: ResolutionSettings | Mapping[str, Any] | None) -> list[dict]:
    """Each record's normalised fields ('' stored as null), normalised together in one vectorised pass: some read
    the whole hub (a name part's use as first or last name across all records decides a swap)."""
    normalized = normalize_records(identity, settings)
    columns = []
    for field in NORMALIZED_FIELDS:
        values = normalized[field].tolist()
        columns.append(values if normalized[field].dtype == bool else [value or None for value in values])
    return [dict(zip(NORMALIZED_FIELDS, values, strict=True)) for values in zip(*columns, strict=True)]


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


STEP = "customer_records"


def _settings_fingerprint(settings: ResolutionSettings | Mapping[str, Any] | None) -> str:
    """Normalisation depends on the matching settings: a change to them rewrites every record."""
    dumped = settings.model_dump(mode="json") if isinstance(settings, ResolutionSettings) else dict(settings or {})
    return hashlib.sha1(json.dumps(dumped, sort_keys=True, default=str).encode()).hexdigest()


def read_with(engine: Engine, settings: ResolutionSettings | Mapping[str, Any] | None) -> bool:
    """Whether customer_records was last built with these matching settings, so that what it read ahead for
    matching (`resolution_input.phone_e164`) is what matching would read now."""
    state = keyed.read_state(engine, STEP)
    return state is not None and state.fingerprint == _settings_fingerprint(settings)


def _row_hash(row: Mapping[str, Any]) -> str:
    """What a customer_records row holds before normalisation, as one hash."""
    text = json.dumps(
        [row["attributes"], str(row["source_updated_at"]), str(row["deleted_at"])], sort_keys=True, default=str
    )
    return hashlib.sha1(text.encode()).hexdigest()


def _hash_with(base: str, normalized: Mapping[str, Any]) -> str:
    """The row's hash with its normalised fields: a rebuild rewrites the rows whose hash moved."""
    return hashlib.sha1((base + json.dumps(normalized, sort_keys=True)).encode()).hexdigest()


def resolution_input_row(row: Mapping[str, Any], revision: int) -> dict[str, Any]:
    """The `resolution_input` row of a live customer record: the fields matching reads, one column each, and the
    phone already read as E.164 (parsing every number again was a tenth of a golden run)."""
    attributes = row["attributes"]
    values = {field: attributes.get(field) for field in RESOLUTION_TEXT_FIELDS}
    values = {field: None if value in (None, "") else str(value) for field, value in values.items()}
    normalized = attributes.get(NORMALIZED_KEY)
    return {
        "record_id": row["record_id"],
        "source_system": row["source_system"],
        "source_object": row["source_object"],
        "source_id": row["source_id"],
        **values,
        "is_account_only": _truthy(attributes.get("is_account_only")),
        "phone_e164": None if normalized is None else normalized.get("phone_e164") or "",
        "source_updated_at": row["source_updated_at"],
        "revision": revision,
    }


def _created_records_confirming_only(engine: Engine) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A landed row as customer records should read it: a record the write-back created and nobody has changed
    since only confirms its golden customer (`writeback.created`); other rows are as landed."""
    from customer_hub.writeback.created import confirming_only, untouched_created  # the write-back imports us

    created = untouched_created(engine)

    def confirmed(row: dict[str, Any]) -> dict[str, Any]:
        golden = created.get((row["tool"], row["object"], str(row["source_id"]))) if created else None
        return row if golden is None else {**row, "fields": confirming_only(row["fields"] or {}, golden)}

    return confirmed


def build_customer_records(
    engine: Engine, settings: ResolutionSettings | Mapping[str, Any] | None = None, *, full: bool = False
) -> dict[str, Any]:
    """Bring customer_records (and `resolution_input`, the columns matching reads) up to date with
    landed_records, normalised with the matching `settings` (hub.yaml `matching`; the defaults when None).
    Returns counts for the run's metadata, `changed` among them.

    Only rows whose content moved are written (upserted by record id), each stamped with this run's revision so the
    golden layer and the 360 view can tell what changed since they last ran. Normalisation reads the whole hub, so
    every landed record is read, in two passes that keep memory bounded: the identity fields and a hash of the rest
    of every record, then the whole of the changed ones only. When landing changed nothing a customer record is made
    of since the last run (a sync that only read records again changes nothing) and the settings are the same,
    nothing is read at all. `full` rewrites every row.
    """
    fingerprint = _settings_fingerprint(settings)
    landed_now = keyed.landed_fingerprint(engine)
    state = keyed.read_state(engine, STEP)
    if not full and state and state.fingerprint == fingerprint and state.detail.get("landed") == landed_now:
        return {**state.detail["summary"], "changed": 0}

    confirmed = _created_records_confirming_only(engine)
    landed_ids, identity, partial = [], [], []
    for row in golden_store.landed_batches(engine):
        bare = _bare_row(confirmed(row))
        landed_ids.append(row["id"])
        identity.append([bare["attributes"].get(field) for field in ("record_id", *IDENTITY_FIELDS)])
        partial.append((bare["record_id"], bare["source_system"], bare["deleted_at"] is None, _row_hash(bare)))
    normalized = _normalized(pd.DataFrame(identity, columns=["record_id", *IDENTITY_FIELDS]), settings)
    del identity
    stored = {} if full else golden_store.customer_record_hashes(engine)
    hashes = {
        rid: _hash_with(base, values) for (rid, _tool, _live, base), values in zip(partial, normalized, strict=True)
    }
    changed_at = {rid: position for position, (rid, *_rest) in enumerate(partial) if stored.get(rid) != hashes[rid]}
    revision = (state.revision if state else 0) + (1 if changed_at or full else 0)
    summary = {
        "records": len(partial),
        "live": sum(live for _rid, _tool, live, _base in partial),
        "deleted": sum(not live for _rid, _tool, live, _base in partial),
        "live_per_tool": dict(sorted(Counter(tool for _rid, tool, live, _base in partial if live).items())),
    }

    # rows stored before phones were read ahead get them now (looked for until a run finds none), not as changes
    unread = set() if state and state.detail.get("phones_read") else set(golden_store.unread_phones(engine))
    phones = {rid: values["phone_e164"] or "" for (rid, *_rest), values in zip(partial, normalized, strict=True)
              if rid in unread and rid not in changed_at} if unread else {}  # fmt: skip

    def changed_rows() -> Iterator[dict[str, Any]]:
        for row in golden_store.landed_by_id(engine, [landed_ids[position] for position in changed_at.values()]):
            bare = _bare_row(confirmed(row))
            bare["attributes"][NORMALIZED_KEY] = normalized[changed_at[bare["record_id"]]]
            yield {**bare, "content_hash": hashes[bare["record_id"]], "revision": revision}

    golden_store.save_customer_records(
        engine,
        changed_rows(),
        lambda row: resolution_input_row(row, revision),
        state=keyed.StepState(revision, fingerprint, {"landed": landed_now, "summary": summary, "phones_read": True}),
        full=full,
        phones=phones,
    )
    return {**summary, "changed": len(changed_at)}
