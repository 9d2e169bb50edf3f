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
import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from customer_hub.resolution import (
    NORMALIZED_COLUMNS,
    NameUses,
    ResolutionSettings,
    name_parts,
    normalize_records,
    record_name_parts,
)
from customer_hub.spokes.canonical import IDENTITY_FIELDS, LINK_FIELDS
from customer_hub.store import frames, golden_store, keyed
from customer_hub.store.schema import RESOLUTION_TEXT_FIELDS

log = logging.getLogger(__name__)

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
        identity = {field: [_as_text(row["attributes"].get(field)) for row in rows] for field in IDENTITY_FIELDS}
        normalized = Normalized(pd.DataFrame({"record_id": [row["record_id"] for row in rows], **identity}), settings)
        for position, row in enumerate(rows):
            row["attributes"][NORMALIZED_KEY] = normalized.at(position)
            row.update(normalized.parts_at(position))
    return rows


class Normalized:
    """Records' normalised fields ('' stored as null), normalised together in one vectorised pass. A swap is judged
    from the hub's name uses: those of these records, or `uses` when they are only some of the hub's. Held column by
    column: a run needs the dict of only the records it writes, and the hash of every one (`content_hashes`);
    `parts` are each record's name parts as `NameUses` counts them."""

    def __init__(
        self,
        identity: pd.DataFrame,
        settings: ResolutionSettings | Mapping[str, Any] | None,
        uses: NameUses | None = None,
    ) -> None:
        normalized = normalize_records(identity, settings, uses)
        self.parts: tuple[np.ndarray, np.ndarray] = name_parts(normalized)
        self.columns: dict[str, list[Any]] = {}
        for field in NORMALIZED_FIELDS:
            values = normalized[field].tolist()
            self.columns[field] = values if normalized[field].dtype == bool else [value or None for value in values]

    def at(self, position: int) -> dict[str, Any]:
        """One record's normalised fields, as stored under `attributes["normalized"]`."""
        return {field: self.columns[field][position] for field in NORMALIZED_FIELDS}

    def parts_at(self, position: int) -> dict[str, str]:
        """One record's name parts as customer_records stores them."""
        return {"first_name_part": self.parts[0][position], "last_name_part": self.parts[1][position]}

    def content_hashes(self, bases: list[str]) -> list[str]:
        """Per record, the hash of its row: its base hash (`_row_hash`) followed by its normalised fields as sorted
        JSON, as `json.dumps(fields, sort_keys=True)` writes them. Made column-wise, each distinct value encoded
        once: dumping a dict per record took four seconds at 300k records."""
        pieces = []
        for field in sorted(NORMALIZED_FIELDS):
            codes, distinct = pd.factorize(pd.Series(self.columns[field], dtype=object))  # None -> -1
            encoded = [f"{json.dumps(field)}: {json.dumps(value)}" for value in [*distinct.tolist(), None]]
            pieces.append(np.array(encoded, dtype=object)[codes].tolist())
        return [
            hashlib.sha1((base + "{" + ", ".join(fields) + "}").encode()).hexdigest()
            for base, *fields in zip(bases, *pieces, strict=True)
        ]


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


NORMALISATION = 6
"""Which release's reading of values the stored normalised fields are: raised whenever a release reads some value
otherwise (2: a phone written with '00' in front is international whatever the default region, an address copied with
its owner's name is the address, a degree after a comma or a company beside a full name is no part of the name; 3: a
trading name after 'dba' is no part of a company name; 4: nor are a trailing ', The', a former name or a department;
abbreviated words of company names read as the word, and an address with a space beside its '@' as the address; 5:
nor is a legal form written out in words, 'Public Limited Company'; 6: names, companies and places in other scripts
read in Latin letters, 'Иван Петров' as 'ivan petrov', a Chinese full name family name first, nor are 'A/S',
'Sp. z o.o.', 'Kft.' and a Russian form before or after the name part of it; a ZIP+4 is its ZIP, 'St. Louis' is
Saint Louis and 'Hauptstraße' is 'Hauptstr.'), so that an upgraded hub normalises
every record again once, on its next customer-records run, instead of keeping the old reading for every record that
never changes."""


def _settings_fingerprint(settings: ResolutionSettings | Mapping[str, Any] | None) -> str:
    """Normalisation depends on the matching settings and on the release's normalisers (`NORMALISATION`): a change
    to either normalises every record again."""
    dumped = settings.model_dump(mode="json") if isinstance(settings, ResolutionSettings) else dict(settings or {})
    return hashlib.sha1(json.dumps([NORMALISATION, dumped], sort_keys=True, default=str).encode()).hexdigest()


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


def _as_text(value: Any) -> str | None:
    """A field value as `resolution_input` stores it: text, or None where empty."""
    return None if value in (None, "") else str(value)


def resolution_input_row(row: Mapping[str, Any], revision: int) -> dict[str, Any]:
    """The `resolution_input` row of a live customer record: the fields matching reads, one column each, and the
    phone already read as E.164 (parsing every number again was a tenth of a golden run)."""
    attributes = row["attributes"]
    normalized = attributes.get(NORMALIZED_KEY)
    return {
        "record_id": row["record_id"],
        "source_system": row["source_system"],
        "source_object": row["source_object"],
        "source_id": row["source_id"],
        **{field: _as_text(attributes.get(field)) for field in RESOLUTION_TEXT_FIELDS},
        "is_account_only": _truthy(attributes.get("is_account_only")),
        "phone_e164": None if normalized is None else normalized.get("phone_e164") or "",
        "source_updated_at": row["source_updated_at"],
        "revision": revision,
    }


def _created_records_confirming_only(engine: Engine) -> tuple[Callable[[dict[str, Any]], dict[str, Any]], set[str]]:
    """A landed row as customer records should read it: a record the write-back created and nobody has changed
    since only confirms its golden customer (`writeback.created`); other rows are as landed. Also the ids of the
    records it changes, which depend on golden values and so are read on every run."""
    from customer_hub.writeback.created import confirming_only, untouched_created  # the write-back imports us

    created = untouched_created(engine)

    def confirmed(row: dict[str, Any]) -> dict[str, Any]:
        golden = created.get((row["tool"], row["object"], str(row["source_id"]))) if created else None
        return row if golden is None else {**row, "fields": confirming_only(row["fields"] or {}, golden)}

    return confirmed, {record_id(*key) for key in created}


_PARTS = ("first_name_part", "last_name_part")
_NO_KEYS = pd.DataFrame(
    columns=["content_hash", "base_hash", "landed_signature", *_PARTS], index=pd.Index([], name="record_id")
)


def build_customer_records(
    engine: Engine, settings: ResolutionSettings | Mapping[str, Any] | None = None, *, full: bool = False
) -> dict[str, Any]:
    """Bring customer_records (and `resolution_input`, the columns matching reads) up to date with
    landed_records, normalised with the matching `settings` (hub.yaml `matching`; the defaults when None).
    Returns counts for the run's metadata, among them `changed` (rows written), `read` (landed records decoded)
    and `normalized` (records normalised).

    Only rows whose content moved are written (upserted by record id), each stamped with this run's revision so the
    golden layer and the 360 view can tell what changed since they last ran. Only landed records whose landed row
    moved since they were last read (`frames.landed_index` signatures) are read, decoded and normalised again.
    Normalisation reads the whole hub in one place: a name part's use as first or last name across all records
    decides a swap (`NameUses`). Every record's name parts are stored, so the hub's uses are counted without
    normalising anyone; when the changed records move a part's role, the records holding that part are normalised
    again too (their identity fields from `resolution_input`, or a deleted one's stored attributes), and a record
    nobody changed is rewritten when its names turn out swapped. When landing changed nothing a customer record is
    made of since the last run (a sync that only read records again changes nothing) and the settings are the
    same, nothing is read at all. With other settings, a store from before name parts were kept, or `full`, every
    record is normalised again (`full` also reads and rewrites every row).
    """
    fingerprint = _settings_fingerprint(settings)
    landed_now = keyed.landed_fingerprint(engine)
    state = keyed.read_state(engine, STEP)
    if not full and state and state.fingerprint == fingerprint and state.detail.get("landed") == landed_now:
        return {**state.detail["summary"], "changed": 0, "read": 0, "normalized": 0}

    confirmed, confirming = _created_records_confirming_only(engine)
    landed = frames.landed_index(engine)
    ids = landed["record_id"]
    stored = _NO_KEYS if full else frames.customer_record_keys(engine)
    at = stored.index.get_indexer(ids)  # each landed record's stored row, -1 for none: found once for every column
    signature_then, base_then, content_then, *parts_then = (
        np.append(stored[column].to_numpy(dtype=object), None)[at]
        for column in ("landed_signature", "base_hash", "content_hash", *_PARTS)
    )
    del stored, at
    again = (signature_then != landed["signature"].to_numpy(dtype=object)) | pd.isna(base_then)
    again |= frames.among(ids, confirming | set(state.detail.get("confirming", ()) if state else ()))
    every_part_kept = not pd.isna(parts_then[0][~again]).any() and not pd.isna(parts_then[1][~again]).any()
    by_parts = bool(
        not full and not again.all() and every_part_kept
        and state and state.fingerprint == fingerprint and state.detail.get("phones_read")
    )  # fmt: skip
    known = _stored_identity(engine, landed[~again], by_key=False) if not (again.all() or by_parts) else _NO_IDENTITY
    if not by_parts:
        again |= ~frames.among(ids, known.index)  # what the store lacks is read from landing
    log.info("%d of %d landed records moved since they were last read; reading them", again.sum(), len(landed))

    read_ids, read_identity, base_now = [], [], {}
    for row in _landed_rows(engine, landed["id"][again], every=bool(again.all())):
        bare = _bare_row(confirmed(row))
        read_ids.append(bare["record_id"])
        read_identity.append([_as_text(bare["attributes"].get(field)) for field in IDENTITY_FIELDS])
        base_now[bare["record_id"]] = _row_hash(bare)
    fresh = pd.DataFrame(read_identity, index=pd.Index(read_ids, name="record_id"), columns=list(IDENTITY_FIELDS))
    del read_identity
    if by_parts:
        redo, uses, fresh = _judged_again(engine, landed, again, fresh, parts_then, settings)
    else:
        redo, uses = np.ones(len(landed), dtype=bool), None
        fresh = pd.concat([known, fresh])  # apart by construction: `known` holds no record read again
    del known
    if not again.all():
        log.info("normalising %d records: those read again and those whose names the change may swap", redo.sum())
    positions = np.flatnonzero(redo)  # the records this run normalises, as positions in `landed`
    identity = fresh.reindex(ids.to_numpy()[positions])
    del fresh
    normalized = Normalized(identity.reset_index(), settings, uses)
    del identity
    sub_ids = ids.to_numpy(dtype=object)[positions].tolist()  # walked value by value below: a list
    base = [base_now[rid] if again[at] else base_then[at] for rid, at in zip(sub_ids, positions, strict=True)]
    content = normalized.content_hashes(base)
    signature = landed["signature"].to_numpy(dtype=object)
    changed_at = {rid: local for local, (rid, at) in enumerate(zip(sub_ids, positions, strict=True))
                  if content_then[at] != content[local]}  # fmt: skip
    refreshed = [  # unchanged: remember what was read (and the name parts), so the next run need not read it
        {"record_id": rid, "base_hash": base[local], "landed_signature": signature[at], **normalized.parts_at(local)}
        for local, (rid, at) in enumerate(zip(sub_ids, positions, strict=True))
        if rid not in changed_at
        and (signature_then[at] != signature[at] or base_then[at] != base[local]
             or parts_then[0][at] != normalized.parts[0][local] or parts_then[1][at] != normalized.parts[1][local])
    ]  # fmt: skip
    revision = (state.revision if state else 0) + (1 if changed_at or full else 0)
    summary = {
        "records": len(landed),
        "live": int(landed["live"].sum()),
        "deleted": int((~landed["live"]).sum()),
        "live_per_tool": dict(sorted(Counter(landed.loc[landed["live"], "tool"].tolist()).items())),
    }

    # rows stored before phones were read ahead get them now (looked for until a run finds none), not as changes
    unread = set() if state and state.detail.get("phones_read") else set(golden_store.unread_phones(engine))
    phones = {rid: phone or "" for rid, phone in zip(sub_ids, normalized.columns["phone_e164"], strict=True)
              if rid in unread and rid not in changed_at} if unread else {}  # fmt: skip
    landed_ids = landed["id"].to_numpy()

    def changed_rows() -> Iterator[dict[str, Any]]:
        wanted = [int(landed_ids[positions[local]]) for local in changed_at.values()]
        for row in golden_store.landed_by_id(engine, wanted):
            bare = _bare_row(confirmed(row))
            local = changed_at[bare["record_id"]]
            bare["attributes"][NORMALIZED_KEY] = normalized.at(local)
            yield {**bare, "content_hash": content[local], "base_hash": base[local],
                   "landed_signature": signature[positions[local]], "revision": revision,
                   **normalized.parts_at(local)}  # fmt: skip

    detail = {"landed": landed_now, "summary": summary, "phones_read": True, "confirming": sorted(confirming)}
    golden_store.save_customer_records(
        engine,
        changed_rows(),
        lambda row: resolution_input_row(row, revision),
        state=keyed.StepState(revision, fingerprint, detail),
        full=full,
        phones=phones,
        read_again=refreshed,
    )
    return {**summary, "changed": len(changed_at), "read": int(again.sum()), "normalized": len(positions)}


def _judged_again(
    engine: Engine,
    landed: pd.DataFrame,
    again: np.ndarray,
    fresh: pd.DataFrame,
    parts_then: list[np.ndarray],
    settings: ResolutionSettings | Mapping[str, Any] | None,
) -> tuple[np.ndarray, NameUses, pd.DataFrame]:
    """Which records a run normalises when every unread record's name parts are stored: those read again (`fresh`
    holds their identity fields) and those holding a name part whose role their change moved; the hub's name uses
    now; and the identity fields of both kinds."""
    read = np.flatnonzero(again)
    parts_now = [part.copy() for part in parts_then]
    if len(read):
        parts_now[0][read], parts_now[1][read] = record_name_parts(
            fresh.reindex(landed["record_id"].to_numpy()[read]).reset_index(), settings
        )
    kept_then = ~pd.isna(parts_then[0])  # a record new to the store had no parts then
    uses_then = NameUses.of(parts_then[0][kept_then], parts_then[1][kept_then])
    uses = NameUses.of(*parts_now)
    deciding = uses.deciding(uses_then)
    holders = ~again & (frames.among(pd.Index(parts_now[0]), deciding) | frames.among(pd.Index(parts_now[1]), deciding))
    if holders.any():
        stored = _stored_identity(engine, landed[holders], by_key=True)
        lacking = landed["id"][holders & ~frames.among(landed["record_id"], stored.index)]
        if len(lacking):  # a store written by hand, say: read them as landed
            log.warning("%d records have no stored identity fields; reading them from landing", len(lacking))
            landed_rows = golden_store.landed_by_id(engine, lacking.tolist())
            stored = pd.concat([stored, _identity_of(_bare_row(row) for row in landed_rows)])
        fresh = pd.concat([fresh, stored])
    return again | holders, uses, fresh


_NO_IDENTITY = pd.DataFrame(columns=list(IDENTITY_FIELDS), index=pd.Index([], name="record_id"))


def _stored_identity(engine: Engine, kept: pd.DataFrame, *, by_key: bool) -> pd.DataFrame:
    """The identity fields of the `kept` landed records (`frames.landed_index` rows) as the last run stored them:
    live ones from `resolution_input` (read by key when `by_key`: a few among many), deleted ones from their
    customer record's attributes."""
    wanted = kept.loc[kept["live"], "record_id"]
    if by_key:
        live = frames.live_identity(engine, wanted.tolist())
    else:
        live = frames.live_identity(engine)
        live = live[frames.among(live.index, wanted)]
    gone = golden_store.read_customer_records(engine, live_only=False,
                                              record_ids=kept.loc[~kept["live"], "record_id"].tolist())  # fmt: skip
    deleted = _identity_of(gone)
    return pd.concat([live, deleted]) if len(deleted) else live


def _identity_of(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The identity fields of rows shaped like customer records (`record_id`, `attributes`) as `resolution_input`
    stores them, indexed by record id."""
    rows = list(rows)
    return pd.DataFrame(
        [[_as_text(row["attributes"].get(field)) for field in IDENTITY_FIELDS] for row in rows],
        index=pd.Index([row["record_id"] for row in rows], name="record_id"),
        columns=list(IDENTITY_FIELDS),
    )


def _landed_rows(engine: Engine, landed_ids: pd.Series, *, every: bool) -> Iterator[dict[str, Any]]:
    """The landed rows with these ids: every landed row in id order when `every` (pages, no id lists)."""
    if every:
        wanted = set(landed_ids.tolist())
        return (row for row in golden_store.landed_batches(engine) if row["id"] in wanted)
    return golden_store.landed_by_id(engine, landed_ids.tolist())
