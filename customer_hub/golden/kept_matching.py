"""When a golden run may keep the last run's matching: no field that matching reads changed.

Most changes a sync brings touch no identity field: a subscription renews, an invoice is paid, a deal moves stage,
a conversation closes. Matching is a pure function of the records' matching fields, the settings, the steward
decisions and the match model, so when none of them moved since the last run its clusters, links and review pairs
are the last run's, exactly. A golden run then skips matching (most of its time after a small change) and only
survives the golden records whose records changed. `matching_digest` says whether the fields moved; the settings,
decisions and model are compared by the run itself.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.resources
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from customer_hub.resolution.engine import REVIEW_COLUMNS

MATCHING_UNREAD = ("source_system", "source_object", "source_id", "source_updated_at", "revision")
"""Columns of the matching input (`resolution_snapshot.resolution_frame`) that matching never reads; every other
column counts, so a field matching starts to read is in the digest without a change here."""

_LIBRARIES = ("anyascii", "jellyfish", "nicknames", "numpy", "pandas", "phonenumbers", "publicsuffixlist", "rapidfuzz")
"""The libraries matching reads names, phones and domains with: an upgrade may read a value otherwise."""


def matching_digest(records: pd.DataFrame) -> str:
    """One digest of what matching reads: every record's matching fields, in the order given, the names of those
    fields, and the matching code (`matching_code`). Equal digests mean equal input to matching."""
    read = records.drop(columns=[column for column in MATCHING_UNREAD if column in records.columns])
    digest = hashlib.sha1(matching_code().encode())
    digest.update("\x1f".join(read.columns).encode())
    digest.update(pd.util.hash_pandas_object(read, index=False).to_numpy().tobytes())
    return digest.hexdigest()


@functools.cache
def matching_code() -> str:
    """A digest of the matching code (the sources of `customer_hub.resolution`) and of the versions of the libraries
    it reads values with, so a release that matches differently matches again rather than keep the last run's."""
    digest = hashlib.sha1()
    package = importlib.resources.files("customer_hub.resolution")
    for name in sorted(item.name for item in package.iterdir() if item.name.endswith(".py")):
        digest.update(name.encode())
        digest.update(package.joinpath(name).read_bytes())
    for library in _LIBRARIES:
        digest.update(f"{library}=={importlib.metadata.version(library)}".encode())
    digest.update(f"unicode=={unicodedata.unidata_version}".encode())  # accents are folded by its tables
    return digest.hexdigest()


def kept_review(candidates: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The open pairs of the review queue as the matching that queued them gave them (`REVIEW_COLUMNS`), so a run
    that keeps that matching queues them again as it would have."""
    rows = []
    for row in candidates:
        if row["status"] != "open":
            continue
        scores = row.get("scores") or {}
        rows.append(
            {
                "record_id_a": row["record_id_a"],
                "record_id_b": row["record_id_b"],
                "level": scores.get("level"),
                "confidence": float(row["score"]),
                "match_rule": scores.get("rule"),
                "match_scores": scores.get("evidence"),
                "reason": scores.get("reason"),
            }
        )
    return pd.DataFrame(rows, columns=list(REVIEW_COLUMNS)).astype({"confidence": "float64"})
