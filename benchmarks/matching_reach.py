"""How far a small change reaches in matching's graphs: the figures an incremental matcher has to beat.

A golden run re-matches every live record, because which records one change can move is not known before matching.
This script measures how much of the hub a change could move, by the graph an incremental matcher would keep:

- **customers holding a change**: the records of the golden customers that hold a changed (or deleted) record,
  which survivorship and customer_360 already rebuild;
- **strong-edge components**: connected components of every pair that ends in one cluster or in the review queue
  (the final person and customer clusters joined by the review pairs): what a matcher that kept its scored pairs
  above the review threshold would have to cluster again;
- **candidate-graph components**: connected components of every pair blocking proposes to score (person
  candidate pairs, with the clusters joining them): what a matcher that kept only its blocks would have to score
  and cluster again.

It also counts the unchanged records scored with another term frequency than before the change (a value counted on
the records crossed one of its steps; a kept model keeps the counts of the values it was trained on): a matcher
exact by construction scores their pairs again too, since their weights and the evidence their links show move.

It then matches a region around the change alone, as an incremental matcher would, and counts the region's
records that end up clustered otherwise than when the whole hub is matched. The region is the stored customers,
people and open review pairs holding a changed record or one of its neighbours, by two readings of "neighbour":

- **blocking neighbours**: every record blocking pairs with a changed one;
- **strong neighbours**: the records whose pair with a changed one scores at the review threshold or above, and
  those sharing a personal address, company or company domain with one (exact keys link without a score).

Each region is matched twice: with its own term frequencies, and with the whole hub's (what an incremental matcher
would carry from run to run). Each run also compares the link that explains each record, and the review pairs.

It builds a sandbox hub on SQLite (full sync, customer_records, golden), changes records as `pipeline_scale.py`
does (1% changed, 0.1% created, 0.05% deleted, two merges), syncs and rebuilds customer_records, then matches the
hub once more with the stored model, as the next golden run would, and the regions with the same model.

    .venv/bin/python benchmarks/matching_reach.py [--scale 5] [--seed 42]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Mapping
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
import pandas as pd

from customer_hub.config import load_config
from customer_hub.golden.build import STEP, build_golden, resolution_settings, reusable_model
from customer_hub.golden.records import build_customer_records
from customer_hub.resolution import fellegi_sunter
from customer_hub.resolution.accounts import link_accounts
from customer_hub.resolution.blocking import BlockingReport
from customer_hub.resolution.comparisons import RecordContext
from customer_hub.resolution.engine import Resolution, resolve_with_review
from customer_hub.resolution.fellegi_sunter import MatchModel
from customer_hub.resolution.people import candidate_pairs, score_pairs
from customer_hub.resolution.prepare import prepare
from customer_hub.resolution.settings import ResolutionSettings
from customer_hub.resolution.union_find import connected_components
from customer_hub.sandbox import start_sandbox
from customer_hub.spokes.registry import streams
from customer_hub.store import engine_for, frames, golden_store, keyed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_scale import ROOT, sync_all  # noqa: E402


def reached(labels: np.ndarray, changed: np.ndarray) -> tuple[int, int]:
    """Records in the groups (`labels`) that hold a changed record, and the largest group's size."""
    inside = np.isin(labels, np.unique(labels[changed]))
    return int(inside.sum()), int(np.bincount(labels).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    config = load_config(ROOT / "hub.yaml")
    with tempfile.TemporaryDirectory() as folder, start_sandbox(seed=args.seed, scale=args.scale) as sandbox:
        url = f"sqlite:///{folder}/hub.db"
        engine = engine_for(url)
        started = time.perf_counter()
        sync_all(engine, config, url, sandbox.url, "full")
        build_customer_records(engine, config.matching)
        build_golden(engine, config)
        before = frames.resolution_frame(engine)
        landed = sum(sandbox.state.counts().get(tool, {}).get(obj, 0) for tool, obj in streams(config))
        sandbox.state.mutate(0.01, create=max(1, landed // 1000), delete=max(1, landed // 2000), merge=2)
        sync_all(engine, config, url, sandbox.url, "auto")
        build_customer_records(engine, config.matching)
        print(f"hub built and changed in {time.perf_counter() - started:.0f} s", file=sys.stderr)

        state = keyed.read_state(engine, STEP)
        records = frames.resolution_frame(engine)
        stored = frames.xref_frame(engine)
        settings = resolution_settings(config.matching, golden_store.read_decisions(engine))
        model = reusable_model(state, config, len(records))
        started = time.perf_counter()
        resolution = resolve_with_review(records, settings, model)
        resolve_seconds = time.perf_counter() - started
        previous = resolve_with_review(before, settings, model)

    size = len(records)
    changed = (records["revision"] > state.revision).to_numpy().copy()
    # a deleted record's old customer is changed too: its records are those the stored xref gives it
    gone = ~frames.among(stored["record_id"], records["record_id"])
    left_behind = frames.among(stored["golden_customer_id"], stored.loc[gone, "golden_customer_id"])
    changed |= frames.among(records["record_id"], stored.loc[left_behind & ~gone, "record_id"])

    resolved = resolution.records
    customers = pd.factorize(resolved["golden_customer_id"])[0]
    persons = pd.factorize(resolved["golden_person_id"].fillna(resolved["golden_customer_id"]))[0]
    at = pd.Index(resolved["record_id"])
    review_a = at.get_indexer(resolution.review["record_id_a"])
    review_b = at.get_indexer(resolution.review["record_id_b"])
    order = np.arange(size)
    strong = connected_components(
        size * 3,
        np.concatenate([order, order, review_a]),
        np.concatenate([customers + size, persons + 2 * size, review_b]),
    )[:size]

    features = prepare(records, settings)
    accounts = link_accounts(features, settings)
    context = RecordContext(features, accounts.clustering.labels, accounts.names)
    people = np.flatnonzero(features.is_person & features.full_name.present())
    left, right = candidate_pairs(context, people, settings, BlockingReport())
    candidates = connected_components(
        size * 2, np.concatenate([left, order]), np.concatenate([right, customers + size])
    )[:size]

    print(f"scale {args.scale:g}: {size} live records, {int(changed.sum())} changed (new, edited, or left behind "
          f"by a deletion); {len(left)} person candidate pairs, {len(resolution.review)} review pairs")  # fmt: skip
    print(f"{'graph':<40}{'records reached':>16}{'share':>8}{'largest group':>15}")
    for name, labels in (
        ("customers holding a change", customers),
        ("strong-edge components", np.asarray(strong)),
        ("candidate-graph components", np.asarray(candidates)),
    ):
        count, largest = reached(labels, changed)
        print(f"{name:<40}{count:>16}{count / size:>8.1%}{largest:>15}")

    # what the previous run knew: its customers, people and open review pairs, as components
    old_strong = stored_components(records, stored, golden_store.read_candidates(engine, "open"))
    print(f"whole-hub re-resolve: {size} records in {resolve_seconds:.1f} s")
    moved = frequencies_moved(previous, resolution, changed)
    count, _ = reached(old_strong, changed | moved)
    print(f"unchanged records scored with a term frequency that moved: {int(moved.sum())}; with the changed "
          f"records, the stored customers, people and open pairs holding them hold {count} records "
          f"({count / size:.1%})")  # fmt: skip
    local_resolve("blocking neighbours", records, settings, model, resolution, old_strong, changed | touches(changed,
                  left, right))  # fmt: skip
    seeds = changed[left] | changed[right]
    _, weights, _ = score_pairs(resolution.model, context, left[seeds], right[seeds])
    scored = resolution.model.probability(weights) >= settings.review_threshold
    near = changed | touches(changed, left[seeds][scored], right[seeds][scored])
    for codes in (features.person_email.codes, features.company.codes, features.company_domain.codes):
        near |= np.isin(codes, np.unique(codes[changed & (codes >= 0)]))  # an exact shared key links without a score
    print(f"{int(seeds.sum())} candidate pairs touch a change; {int(scored.sum())} of them score for review or more")
    local_resolve("strong neighbours", records, settings, model, resolution, old_strong, near)


def touches(changed: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The records paired with a changed record by the pairs `left`-`right`."""
    near = np.zeros(len(changed), dtype=bool)
    near[right[changed[left]]] = True
    near[left[changed[right]]] = True
    return near


def frequencies_moved(before: Resolution, after: Resolution, changed: np.ndarray) -> np.ndarray:
    """Per live record (in `after`'s order), whether it is unchanged yet scored with a term frequency other than the
    last run's: every pair it is in may score otherwise, so a matcher exact by construction has to score it again.
    Prints how many records each comparison moves."""
    assert before.model is not None and after.model is not None
    at = pd.Index(before.records["record_id"]).get_indexer(after.records["record_id"])
    known = at >= 0
    moved = np.zeros(len(at), dtype=bool)
    for comparison, old, new in zip(
        after.model.comparisons, before.model.term_frequency, after.model.term_frequency, strict=True
    ):
        if old is None or new is None:
            continue
        differs = np.zeros(len(at), dtype=bool)
        differs[known] = old[at[known]] != new[known]
        differs &= ~changed
        print(f"  {comparison.name}: {int(differs.sum())} unchanged records scored with another term frequency")
        moved |= differs
    return moved


def stored_components(records: pd.DataFrame, stored: pd.DataFrame, review: list[dict[str, Any]]) -> np.ndarray:
    """Per live record, a label of the component the stored run's customers, people and open pairs join it into."""
    size = len(records)
    at = pd.Index(records["record_id"])
    nodes = at.get_indexer(stored["record_id"])
    live = nodes >= 0
    customer = pd.factorize(stored["golden_customer_id"])[0][live]
    person = pd.factorize(stored["golden_person_id"].fillna(stored["golden_customer_id"]))[0][live]
    pair_a = at.get_indexer([row["record_id_a"] for row in review])
    pair_b = at.get_indexer([row["record_id_b"] for row in review])
    kept = (pair_a >= 0) & (pair_b >= 0)
    return connected_components(
        size * 3,
        np.concatenate([nodes[live], nodes[live], pair_a[kept]]),
        np.concatenate([customer + size, person + 2 * size, pair_b[kept]]),
    )[:size]


def partition_differences(local: np.ndarray, whole: np.ndarray) -> tuple[int, int]:
    """Records the `local` labelling puts in a cluster joining several `whole` clusters, and records it splits off
    from their `whole` cluster."""
    pairs = pd.DataFrame({"local": local, "whole": whole})
    joined = pairs.groupby("local")["whole"].transform("nunique") > 1
    split = pairs.groupby("whole")["local"].transform("nunique") > 1
    return int(joined.sum()), int(split.sum())


def hub_frequencies(
    hub: MatchModel, rows: np.ndarray, *_: Any
) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
    """In place of `fellegi_sunter.term_frequencies` for a region: each of its records' term frequencies as the
    whole hub's matching counted them (`rows`: the region's records in the hub), as an incremental matcher would
    carry them."""
    frequencies = tuple(None if each is None else each[rows] for each in hub.term_frequency)
    return frequencies, tuple(hub.term_totals), tuple(hub.term_counts)


def local_resolve(
    name: str,
    records: pd.DataFrame,
    settings: ResolutionSettings,
    model: Mapping[str, Any] | None,
    whole_hub: Resolution,
    old_strong: np.ndarray,
    near: np.ndarray,
) -> None:
    """Match only the region around a change and compare it with matching the whole hub.

    The region is what an incremental matcher could know before matching: the records `near` a change and every
    record the stored run's customers, people and open review pairs join to them. Matched alone, it has its own
    term frequencies, blocks and counted keys; the records it clusters otherwise than the whole hub does measure
    how far matching depends on the rest of the hub. It is matched once more with the whole hub's term frequencies,
    and each run's links (the one that explains each record) and review pairs are compared as well."""
    region = np.isin(old_strong, np.unique(old_strong[near]))
    rows = np.flatnonzero(region)
    whole = whole_hub.records.iloc[rows].reset_index(drop=True)
    print(f"region of {name}: {len(rows)} records ({region.mean():.1%})")
    assert whole_hub.model is not None
    for frequencies, patched in (
        ("its own term frequencies", nullcontext()),
        ("the hub's term frequencies", patch.object(fellegi_sunter, "term_frequencies",
                                                    partial(hub_frequencies, whole_hub.model, rows))),
    ):  # fmt: skip
        started = time.perf_counter()
        with patched:
            local = resolve_with_review(records.iloc[rows].reset_index(drop=True), settings, model)
        print(f"  matched alone with {frequencies} in {time.perf_counter() - started:.1f} s")
        for level in ("golden_customer_id", "golden_person_id"):
            joined, split = partition_differences(
                pd.factorize(local.records[level].fillna(local.records["golden_customer_id"] + "/"))[0],
                pd.factorize(whole[level].fillna(whole["golden_customer_id"] + "/"))[0],
            )
            ids = whole_hub.records[level]
            crossing = len(set(ids[region].dropna()) & set(ids[~region].dropna()))
            print(f"    {level}: {joined} of its records joined, {split} split off, against the whole hub's "
                  f"clusters; {crossing} whole-hub clusters reach outside it")  # fmt: skip
        link = ["match_rule", "linked_to", "confidence"]
        other_links = int((local.records[link] != whole[link]).any(axis=1).sum())
        inside = set(whole_hub.records["record_id"].iloc[rows])
        pair = ["record_id_a", "record_id_b", "level", "confidence"]
        hub_review = whole_hub.review[whole_hub.review["record_id_a"].isin(inside)
                                      & whole_hub.review["record_id_b"].isin(inside)]  # fmt: skip
        own, theirs = set(map(tuple, local.review[pair].to_numpy())), set(map(tuple, hub_review[pair].to_numpy()))
        print(f"    {other_links} records explained by another link; review pairs: {len(own)} here, "
              f"{len(theirs)} of the whole hub's inside the region, {len(own ^ theirs)} not in both")  # fmt: skip


if __name__ == "__main__":
    main()
