"""Golden ids that survive re-runs, merges and splits.

Cluster ids from `resolve` are recomputed from the data each run. Downstream systems need ids that do not move:
each cluster inherits the stable id of the previous cluster most of whose records it holds. When two previous
clusters become one, the older id survives and the other is retired as merged into it; when a previous cluster
splits, the part holding most of its records keeps the id and the rest get new ids with a trace to the old one.
Retired ids stay in the cross-reference as tombstones so that no id is ever issued twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

XREF_COLUMNS = ("record_id", "golden_id", "cluster_id", "created_at", "status", "merged_into")
EVENT_COLUMNS = ("event", "golden_id", "related_id", "record_count")


@dataclass(frozen=True)
class StableIdResult:
    """`xref`: the cross-reference to keep for the next run (XREF_COLUMNS): one `active` row per record with its
    stable `golden_id`, the run's `cluster_id` and the id's `created_at`, plus one `retired` row (no record_id) per
    id ever retired, with `merged_into` naming its successor when it was merged away.

    `events` (EVENT_COLUMNS), one per current cluster or retired id:
    `created` (new cluster), `unchanged` (same id, same records), `updated` (same id, records joined or left),
    `merged` (`related_id` was merged into `golden_id`), `split` (`golden_id` is new, split off `related_id`),
    `removed` (every record of `golden_id` is gone).
    """

    xref: pd.DataFrame
    events: pd.DataFrame

    def ids(self) -> pd.Series:
        """Stable golden id by record_id, for joining onto resolved records."""
        active = self.xref[self.xref["status"] == "active"]
        return active.set_index("record_id")["golden_id"]


def _new_id(prefix: str, seed: str, taken: set[str]) -> str:
    counter = 0
    while True:
        digest = hashlib.sha256(f"{seed}|{counter}".encode()).hexdigest()[:10].upper()
        candidate = f"{prefix}-{digest}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate
        counter += 1


def _empty_xref() -> pd.DataFrame:
    columns = {column: pd.Series(dtype="object") for column in XREF_COLUMNS}
    return pd.DataFrame({**columns, "created_at": pd.Series(dtype="datetime64[us, UTC]")})


def _size_and_first(frame: pd.DataFrame, keys: list[str], size: str) -> pd.DataFrame:
    """Per group of `keys`: its number of records (`size`) and its smallest record_id (`first_record`). The smallest
    is found by sorting once and keeping each group's first row: a grouped min over text runs in Python per group."""
    ordered = frame.sort_values("record_id", kind="stable")
    first = ordered.drop_duplicates(keys)[[*keys, "record_id"]].rename(columns={"record_id": "first_record"})
    sizes = ordered.groupby(keys, sort=False).size().rename(size).reset_index()
    return sizes.merge(first, on=keys, how="left")[[*keys, size, "first_record"]]


def assign_stable_ids(
    resolved: pd.DataFrame,
    previous: pd.DataFrame | StableIdResult | None,
    *,
    prefix: str = "GC",
    column: str = "golden_customer_id",
    now: datetime | None = None,
    issued: set[str] | None = None,
) -> StableIdResult:
    """Stable ids for the clusters in `resolved[column]`, continuing from the previous run's xref (None or an empty
    frame on the first run).

    Use prefix "GC" with `golden_customer_id` and "GP" with `golden_person_id`, each with its own xref. Records with
    no cluster (no person) are left out; when no record has one, the xref is empty. Re-running on the same clusters
    changes no id. New ids are the prefix and a short hash of the cluster's smallest record_id, deterministic and
    never equal to an id issued before. `issued` names further ids ever issued that `previous` leaves out (a run
    that continues only the clusters that changed passes the rest of the store's ids here).
    """
    created_now = pd.Timestamp(now or datetime.now(UTC)).tz_convert(UTC)
    before = previous.xref if isinstance(previous, StableIdResult) else previous
    # An xref read back from storage may hold times as text, or be empty with any column types.
    before = _empty_xref() if before is None else before
    before = before.assign(created_at=pd.to_datetime(before["created_at"], utc=True))
    before_active = before[before["status"] == "active"][["record_id", "golden_id"]].astype("object")
    created_at = before.drop_duplicates("golden_id").set_index("golden_id")["created_at"]
    taken: set[str] = set(before["golden_id"].astype("str")) | (issued or set())

    current = resolved[["record_id", column]].rename(columns={column: "cluster_id"})
    current = current[current["cluster_id"].notna() & (current["cluster_id"].astype("str") != "")]
    current = current.astype({"record_id": "object", "cluster_id": "object"}).reset_index(drop=True)
    joined = current.merge(before_active, on="record_id", how="left")

    overlap = _size_and_first(joined.dropna(subset=["golden_id"]), ["golden_id", "cluster_id"], "shared")
    # Each previous id goes to the cluster holding most of its records (ties: the one with the smallest record).
    heirs = overlap.sort_values(["golden_id", "shared", "first_record"], ascending=[True, False, True])
    heirs = heirs.drop_duplicates("golden_id")
    heirs = heirs.assign(created_at=created_at.reindex(heirs["golden_id"].astype(object)).to_numpy())
    # A cluster claimed by several previous ids keeps the oldest (ties: the smallest id); the others merge into it.
    claims = heirs.sort_values(["cluster_id", "created_at", "golden_id"])
    winners = claims.drop_duplicates("cluster_id").set_index("cluster_id")
    absorbed = claims[claims.duplicated("cluster_id")]

    previous_size = before_active.groupby("golden_id").size()
    clusters = _size_and_first(current, ["cluster_id"], "size").sort_values("first_record", ignore_index=True)
    origin = overlap.sort_values(["cluster_id", "shared", "golden_id"], ascending=[True, False, True])
    origin = origin.drop_duplicates("cluster_id").set_index("cluster_id")["golden_id"]

    stable: dict[str, str] = {}
    born: dict[str, pd.Timestamp] = {}
    events: list[tuple[str, str, str | None, int]] = []
    winner_of = winners[["golden_id", "created_at", "shared"]].to_dict("index")  # one lookup per cluster, no .loc
    for cluster_id, size, first_record in clusters[["cluster_id", "size", "first_record"]].itertuples(index=False):
        winner = winner_of.get(cluster_id)
        if winner is not None:
            stable[cluster_id], born[cluster_id] = winner["golden_id"], winner["created_at"]
            same = winner["shared"] == size == previous_size.get(winner["golden_id"], -1)
            events.append(("unchanged" if same else "updated", winner["golden_id"], None, int(size)))
            continue
        stable[cluster_id] = _new_id(prefix, str(first_record), taken)
        born[cluster_id] = created_now
        split_from = origin.get(cluster_id)
        events.append(("split" if split_from is not None else "created", stable[cluster_id], split_from, int(size)))

    tombstones = [
        {"golden_id": row.golden_id, "created_at": row.created_at, "merged_into": stable[row.cluster_id]}
        for row in absorbed.itertuples(index=False)
    ]
    events += [("merged", stone["merged_into"], stone["golden_id"], 0) for stone in tombstones]
    still_present = set(overlap["golden_id"])
    for golden_id in sorted(set(before_active["golden_id"]) - still_present):
        tombstones.append({"golden_id": golden_id, "created_at": created_at[golden_id], "merged_into": None})
        events.append(("removed", golden_id, None, 0))

    active = current.assign(
        golden_id=current["cluster_id"].map(stable),
        created_at=current["cluster_id"].map(born),
        status="active",
        merged_into=None,
    )
    retired = pd.DataFrame(tombstones, columns=["golden_id", "created_at", "merged_into"]).assign(
        record_id=None, cluster_id=None, status="retired"
    )
    earlier = before[before["status"] == "retired"]
    # Empty parts are left out: nothing to keep (no record names a person yet) must give an empty xref, and an
    # empty part's column types must not decide the result's.
    parts = [frame.reindex(columns=list(XREF_COLUMNS)) for frame in (active, earlier, retired) if len(frame)]
    xref = pd.concat(parts, ignore_index=True) if parts else _empty_xref()
    return StableIdResult(xref=xref, events=pd.DataFrame(events, columns=list(EVENT_COLUMNS)))
