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

It builds a sandbox hub on SQLite (full sync, customer_records, golden), changes records as `pipeline_scale.py`
does (1% changed, 0.1% created, 0.05% deleted, two merges), syncs and rebuilds customer_records, then matches the
hub once more with the stored model, as the next golden run would.

    .venv/bin/python benchmarks/matching_reach.py [--scale 5] [--seed 42]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from customer_hub.config import load_config
from customer_hub.golden.build import STEP, build_golden, resolution_settings, reusable_model
from customer_hub.golden.records import build_customer_records
from customer_hub.resolution.accounts import link_accounts
from customer_hub.resolution.blocking import BlockingReport
from customer_hub.resolution.comparisons import RecordContext
from customer_hub.resolution.engine import resolve_with_review
from customer_hub.resolution.people import candidate_pairs
from customer_hub.resolution.prepare import prepare
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
        resolution = resolve_with_review(records, settings, model)

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


if __name__ == "__main__":
    main()
