"""Schema drift: fields a tool added, removed or renamed since the stream's baseline schema.

The baseline is the first schema the hub saw for the stream, or the one a person last accepted; drift is measured
against it rather than against the previous snapshot, so a field that comes back closes the incident instead of
raising a second one. A rename shows in the snapshots as one field removed and one added; it is recognised when the
names are alike (`email` -> `email_address`) or the old and new fields hold the same values.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from rapidfuzz import fuzz

from customer_hub.quality.metric import Metric, stream_name

RENAME_MIN_SCORE = 0.8
_SAMPLE_VALUES = 200
_SPLIT = re.compile(r"\.|\[\]")


@dataclass(frozen=True)
class Drift:
    """How a stream's current schema differs from its baseline."""

    tool: str
    object: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[dict[str, Any]] = field(default_factory=list)
    baseline_id: int | None = None
    current_id: int | None = None
    baseline_at: str | None = None
    current_at: str | None = None

    @property
    def changes(self) -> int:
        return len(self.added) + len(self.removed) + len(self.renamed)

    def describe(self) -> list[str]:
        """Lines a person reads: `renamed properties.email → properties.email_address`."""
        lines = [f"renamed {item['from']} → {item['to']}" for item in self.renamed]
        lines += [f"added {path}" for path in self.added]
        lines += [f"removed {path}" for path in self.removed]
        return lines

    def fingerprint(self) -> str:
        return hashlib.sha1("\n".join(sorted(self.describe())).encode()).hexdigest()[:10]


def _parent(path: str) -> str:
    parts = _SPLIT.split(path)
    return path[: len(path) - len(parts[-1])]


def _leaf(path: str) -> str:
    return _SPLIT.split(path)[-1]


def _topmost(paths: Iterable[str]) -> list[str]:
    """Drop paths whose parent is in the same set: a new `metadata` object is one change, not one per key."""
    chosen = set(paths)
    return sorted(
        path
        for path in chosen
        if not any(path.startswith(other) and path != other and path[len(other)] in ".[" for other in chosen)
    )


def values_at(payload: Any, path: str) -> list[Any]:
    """Scalar values found at a dotted path (`lines[].amount`) in one payload."""
    current: list[Any] = [payload]
    for part in re.split(r"(\[\]|\.)", path):
        if part in ("", "."):
            continue
        if part == "[]":
            current = [item for value in current if isinstance(value, list) for item in value]
        else:
            current = [value[part] for value in current if isinstance(value, dict) and part in value]
    return [value for value in current if value is not None and not isinstance(value, dict | list)]


def _value_score(old: str, new: str, samples: Sequence[Mapping[str, Any]]) -> float:
    old_values = {str(value) for payload in samples for value in values_at(payload, old)}
    new_values = {str(value) for payload in samples for value in values_at(payload, new)}
    if not old_values or not new_values:
        return 0.0
    old_values, new_values = set(sorted(old_values)[:_SAMPLE_VALUES]), set(sorted(new_values)[:_SAMPLE_VALUES])
    return len(old_values & new_values) / min(len(old_values), len(new_values))


def detect_renames(
    removed: Sequence[str], added: Sequence[str], samples: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Pairs (removed, added) that are one field renamed, best first, each field in at most one pair."""
    scored = []
    for old in removed:
        for new in added:
            if _parent(old) != _parent(new):
                continue
            by_name = fuzz.WRatio(_leaf(old), _leaf(new)) / 100
            by_value = _value_score(old, new, samples)
            score = max(by_name, by_value)
            if score >= RENAME_MIN_SCORE:
                scored.append((score, old, new, "values" if by_value > by_name else "name"))
    pairs, used = [], set()
    for score, old, new, basis in sorted(scored, key=lambda item: (-item[0], item[1], item[2])):
        if old in used or new in used:
            continue
        used |= {old, new}
        pairs.append({"from": old, "to": new, "score": round(score, 3), "basis": basis})
    return pairs


def stream_drift(
    tool: str,
    obj: str,
    snapshots: Sequence[Mapping[str, Any]],
    accepted_id: int | None,
    samples: Sequence[Mapping[str, Any]],
    ignore: Sequence[str] = (),
) -> Drift | None:
    """The drift of one stream from its snapshots (oldest first); None before the first snapshot. Paths matching
    an `ignore` pattern (free-form keys such as Stripe metadata) are not schema and never count."""
    if not snapshots:
        return None
    baseline = next((snap for snap in snapshots if snap["id"] == accepted_id), snapshots[0])
    current = snapshots[-1]

    def schema(fields: Iterable[str]) -> set[str]:
        return {path for path in fields if not any(fnmatchcase(path, pattern) for pattern in ignore)}

    before, after = schema(baseline["fields"]), schema(current["fields"])
    added, removed = _topmost(after - before), _topmost(before - after)
    renamed = detect_renames(removed, added, samples)
    renamed_from = {item["from"] for item in renamed}
    renamed_to = {item["to"] for item in renamed}
    return Drift(
        tool=tool,
        object=obj,
        added=[path for path in added if path not in renamed_to],
        removed=[path for path in removed if path not in renamed_from],
        renamed=renamed,
        baseline_id=baseline["id"],
        current_id=current["id"],
        baseline_at=baseline["captured_at"].isoformat(),
        current_at=current["captured_at"].isoformat(),
    )


def payload_columns(paths: Iterable[str], ignore: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The columns of a stream as its schema snapshot knows them: each payload field path with its kind, `object`
    (has fields below it), `list` (of objects) or `value`, in path order; `ignore`d paths (free-form keys) left
    out, as drift leaves them out. What the ingestion asset shows as its column schema."""
    kept = sorted(path for path in set(paths) if not any(fnmatchcase(path, pattern) for pattern in ignore))
    below = {_parent(path) for path in kept}  # "properties." for properties.email, "lines[]." for lines[].amount

    def kind(path: str) -> str:
        if f"{path}[]." in below:
            return "list"
        return "object" if f"{path}." in below else "value"

    return [(path, kind(path)) for path in kept]


def drift_metric(drift: Drift) -> Metric:
    """`schema_drift/<stream>`: number of changed fields (a rename counts once); 0 passes."""
    detail = {
        "added": drift.added,
        "removed": drift.removed,
        "renamed": drift.renamed,
        "changes": drift.describe(),
        "fingerprint": drift.fingerprint(),
        "baseline_id": drift.baseline_id,
        "baseline_at": drift.baseline_at,
        "current_id": drift.current_id,
        "current_at": drift.current_at,
        "offenders": [
            {"tool": drift.tool, "stream": stream_name(drift.tool, drift.object), "change": line, "summary": line}
            for line in drift.describe()
        ],
    }
    stream = stream_name(drift.tool, drift.object)
    return Metric("schema_drift", drift.tool, drift.changes, 0.0, drift.changes == 0, detail, stream)
