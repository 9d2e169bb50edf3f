"""Guarding canonical fields against a vendor change that would empty them.

When a vendor renames a field (HubSpot `email` -> `e_mail`) the connector's mapping finds nothing, every record's
canonical value lands empty and the golden emails are wiped, while the sync reports success. A page that would
empty a field that was filled on most of its already-known records is therefore read as a mapping problem, not as
data: the field is quarantined (the last good canonical values are held, the raw payloads still land) until a
person accepts the change, optionally naming the renamed payload path so the mapping reads it again.

Some emptiness is the mapping's own rule, not a lost field: a canceled Stripe subscription has no next billing date.
The sync passes, per record, the fields its connector explains that way (`base.EmptyRule`): those records are left
out when the field is judged, so a page of cancellations is data while active subscriptions losing the date is not.

Pure functions only: the sync engine (`sync.py`) decides when to call them and the store keeps the state.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

MIN_RECORDS = 5
"""A page with fewer known, filled records than this says too little to tell a rename from ordinary edits."""
MIN_SHARE = 0.5
"""A field counts when it was filled on at least this share of the page's known records and the page would
empty at least this share of those."""


def is_empty(value: Any) -> bool:
    """None, a blank string or an empty list/dict: what a mapping that finds nothing produces."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | dict) and not value


@dataclass(frozen=True)
class Emptied:
    """A field a page would empty: how many known records had it filled and how many would lose it."""

    field: str
    filled_before: int
    emptied: int
    sample_ids: tuple[str, ...]

    def detail(self) -> dict[str, Any]:
        return {"filled_before": self.filled_before, "emptied": self.emptied, "sample_ids": list(self.sample_ids)}

    def describe(self) -> str:
        return f"{self.field}: {self.emptied} of {self.filled_before} filled values would be emptied"


def emptied_fields(
    before: Mapping[str, Mapping[str, Any]],
    after: Mapping[str, Mapping[str, Any]],
    *,
    exempt: Iterable[str] = (),
    explained: Mapping[str, Collection[str]] | None = None,
    min_records: int = MIN_RECORDS,
    min_share: float = MIN_SHARE,
) -> list[Emptied]:
    """Fields the new canonical values (`after`, by source id) would empty on most known records (`before`).

    `explained` names, by source id, the fields the record's new values leave empty by the mapping's own rule. Such
    a record says nothing about whether the field still maps, so it is left out when that field is judged: neither
    counted as emptied nor as a record the field should be filled on.
    """
    explained = explained or {}
    known = sorted(source_id for source_id in after if source_id in before)
    skip = set(exempt)
    fields = sorted({name for sid in known for name, value in before[sid].items() if not is_empty(value)} - skip)
    found = []
    for name in fields:
        judged = [sid for sid in known if name not in explained.get(sid, ())]
        filled = [sid for sid in judged if not is_empty(before[sid].get(name))]
        if len(filled) < max(min_records, min_share * len(judged)):
            continue
        emptied = [sid for sid in filled if is_empty(after[sid].get(name))]
        if emptied and len(emptied) >= min_share * len(filled):
            found.append(Emptied(name, len(filled), len(emptied), tuple(emptied[:5])))
    return found


def hold(
    before: Mapping[str, Any] | None, after: dict[str, Any], fields: Iterable[str]
) -> tuple[dict[str, Any], list[str]]:
    """`after` with the last good value kept for each quarantined field it would empty; and the fields kept."""
    if not before:
        return after, []
    held = dict(after)
    kept = []
    for name in fields:
        if is_empty(after.get(name)) and not is_empty(before.get(name)):
            held[name] = before[name]
            kept.append(name)
    return held, kept


def apply_renames(payload: dict[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    """The payload as the mapping knows it: each accepted rename (old dotted path -> new path) copies the value at
    the new path back to the old one when the old one is absent. The landed payload itself is left as served."""
    if not renames:
        return payload
    result = payload
    for old, new in renames.items():
        value = _get(payload, new.split("."))
        if value is _MISSING or _get(payload, old.split(".")) is not _MISSING:
            continue
        if result is payload:
            result = deepcopy(payload)
        _set(result, old.split("."), value)
    return result


_MISSING = object()


def _get(payload: Any, parts: list[str]) -> Any:
    current = payload
    for part in parts:
        if not isinstance(current, dict) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _set(payload: dict[str, Any], parts: list[str], value: Any) -> None:
    current = payload
    for part in parts[:-1]:
        nxt = current.get(part)
        if not isinstance(nxt, dict):
            nxt = current[part] = {}
        current = nxt
    current[parts[-1]] = value
