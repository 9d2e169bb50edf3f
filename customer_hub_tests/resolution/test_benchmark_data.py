"""The synthetic benchmark data and its pairwise metric, at a size small enough for every test run."""

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from customer_hub.resolution import resolve

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return _load("synthetic_customers")


@pytest.fixture(scope="module")
def benchmark():
    return _load("resolution_benchmark")


def test_pairwise_scores_count_pairs_from_cluster_sizes(benchmark):
    truth = pd.Series(["a", "a", "a", "b", "b", None])
    predicted = pd.Series(["x", "x", "y", "y", "y", "y"])
    scores = benchmark.pairwise_scores(truth, predicted)
    # true pairs: 3 (a) + 1 (b); predicted pairs: 1 (x) + 3 (y among records 2-4; record 5 has no truth but counts)
    # here y holds 4 records -> 6 pairs; true positives: (0,1) and (3,4) -> 2
    assert scores["precision"] == pytest.approx(2 / 7)
    assert scores["recall"] == pytest.approx(2 / 4)


def test_generator_is_seeded_and_carries_ground_truth(generator):
    first, second = generator.generate(1500, seed=5), generator.generate(1500, seed=5)
    assert len(first) == 1500
    pd.testing.assert_frame_equal(first, second)
    assert first["record_id"].is_unique
    assert set(first["source_system"]) == {"hubspot", "stripe", "intercom", "quickbooks", "sheets"}
    assert first.loc[first["is_account_only"], "true_person_id"].isna().all()
    assert not generator.generate(1500, seed=6).equals(first)


def test_resolution_quality_on_synthetic_customers(generator, benchmark):
    records = generator.generate(4000, seed=9)
    resolved = resolve(records.drop(columns=["true_person_id", "true_account_id"]))
    people = benchmark.pairwise_scores(records["true_person_id"], resolved["golden_person_id"])
    accounts = benchmark.pairwise_scores(records["true_account_id"], resolved["golden_customer_id"])
    assert people["precision"] > 0.98
    assert people["f1"] > 0.93
    assert accounts["f1"] > 0.95
