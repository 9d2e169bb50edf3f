"""Person names made comparable, and compared the way a person reading two records would.

Tools disagree on accents ('José' / 'Jose'), case, stray whitespace and which box holds which part: a spreadsheet
row typed as 'Smith, John' or with first and last swapped is still John Smith. Names are compared part by part in
both orientations so a swap costs nothing, while 'Jane Smith' never passes for 'John Smith'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from customer_hub.resolution.text import fold, map_unique, squash_spaces

_HONORIFICS = r"^(?:(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame) )+"
_GENERATIONAL = r"(?: (?:jr|sr|ii|iii|iv|phd|md|esq))+$"
_LAST_FIRST = r"^([^,]+),(.+)$"


def _normalise_person_names(values: pd.Series) -> pd.Series:
    text = fold(values).str.replace(r"['’`]", "", regex=True).str.replace(r"[^a-z]+", " ", regex=True)
    text = squash_spaces(text).str.replace(_HONORIFICS, "", regex=True)
    return text.str.replace(_GENERATIONAL, "", regex=True)


def normalize_person_names(values: pd.Series) -> pd.Series:
    """Name parts without accents, case, punctuation, titles or generational suffixes ('Dr. José  Núñez Jr.' ->
    'jose nunez'); '' where none was given."""
    return map_unique(values, _normalise_person_names)


def _split_full_names(values: pd.Series) -> pd.DataFrame:
    ordered = _normalise_person_names(values.str.replace(_LAST_FIRST, r"\2 \1", regex=True))
    first = ordered.str.replace(r" .*$", "", regex=True)
    last = ordered.str.replace(r"^[^ ]+ ?", "", regex=True)
    return pd.DataFrame({"first_name": first, "last_name": last})


def split_full_names(values: pd.Series) -> pd.DataFrame:
    """Columns `first_name` and `last_name` (normalised) from full names; 'Smith, John' is read last-name-first."""
    return map_unique(values, _split_full_names)


@dataclass(frozen=True)
class NameComparison:
    """How alike two names are (0-100), the part scores behind it and whether one was entered first/last swapped."""

    score: float
    first: float
    last: float
    swapped: bool


def compare_name_arrays(
    first_a: np.ndarray,
    last_a: np.ndarray,
    first_b: np.ndarray,
    last_b: np.ndarray,
    *,
    initial_score: float = 85.0,
    partial_penalty: float = 12.0,
) -> pd.DataFrame:
    """Element-wise comparison of normalised names; columns `score`, `first`, `last`, `swapped`.

    Both orientations are scored and the better one kept, so 'Smith John' matches 'John Smith' with `swapped` set.
    A lone initial matching a first name scores `initial_score`. When one side lacks a first or last name only
    the parts both have are compared, less `partial_penalty`, because a bare surname is weak evidence.
    """

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if len(a) == 0:
            return np.zeros(0, dtype=np.float64)
        return process.cpdist(a, b, scorer=fuzz.ratio, workers=-1).astype(np.float64)

    def initials_agree(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        text_a, text_b = pd.Series(a, dtype="str"), pd.Series(b, dtype="str")
        length_a, length_b = text_a.str.len().to_numpy(), text_b.str.len().to_numpy()
        same_letter = (text_a.str[:1] == text_b.str[:1]).to_numpy()
        return ((length_a == 1) | (length_b == 1)) & (length_a > 0) & (length_b > 0) & same_letter

    ff, ll = ratio(first_a, first_b), ratio(last_a, last_b)
    fl, lf = ratio(first_a, last_b), ratio(last_a, first_b)
    ff = np.where(initials_agree(first_a, first_b), np.maximum(ff, initial_score), ff)
    straight, crossed = (ff + ll) / 2, (fl + lf) / 2
    swapped = crossed > straight
    first = np.where(swapped, fl, ff)
    last = np.where(swapped, lf, ll)
    score = np.maximum(straight, crossed)

    has_first_a, has_first_b = first_a != "", first_b != ""
    has_last_a, has_last_b = last_a != "", last_b != ""
    complete = has_first_a & has_first_b & has_last_a & has_last_b
    only_surnames = ~complete & has_last_a & has_last_b
    only_first_names = ~complete & ~only_surnames & has_first_a & has_first_b & ~has_last_a & ~has_last_b
    score = np.select(
        [complete, only_surnames, only_first_names], [score, ll - partial_penalty, ff - partial_penalty], 0.0
    )
    first = np.where(complete | only_first_names, first, np.nan)
    last = np.where(complete | only_surnames, last, np.nan)
    return pd.DataFrame(
        {"score": np.clip(score, 0.0, 100.0), "first": first, "last": last, "swapped": swapped & complete}
    )


def compare_names(first_a: str, last_a: str, first_b: str, last_b: str) -> NameComparison:
    """Compare two names given as raw first/last parts; see `compare_name_arrays`."""
    parts = normalize_person_names(pd.Series([first_a, last_a, first_b, last_b])).to_numpy(dtype=object)
    row = compare_name_arrays(parts[[0]], parts[[1]], parts[[2]], parts[[3]]).iloc[0]
    return NameComparison(float(row["score"]), float(row["first"]), float(row["last"]), bool(row["swapped"]))
