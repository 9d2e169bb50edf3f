"""One golden-record run: resolve the live customer records, keep golden ids stable, survive fields by ownership
and persist golden customers, their history, the cross-reference and the review queue.

Matching itself lives in `customer_hub.resolution` (pure); this module feeds it from the hub store and turns its
answers into rows, so the same run works from Dagster, the command line and the tests.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from customer_hub.config import HubConfig
from customer_hub.golden.changes import golden_changes
from customer_hub.golden.duplicates import ENTITY_OBJECTS
from customer_hub.golden.kept_matching import kept_review, matching_digest
from customer_hub.golden.records import NORMALISATION, read_with, records_frame
from customer_hub.golden.view360 import json_value
from customer_hub.resolution import ResolutionSettings, StableIdResult, assign_stable_ids, resolve_with_review, survive
from customer_hub.resolution.comparisons import PERSON_COMPARISONS
from customer_hub.resolution.emails import addresses_as_written, normalize_emails
from customer_hub.resolution.fellegi_sunter import ESTIMATOR, estimates_fit
from customer_hub.resolution.prepare import STORED_E164
from customer_hub.resolution.stable_ids import XREF_COLUMNS
from customer_hub.spokes.canonical import IDENTITY_FIELDS
from customer_hub.store import frames, golden_store, keyed, resolution_snapshot

log = logging.getLogger(__name__)

PERSON_FIELDS = ("first_name", "last_name", "full_name", "email", "phone", "city", "country", "job_title")
SIDE_BY_SIDE = ("record_id", "full_name", "first_name", "last_name", "email", "phone", "company_name",
                "company_domain", "street", "city", "postcode", "country", "source_updated_at")  # fmt: skip
"""What a steward sees of each record of a candidate pair."""
LEVELS = (("customer", "GC", "golden_customer_id"), ("person", "GP", "golden_person_id"))
ACCOUNT_FIELDS = (*IDENTITY_FIELDS, "balance")
"""Fields that describe the customer itself, so only its account and person records may supply them."""


@dataclass(frozen=True)
class GoldenSummary:
    """Counts of one run, for the asset's metadata and the health log."""

    records: int
    customers: int
    persons: int
    created: int
    merges: int
    splits: int
    updated: int
    linked: int
    candidates_open: int
    candidates_decided: int
    model: Mapping[str, Any] | None = None
    """The match model trained on this run's records (`MatchModel.parameters()`), None without named people."""
    blocking: Mapping[str, Mapping[str, int]] | None = None
    """Per blocking rule: pairs compared, blocks over the size cap (compared within a window) and their records."""
    rewritten: int = 0
    """Cross-reference rows this run wrote or removed: the records whose link or content moved."""
    unchanged: bool = False
    """Nothing changed since the last run, so nothing was resolved or written; the counts are the last run's."""
    matching_kept: bool = False
    """No field matching reads changed since the last run, so its links and review pairs stand; only the golden
    records of changed records were survived again (see `customer_hub.golden.kept_matching`)."""

    def model_rows(self) -> list[dict[str, Any]]:
        """One row per comparison level: m, u and the match weight it carries, for a table in the UI."""
        rows = []
        for comparison, levels in (self.model or {}).get("comparisons", {}).items():
            for level, figures in levels.items():
                if not level.startswith("_"):
                    rows.append({"comparison": comparison, "level": level, **figures})
        return rows

    @property
    def auto_merge_rate(self) -> float:
        """Share of the links that needed no steward: records linked automatically over those plus open pairs."""
        total = self.linked + self.candidates_open
        return round(self.linked / total, 4) if total else 1.0


def resolution_settings(matching: Mapping[str, Any], decisions: Sequence[Mapping[str, Any]]) -> ResolutionSettings:
    """hub.yaml `matching` plus the steward decisions in force, as the engine's settings."""
    return ResolutionSettings.model_validate(
        {
            **matching,
            "decisions": [
                {"record_a": d["record_id_a"], "record_b": d["record_id_b"], "action": d["decision"]} for d in decisions
            ],
        }
    )


def previous_ids(
    xref: pd.DataFrame, golden: pd.DataFrame, kind: str, column: str, golden_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """The previous run's ids in the shape `assign_stable_ids` continues from: one active row per record, and one
    retired row per merged or retired id so that merges keep the older id. Only the ids in `golden_ids` when given
    (the ones this run's changes touch). Empty on the first run.

    `xref`: record_id and `column` per stored link; `golden`: golden_id, kind, status, merged_into, created_at."""
    links = xref[xref[column].notna()]
    ids = golden[golden["kind"] == kind]
    if golden_ids is not None:
        wanted = set(golden_ids)
        links = links[links[column].isin(wanted)]
        ids = ids[ids["golden_id"].isin(wanted)]
    active = pd.DataFrame({"record_id": links["record_id"].to_numpy(), "golden_id": links[column].to_numpy(),
                           "status": "active", "merged_into": None})  # fmt: skip
    retired = ids[ids["status"] != "active"]
    retired = pd.DataFrame({"record_id": None, "golden_id": retired["golden_id"].to_numpy(), "status": "retired",
                            "merged_into": retired["merged_into"].to_numpy()})  # fmt: skip
    parts = [part for part in (active, retired) if len(part)]
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["record_id", "golden_id", "status", "merged_into"])
    )
    born = ids.set_index("golden_id")["created_at"].reindex(frame["golden_id"]).to_numpy()
    frame["created_at"] = pd.to_datetime(pd.Series(born, index=frame.index, dtype=object), utc=True)
    frame["cluster_id"] = None
    return frame[list(XREF_COLUMNS)]


def _parse_scores(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value) if value else None
        except ValueError:
            return {"raw": value}
    return json_value(value)


def distinct(column: pd.Series) -> set[Any]:
    """A column's values, missing ones left out, as a set: read as a list first, since walking a pyarrow-backed
    column value by value costs microseconds a value (a second per golden run)."""
    return set(column.dropna().tolist())


def _entity_values_only(records: pd.DataFrame, resolved: pd.DataFrame, key: str) -> pd.DataFrame:
    """Records with the account fields (identity, balance) blanked on activity records (invoices, deals,
    conversations...) of golden ids that have an account or person record: an invoice's balance or billing email
    is not the customer's. Ids made only of activity records keep them, so they still get a name."""
    is_entity = pd.Series(
        [pair in ENTITY_OBJECTS for pair in zip(records["source_system"], records["source_object"], strict=True)],
        index=records.index,
    )
    golden = records["record_id"].map(resolved.set_index("record_id")[key])
    with_entity = distinct(golden[is_entity])
    blank = ~is_entity & golden.isin(with_entity)
    masked = records.copy()
    for field in ACCOUNT_FIELDS:
        if field in masked.columns:
            masked[field] = masked[field].astype(object).where(~blank, None)
    return masked


def shown_values(records: pd.DataFrame) -> pd.DataFrame:
    """Records with the values people read in golden records, the 360 view and lookup: the phone in E.164 where it
    could be read (`phone_e164`; as entered otherwise) and the email address as its owner writes it
    (`addresses_as_written`: a name copied around it dropped, Gmail dots and '+tags' kept)."""
    shown = records.copy()
    e164 = shown["phone_e164"]
    shown["phone"] = e164.where(e164.notna() & (e164 != ""), shown["phone"])
    email = shown["email"]
    shown["email"] = email.where(email.isna(), addresses_as_written(email.astype("str")))
    return shown


def survived_rows(
    records: pd.DataFrame,
    resolved: pd.DataFrame,
    ownership: Mapping[str, Any],
    kind: str,
    key: str,
    members: Mapping[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """One golden row per id: the surviving value of each field, the record it came from (and that record's
    `source_updated_at`, for `records_to_survive`) and the id's records. Pass `shown_values(records)` so the values
    are the ones people should read, and `members` (each id's sorted record ids) when `resolved` holds only the
    records that can win (`records_to_survive`)."""
    wanted = [*IDENTITY_FIELDS, *ownership] if kind == "customer" else list(PERSON_FIELDS)
    fields = [field for field in dict.fromkeys(wanted) if field in records.columns]
    survived = survive(_entity_values_only(records, resolved, key), resolved, ownership, key=key, fields=fields)
    if members is None:
        members = resolved.dropna(subset=[key]).groupby(key)["record_id"].agg(lambda ids: sorted(ids)).to_dict()
    times = dict(zip(records["record_id"].tolist(), _updated_utc(records), strict=True))
    rows = []
    for row in survived.to_dict("records"):
        values = {field: json_value(row.get(field)) for field in fields}
        kept = {field: value for field, value in values.items() if value not in (None, "")}
        sources = {field: row.get(f"{field}__source") for field in kept}
        rows.append(
            {
                "golden_id": row[key],
                "kind": kind,
                "fields": kept,
                "field_sources": sources,
                "source_times": {record_id: _utc_text(times[record_id]) for record_id in sorted(set(sources.values()))},
                "records": members.get(row[key], []),
            }
        )
    return rows


def _updated_utc(records: pd.DataFrame) -> np.ndarray:
    """Each record's `source_updated_at` as a UTC datetime64 without a zone (NaT where its tool gives none)."""
    return pd.to_datetime(records["source_updated_at"], utc=True).dt.tz_localize(None).to_numpy()


def _utc_text(time: np.datetime64) -> str | None:
    """A UTC time as ISO text to microseconds ('2026-11-02T09:00:00.000000Z'), None for NaT."""
    return None if np.isnat(time) else str(np.datetime_as_string(time, unit="us", timezone="UTC"))


def _crossing_links(
    members: Sequence[str], before: Mapping[str, str], links: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Links inside one cluster that join records which were apart before (or are new): why ids merged/split."""
    crossing = []
    for record_id in members:
        link = links.get(record_id) or {}
        other = link.get("linked_to")
        if other and before.get(record_id) != before.get(other):
            crossing.append(
                {
                    "record": record_id,
                    "linked_to": other,
                    "rule": link.get("match_rule"),
                    "confidence": json_value(link.get("confidence")),
                    "scores": _parse_scores(link.get("match_scores")),
                }
            )
    return sorted(crossing, key=lambda item: -(item["confidence"] or 0))


def identity_events(
    result: StableIdResult,
    before: Mapping[str, str],
    links: Mapping[str, Mapping[str, Any]],
    decisions: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """History events for merges and splits, with the links (rule, scores) or steward decision that caused them.

    `before`: record_id -> previous id at this level; `links`: record_id -> this run's resolution row.
    A merge is logged on both ids (`into` on the absorbed one, `absorbed` on the survivor); a split likewise
    (`from` on the new id, `new_id` on the old one). Creation events come from the golden-row comparison.
    """
    active = result.xref[result.xref["status"] == "active"]
    members = active.groupby("golden_id")["record_id"].agg(lambda ids: sorted(ids)).to_dict()
    apart = {frozenset((d["record_id_a"], d["record_id_b"])) for d in decisions if d["decision"] == "keep_apart"}
    events = []
    for event in result.events.itertuples(index=False):
        current = members.get(event.golden_id, [])
        if event.event == "merged":
            links_used = _crossing_links(current, before, links)
            detail = {"rule": links_used[0]["rule"] if links_used else None, "links": links_used[:5]}
            absorbed_records = sorted(r for r, gid in before.items() if gid == event.related_id)
            events.append(
                {"golden_id": event.related_id, "event": "merged", "detail": {"into": event.golden_id, **detail,
                                                                               "records": absorbed_records}}
            )  # fmt: skip
            events.append({"golden_id": event.golden_id, "event": "merged", "detail": {"absorbed": event.related_id,
                                                                                     **detail}})  # fmt: skip
        elif event.event == "split" and event.related_id:
            remaining = members.get(event.related_id, [])
            decided = [
                sorted(pair) for pair in apart if any(r in pair for r in current) and any(r in pair for r in remaining)
            ]
            detail = {"records": current, "rule": "steward keep_apart" if decided else "evidence changed",
                      "decisions": decided}  # fmt: skip
            events.append({"golden_id": event.golden_id, "event": "split", "detail": {"from": event.related_id,
                                                                                    **detail}})  # fmt: skip
            events.append({"golden_id": event.related_id, "event": "split", "detail": {"new_id": event.golden_id,
                                                                                     **detail}})  # fmt: skip
    return events


def _candidate_rows(
    review: pd.DataFrame,
    records: pd.DataFrame,
    previous: Sequence[Mapping[str, Any]],
    decisions: Sequence[Mapping[str, Any]],
    now: datetime,
) -> list[dict[str, Any]]:
    """The review queue: this run's open pairs (one row per pair, its best level), best first and, at one score, by
    pair, and every pair a steward has decided since it was queued, marked decided."""
    decided = {frozenset((d["record_id_a"], d["record_id_b"])): d for d in decisions}
    shown = [column for column in SIDE_BY_SIDE if column in records.columns]
    paired = records.loc[frames.among(records["record_id"], [*review["record_id_a"], *review["record_id_b"]]), shown]
    side = {row["record_id"]: row for row in paired.astype(object).to_dict("records")}  # the pairs' records only

    def view(record_id: str) -> dict[str, Any]:
        return {column: json_value(value) for column, value in side.get(record_id, {"record_id": record_id}).items()}

    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for row in previous:
        pair = (row["record_id_a"], row["record_id_b"])
        if row["status"] == "decided" or frozenset(pair) in decided:
            rows[pair] = {key: value for key, value in row.items() if key != "id"} | {"status": "decided"}
    open_pairs = [(tuple(sorted((row.record_id_a, row.record_id_b))), row) for row in review.itertuples(index=False)]
    open_pairs.sort(key=lambda item: (-float(item[1].confidence), item[0]))  # stable: a pair's best level first
    for pair, pair_row in open_pairs:
        if pair in rows or frozenset(pair) in decided:
            continue
        rows[pair] = {
            "record_id_a": pair[0],
            "record_id_b": pair[1],
            "score": float(pair_row.confidence),
            "scores": {
                "level": pair_row.level,
                "rule": pair_row.match_rule,
                "reason": pair_row.reason,
                "evidence": _parse_scores(pair_row.match_scores),
            },
            "record_a": view(pair[0]),
            "record_b": view(pair[1]),
            "status": "open",
            "created_at": now,
        }
    return list(rows.values())


def changed_clusters(
    current: pd.DataFrame, before: pd.DataFrame, column: str, stored_at: np.ndarray
) -> tuple[set[str], set[str]]:
    """Which of this run's clusters differ from the stored golden ids, at one level (`column`).

    `current`: record_id and this run's cluster in `column` (live records); `before`: record_id and the stored
    golden id in `column`; `stored_at`: each current record's row in `before` (-1 for none).
    A cluster is unchanged when its records are exactly the records of one stored id (none joined, none left, none
    deleted); it keeps that id with no work. Returns the changed clusters and the stored ids they touch, including
    ids whose records all vanished. Counted on integer codes: a join of the two tables cost half a second at 300k
    records, every run."""
    cluster, clusters = pd.factorize(current[column])  # -1 where the record has none at this level
    stored_id, stored_ids = pd.factorize(before[column])
    held = np.append(stored_id, -1)[stored_at][cluster >= 0]  # each clustered record's stored id, -1 for none
    cluster = cluster[cluster >= 0]
    size = np.bincount(cluster, minlength=len(clusters))
    missing = np.bincount(cluster, weights=held < 0, minlength=len(clusters)) > 0
    low = np.full(len(clusters), len(stored_ids), dtype=np.int64)
    high = np.full(len(clusters), -1, dtype=np.int64)
    np.minimum.at(low, cluster, held)
    np.maximum.at(high, cluster, held)
    id_size = np.append(np.bincount(stored_id[stored_id >= 0], minlength=len(stored_ids)), -1)
    intact = ~missing & (low == high) & (size == id_size[np.minimum(low, len(stored_ids))])
    values = np.asarray(stored_ids, dtype=object)
    changed = set(np.asarray(clusters, dtype=object)[~intact].tolist())
    touched = set(values.tolist()) - set(values[low[intact]].tolist())
    return changed, touched


def link_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One hash per cross-reference row over what it says that can change (golden ids, the link's rule, confidence,
    evidence and partner, and the record's address as stored), so a run rewrites only the rows that moved. The
    release's reading of values (`NORMALISATION`) is mixed in: one that reads addresses otherwise rewrites them all."""
    values = frame[["golden_customer_id", "golden_person_id", "match_rule", "confidence", "match_scores", "linked_to",
                    "email"]]  # fmt: skip
    codes, distinct_values = pd.factorize(values["confidence"])  # a few hundred values: each made text once
    confidence = np.append(pd.Series(distinct_values).astype("str").to_numpy(dtype=object), None)[codes]
    values = values.assign(confidence=pd.Series(confidence, index=values.index, dtype="str")).astype("str")
    hashes = pd.util.hash_pandas_object(values, index=False).to_numpy()
    return frames.hex_digests(hashes ^ np.uint64(NORMALISATION))


_ATTEMPTS = 3
_SURVIVE_BATCH = 2_000
"""Golden ids survived at a time: their records' full attributes are read per batch."""


def build_golden(
    engine: Engine, config: HubConfig, now: datetime | None = None, *, full: bool = False, retrain: bool = False
) -> GoldenSummary:
    """Run resolution over the live customer records and persist every golden table.

    Matching reads every live record (after a small change it is most of a run, but one record's change can move
    any pair's evidence through the model's frequencies), so a run's clusters are exactly a full re-resolve's;
    when no field it reads changed, the last run's matching stands instead (`customer_hub.golden.kept_matching`).
    Everything after matching touches only what changed since the last run: clusters whose records changed keep
    their ids without work, survivorship and history run for the changed golden ids, and only cross-reference rows
    whose link or address moved are rewritten. When neither the records, the settings nor the steward
    decisions changed, nothing runs at all. `full` redoes every step for every record (the same result, more work).

    The match model is trained on the first run and kept (m, u, the prior and the counts of the values it was
    trained on; a value new since is counted on the records), so a small change to the records does not move every
    pair's confidence; it is trained again when
    the matching settings change, when the live records grew or shrank by more than `_RETRAIN_DRIFT`, or on
    `retrain`.

    Idempotent: re-running on unchanged records changes no id and writes no history. Two runs at once (a manual run
    beside the eager one) are serialised by the store: the one that saves second finds the store changed, discards
    its result and resolves again from what the first saved, so no event is written twice."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return _build_once(engine, config, now or datetime.now(UTC), full, retrain)
        except golden_store.ConcurrentGoldenRun:
            if attempt == _ATTEMPTS:
                raise golden_store.ConcurrentGoldenRun(
                    f"golden records changed under this run {_ATTEMPTS} times in a row; run golden_customers again"
                ) from None
            log.info("another golden run saved first; resolving again from its result (attempt %d)", attempt + 1)
    raise AssertionError("unreachable")


STEP = "golden"


def _fingerprint(config: HubConfig, decisions: Sequence[Mapping[str, Any]]) -> str:
    """The golden layer's inputs besides the records: matching settings, field ownership and decisions in force."""
    pairs = sorted((d["record_id_a"], d["record_id_b"], d["decision"]) for d in decisions)
    text = json.dumps([dict(config.matching), dict(config.field_ownership), pairs], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()


_RETRAIN_DRIFT = 0.10
"""Share by which the live records may grow or shrink after the match model was trained before it is trained
again: m and u describe the records, and a hub that grew by a tenth has new names, places and duplicates."""


def _settings_fingerprint(config: HubConfig) -> str:
    """What every golden id is made with: a change to it redoes every id, not only the changed clusters (a new
    owner of a field moves that field in customers none of whose records changed)."""
    text = json.dumps([dict(config.matching), dict(config.field_ownership)], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()


def _matching_fingerprint(config: HubConfig) -> str:
    return hashlib.sha1(json.dumps(dict(config.matching), sort_keys=True, default=str).encode()).hexdigest()


def reusable_model(state: keyed.StepState | None, config: HubConfig, records: int) -> Mapping[str, Any] | None:
    """The stored match model's estimates, when it was trained with these matching settings, comparison levels and
    estimator (`ESTIMATOR`) on about as many records as there are now (`_RETRAIN_DRIFT`); None when it must be
    trained again."""
    model = (state.detail.get("model") if state else None) or {}
    trained_on = model.get("records") or 0
    if not model.get("estimates") or model.get("settings") != _matching_fingerprint(config):
        return None
    if not estimates_fit(model["estimates"], PERSON_COMPARISONS):
        log.info("the stored match model was made for other comparison levels than this release's; training again")
        return None
    if model.get("estimator", 1) != ESTIMATOR:
        log.info("the stored match model was estimated as an earlier release does; training again")
        return None
    return model["estimates"] if abs(records - trained_on) <= _RETRAIN_DRIFT * trained_on else None


def stored_model(engine: Engine, config: HubConfig, records: int) -> Mapping[str, Any] | None:
    """The match model the golden layer scores with now (None: a run would train one), for `explain`."""
    return reusable_model(keyed.read_state(engine, STEP), config, records)


UNLINKED = ("singleton", "steward_merge")
"""Rules that place a record with no link found by matching; a record placed by any other is linked."""


def _kept_matching(
    engine: Engine, records: pd.DataFrame, state: keyed.StepState | None, fingerprint: str, matched: str
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The last run's matching, to stand for this run's: `resolved` (each of `records`, in their order, with its
    stored golden ids; the link columns empty) and the stored cross-reference. Only when the settings and decisions
    are the last run's (`fingerprint`), it matched these very fields (`matched`, `matching_digest`), and the stored
    cross-reference holds exactly these records; the caller makes sure the model is the one kept. None otherwise."""
    if state is None or state.fingerprint != fingerprint or state.detail.get("matched") != matched:
        return None
    stored = frames.xref_frame(engine)
    at = pd.Index(stored["record_id"]).get_indexer(records["record_id"])
    if len(stored) != len(records) or (at < 0).any():
        log.info("the cross-reference does not hold exactly the live records; matching them again")
        return None
    empty = pd.Series(None, index=range(len(records)), dtype=object)
    resolved = pd.DataFrame(
        {
            "record_id": records["record_id"].reset_index(drop=True),
            "golden_person_id": stored["golden_person_id"].to_numpy(dtype=object)[at],
            "golden_customer_id": stored["golden_customer_id"].to_numpy(dtype=object)[at],
            **{column: empty.copy() for column in ("confidence", "match_rule", "match_scores", "linked_to")},
        }
    )
    return resolved, stored


def _build_once(engine: Engine, config: HubConfig, now: datetime, full: bool, retrain: bool) -> GoldenSummary:
    generation = golden_store.read_generation(engine)
    decisions = golden_store.read_decisions(engine)
    revision = frames.records_revision(engine)
    fingerprint = _fingerprint(config, decisions)
    state = keyed.read_state(engine, STEP)
    if not (full or retrain) and state and state.revision == revision and state.fingerprint == fingerprint:
        log.info("no customer record, setting or steward decision changed since the last golden run; nothing to do")
        return GoldenSummary(**{**state.detail["summary"], **dict.fromkeys(_PER_RUN, 0), "unchanged": True})
    settings = _settings_fingerprint(config)
    if not full and state is not None and state.detail.get("settings") != settings:
        log.info("matching settings or field ownership changed since the last golden run; every id is made again")
        full = True
    consumed = -1 if full or state is None else state.revision

    records = resolution_snapshot.resolution_frame(engine, rebuild=full)
    if not read_with(engine, config.matching):  # phones read under other settings: matching reads them again
        records = records.drop(columns=[STORED_E164])
    kept_model = None if retrain else reusable_model(state, config, len(records))
    matched = matching_digest(records)
    previous_candidates = golden_store.read_candidates(engine)
    standing = None if full or kept_model is None else _kept_matching(engine, records, state, fingerprint, matched)
    last = state.detail["summary"] if standing is not None and state is not None else {}
    if standing is not None:
        log.info("no field matching reads changed since the last golden run: its links and review pairs stand")
        resolved, stored = standing
        model, review, blocking = None, kept_review(previous_candidates), last.get("blocking")
    else:
        log.info("resolving %d live customer records with %d steward decisions", len(records), len(decisions))
        started = perf_counter()
        resolution = resolve_with_review(records, resolution_settings(config.matching, decisions), kept_model)
        log.info("matched %d records in %.2f s", len(records), perf_counter() - started)
        if kept_model is None and resolution.model is not None:
            log.info("match model trained on %d records; later runs reuse it until the records drift", len(records))
        resolved = resolution.records.copy()
        model, review = resolution.model, resolution.review
        blocking = resolution.blocking.rules if resolution.blocking is not None else None
        del resolution  # the normalised records and their pairs: what follows needs the room, not them
    unresolved = {column: resolved[column].isna().to_numpy() for _kind, _prefix, column in LEVELS}
    candidates = _candidate_rows(review, records, previous_candidates, decisions, now)
    content_changed = (records["revision"] > consumed).to_numpy()  # per record, in the order of `resolved`
    updated_at = _updated_utc(records)
    identity = records[["record_id", "source_system", "source_object", "source_id", "email"]]
    del records
    if standing is None:
        stored = frames.xref_frame(engine)
    golden = frames.golden_frame(engine)
    stored_at = pd.Index(stored["record_id"]).get_indexer(resolved["record_id"])  # each record's stored row or -1

    def stored_values(column: str) -> np.ndarray:
        """A stored xref column in the order of `resolved`, None for records new to this run."""
        return np.append(stored[column].to_numpy(dtype=object), None)[stored_at]  # -1 takes the None

    events: list[dict[str, Any]] = []
    survive_ids: dict[str, set[str]] = {}
    touched_ids: set[str] = set()
    for kind, prefix, column in LEVELS:
        if full:
            changed, touched = distinct(resolved[column]), distinct(stored[column])
        else:
            changed, touched = changed_clusters(resolved, stored, column, stored_at)
        in_changed = resolved[column].isin(changed)
        previous = previous_ids(stored, golden, kind, column, None if full else touched)
        result = assign_stable_ids(
            resolved[in_changed], previous, prefix=prefix, column=column, now=now, issued=distinct(golden["golden_id"])
        )
        kept = stored_values(column)
        resolved[column] = np.where(in_changed, resolved["record_id"].map(result.ids()), kept)
        resolved.loc[resolved[column].isna() | unresolved[column], column] = None
        moved = stored[stored[column].isin(touched)]
        before = dict(zip(moved["record_id"].tolist(), moved[column].tolist(), strict=True))
        merged = set(result.events.loc[result.events["event"] == "merged", "golden_id"])
        explaining = in_changed & resolved[column].isin(merged)  # the links behind merges, not every record's
        links = resolved[explaining].set_index("record_id").to_dict("index")
        events += identity_events(result, before, links, decisions)
        refreshed = distinct(resolved.loc[in_changed | content_changed, column])
        survive_ids[kind] = refreshed
        touched_ids |= touched | refreshed

    stored_hash = stored_values("link_hash")
    if standing is None:
        resolved["link_hash"] = link_hashes(resolved.assign(email=identity["email"].to_numpy()))
    else:  # links kept, and no address changed: matching reads addresses
        resolved["link_hash"] = stored_hash
    rewrite = resolved["link_hash"].to_numpy() != stored_hash
    if full:
        rewrite[:] = True
    gone = sorted(distinct(stored["record_id"]) - distinct(resolved["record_id"]))
    customers_touched = distinct(resolved.loc[rewrite | content_changed, "golden_customer_id"]) | {
        gid for gid in touched_ids if gid.startswith("GC-")
    }
    customers_touched |= distinct(stored.loc[stored["record_id"].isin(gone), "golden_customer_id"])
    people_touched = resolved["golden_person_id"].isin({gid for gid in touched_ids if gid.startswith("GP-")})
    customers_touched |= distinct(resolved.loc[people_touched, "golden_customer_id"])
    xref = xref_rows(identity[rewrite], resolved[rewrite], now)

    tally: Counter[str] = Counter()
    entity = [pair in ENTITY_OBJECTS for pair in zip(identity["source_system"].tolist(),
                                                      identity["source_object"].tolist(), strict=True)]  # fmt: skip
    survival = Survival(survive_ids, full, content_changed, np.array(entity, dtype=bool), updated_at)
    batches = _golden_batches(engine, config, resolved, stored, survival, touched_ids, events, now, tally)

    def summary() -> GoldenSummary:
        """The run's counts; those of the golden rows and history are known once every batch is written."""
        return GoldenSummary(
            records=len(resolved),
            customers=int(resolved["golden_customer_id"].nunique()),
            persons=int(resolved["golden_person_id"].nunique()),
            created=tally["created"],
            merges=tally["merges"],
            splits=tally["splits"],
            updated=tally["updated"],
            linked=last["linked"] if standing is not None else int((~resolved["match_rule"].isin(UNLINKED)).sum()),
            candidates_open=sum(1 for row in candidates if row["status"] == "open"),
            candidates_decided=sum(1 for row in candidates if row["status"] == "decided"),
            model=model.parameters() if model is not None else last.get("model"),
            blocking=blocking,
            rewritten=int(rewrite.sum()) + len(gone),
            matching_kept=standing is not None,
        )

    def final_state() -> keyed.StepState:
        kept_summary = {key: value for key, value in asdict(summary()).items() if key not in _PER_RUN_FLAGS}
        model_state = (
            state.detail.get("model")
            if kept_model is not None and state is not None
            else {
                "estimates": model.estimates(),
                "records": len(resolved),
                "settings": _matching_fingerprint(config),
                "estimator": ESTIMATOR,
            }
            if model is not None
            else None
        )
        if model_state is not None and model is not None and "term_counts" not in model_state["estimates"]:
            # kept from an earlier release, which counted no values with it: from now on it keeps this run's counts
            model_state = {**model_state, "estimates": model.estimates()}
        # a run that trained the model keeps no digest: the next one matches again with the model as stored
        detail = {"summary": kept_summary, "model": model_state, "settings": settings,
                  "matched": matched if kept_model is not None else None}  # fmt: skip
        return keyed.StepState(revision, fingerprint, detail)

    golden_store.save_golden_run(
        engine,
        batches,
        xref,
        candidates,
        generation=generation,
        removed_records=gone,
        touched_customers=sorted(customers_touched),
        full=full,
        state=final_state,
    )
    return summary()


@dataclass(frozen=True)
class Survival:
    """What a run's golden rows are made from, per level (customer, person): the ids to survive; whether every
    record is read again (`full`); per record of the run, whether its content changed since the last run, whether
    it is an account or person record and its `source_updated_at` in UTC (NaT where its tool gives none)."""

    ids: Mapping[str, set[str]]
    full: bool
    changed: np.ndarray
    entity: np.ndarray
    updated: np.ndarray


def records_to_survive(
    rows: np.ndarray,
    stored: Mapping[str, Any] | None,
    made_from: frozenset[str] | None,
    per_record: tuple[np.ndarray, np.ndarray, np.ndarray],
    record_ids: np.ndarray,
) -> np.ndarray:
    """Which of one golden id's records (`rows`, positions in `record_ids` and in the `per_record` arrays: changed,
    entity and updated, as in `Survival`) its survivorship must read.

    `stored` is the id's stored row and `made_from` the records it was made from (None: read every record). Its
    `field_sources` name the record each field came from. When every one of those records is still the id's, every
    other unchanged record that was already the id's lost to them before and loses again, so the winners decide with
    the changed records, the records that joined the id since (a new invoice, a merged duplicate: they never
    competed) and the id's first account or person record (whether it has one decides if activity records may name
    the customer). A winner that changed still beats the records it beat if its time did not go back
    (`source_times` keeps the time it won with); whether it kept its values is seen once it is read
    (`_kept_their_fields`). When a winner's time went back or is not known, or a record left the id (an unread record
    may win once a winner or the only account record is gone), every record is read."""
    if stored is None or made_from is None or stored["status"] != "active":
        return rows
    members = record_ids[rows]
    current = set(members.tolist())
    winners = set((stored["field_sources"] or {}).values())
    if not made_from <= current or not winners <= current:
        return rows
    changed, entity, updated = (values[rows] for values in per_record)
    moved = np.isin(members, list(winners)) & changed
    if moved.any() and not _not_older(members[moved], updated[moved], stored.get("source_times")):
        return rows
    joined = ~np.isin(members, list(made_from)) if len(made_from) < len(current) else np.zeros(len(rows), bool)
    keep = changed | joined | np.isin(members, list(winners))
    keep[np.flatnonzero(entity)[:1]] = True
    return rows[keep]


_UNKNOWN = object()


def _not_older(record_ids: np.ndarray, now: np.ndarray, times: Mapping[str, str | None] | None) -> bool:
    """Whether each of these winning records is at least as recent now as when it won (`times`, its stored
    `source_times`): an undated winner won on its tool or its place and loses nothing by getting a time."""
    for record_id, time in zip(record_ids.tolist(), now, strict=True):
        then = (times or {}).get(record_id, _UNKNOWN)
        if then is None:
            continue
        if then is _UNKNOWN or pd.isna(time) or pd.Timestamp(time) < pd.Timestamp(then).tz_convert(None):
            return False
    return True


def _kept_their_fields(stored: Mapping[str, Any], survived: Mapping[str, Any], changed: set[str]) -> bool:
    """Whether each field a changed winner supplied (`stored`'s `field_sources`) still comes from it after a
    survivorship that read only part of the id's records: if it lost the value, a record left unread may hold the
    next one."""
    sources = survived["field_sources"]
    return all(sources.get(field) == source for field, source in (stored["field_sources"] or {}).items()
               if source in changed)  # fmt: skip


@dataclass(frozen=True)
class _Level:
    """One level's records in a survivorship pass: `wanted` (the records of the ids to survive), their ids and each
    golden id's rows in it (`rows_of`)."""

    kind: str
    column: str
    wanted: pd.DataFrame
    record_ids: np.ndarray
    rows_of: Mapping[str, np.ndarray]


def _survived_from(
    engine: Engine, config: HubConfig, level: _Level, rows: Sequence[np.ndarray], batch: Sequence[str]
) -> list[dict[str, Any]]:
    """The golden rows of the ids in `batch` made from the records at `rows` (one array per id) of `level`."""
    scope = level.wanted.iloc[np.sort(np.concatenate(rows))]
    shown = shown_values(records_frame(golden_store.read_customer_records(engine, record_ids=scope["record_id"])))
    everyone = {golden_id: sorted(level.record_ids[level.rows_of[golden_id]].tolist()) for golden_id in batch}
    return survived_rows(shown, scope, config.field_ownership, level.kind, level.column, everyone)


def _golden_batches(
    engine: Engine,
    config: HubConfig,
    resolved: pd.DataFrame,
    stored: pd.DataFrame,
    survival: Survival,
    touched_ids: set[str],
    events: Sequence[Mapping[str, Any]],
    now: datetime,
    tally: Counter[str],
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]]:
    """Golden rows to insert and update and history to keep, `_SURVIVE_BATCH` golden ids at a time: each batch's
    records are read, survived and compared with its stored rows, then written before the next is made, so memory
    holds one batch however many ids a run touches; only the records that can win are read (`records_to_survive`).
    Ids left with no records (merged away, retired) and the merge and split events come last. Counts what it
    yields into `tally` (created, merges, splits, updated)."""

    def counted(changes: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        for row in changes.history:
            if row["event"] in ("created", "updated"):
                tally[row["event"]] += 1
            elif row["event"] == "merged" and "into" in row["detail"]:
                tally["merges"] += 1
            elif row["event"] == "split" and "from" in row["detail"]:
                tally["splits"] += 1
        return changes.inserts, changes.updates, changes.history

    survived_ids: set[str] = set()
    for kind, _prefix, column in LEVELS:
        in_scope = resolved[column].isin(survival.ids[kind]).to_numpy()
        wanted = resolved[in_scope]
        per_record = (survival.changed[in_scope], survival.entity[in_scope], survival.updated[in_scope])
        record_ids = wanted["record_id"].to_numpy(dtype=object)
        changed_ids = set(record_ids[per_record[0]].tolist())
        rows_of = wanted.groupby(column, sort=False).indices  # golden id -> its records' rows, found once
        previous = stored[stored[column].isin(survival.ids[kind])]
        stored_ids = previous["record_id"].to_numpy()
        stored_rows_of = previous.groupby(column, sort=False).indices
        level = _Level(kind, column, wanted, record_ids, rows_of)

        read_count = 0
        for batch in keyed.chunks(sorted(survival.ids[kind]), _SURVIVE_BATCH):
            stored_rows = golden_store.read_golden(engine, golden_ids=batch)
            read = [
                records_to_survive(
                    rows_of[golden_id],
                    stored_rows.get(golden_id),
                    None
                    if survival.full or golden_id not in stored_rows_of
                    else frozenset(stored_ids[stored_rows_of[golden_id]].tolist()),
                    per_record,
                    record_ids,
                )
                for golden_id in batch
            ]
            read_count += sum(len(rows) for rows in read)
            survived = _survived_from(engine, config, level, read, batch)
            partial = {golden_id for golden_id, rows in zip(batch, read, strict=True)
                        if len(rows) < len(rows_of[golden_id])}  # fmt: skip
            again = [row["golden_id"] for row in survived if row["golden_id"] in partial
                     and not _kept_their_fields(stored_rows[row["golden_id"]], row, changed_ids)]  # fmt: skip
            if again:  # a changed winner lost a value: its id is survived from every record
                redone = set(again)
                survived = [row for row in survived if row["golden_id"] not in redone]
                survived += _survived_from(engine, config, level, [rows_of[golden_id] for golden_id in again], again)
                read_count += sum(len(rows_of[golden_id]) for golden_id in again)
            survived_ids.update(row["golden_id"] for row in survived)
            existing = {row["golden_id"]: stored_rows[row["golden_id"]] for row in survived
                        if row["golden_id"] in stored_rows}  # fmt: skip
            members = {
                golden_id: set(stored_ids[stored_rows_of[golden_id]])
                for golden_id in existing
                if golden_id in stored_rows_of
            }
            yield counted(golden_changes(existing, survived, (), now, members))
        log.info("%d %s ids survived from %d of their %d records", len(survival.ids[kind]), kind, read_count,
                 len(wanted))  # fmt: skip
    left = touched_ids - survived_ids
    yield counted(golden_changes(golden_store.read_golden(engine, golden_ids=left), (), events, now,
                                 frames.members_of(stored, left)))  # fmt: skip


_PER_RUN = ("created", "merges", "splits", "updated", "rewritten")
"""Summary counts that describe one run's work, zero in a run that had nothing to do."""
_PER_RUN_FLAGS = ("unchanged", "matching_kept")
"""Summary flags that say how one run went; the kept summary leaves them out."""


_XREF_BATCH = 10_000
"""Cross-reference rows made and written at a time."""


def xref_rows(records: pd.DataFrame, resolved: pd.DataFrame, now: datetime) -> Iterator[list[dict[str, Any]]]:
    """customer_xref rows in batches of `_XREF_BATCH`: each given record's golden ids, the link that placed it, its
    canonical email and the hash of the link (`link_hashes`). Columns are turned into Python lists a batch at a
    time: walking a text column value by value is what made rows slow."""
    emails = normalize_emails(records["email"])["email"].to_numpy()
    base = records[["record_id", "source_system", "source_object", "source_id"]].assign(email=emails)
    joined = base.merge(resolved, on="record_id", how="inner")
    names = ["record_id", "source_system", "source_object", "source_id", "golden_customer_id", "golden_person_id",
             "email", "match_rule", "confidence", "match_scores", "linked_to", "link_hash"]  # fmt: skip
    for start in range(0, len(joined), _XREF_BATCH):
        part = joined.iloc[start : start + _XREF_BATCH]
        columns = [part[name].astype(object).tolist() for name in names]
        rows = []
        for values in zip(*columns, strict=True):
            row = dict(zip(names, values, strict=True))
            row.update(
                golden_person_id=json_value(row["golden_person_id"]) or None,
                email=row["email"] or None,
                confidence=float(row["confidence"]),
                match_scores=_parse_scores(row["match_scores"]),
                linked_to=row["linked_to"] or None,
                updated_at=now,
            )
            rows.append(row)
        yield rows
