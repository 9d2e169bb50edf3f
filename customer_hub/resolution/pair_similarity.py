"""String similarity of many record pairs at once, computed once per distinct pair of values.

Candidate pairs repeat the same values endlessly ('john' against 'jon' thousands of times), so each measure is
computed on the distinct (value, value) code pairs only and spread back to the record pairs. Measures come from
well-kept libraries: rapidfuzz (Jaro-Winkler, Damerau-Levenshtein; C++, many pairs per call), jellyfish
(Metaphone codes) and the `nicknames` dataset (hand-curated English given names and their nicknames).
"""

from __future__ import annotations

from functools import cache

import jellyfish
import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, Hamming, JaroWinkler

from customer_hub.resolution.sorted_values import sorted_unique


def distinct_pairs(codes_a: np.ndarray, codes_b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (a, b) code pairs among pairs where both codes are present and differ, and for every input
    pair the index of its distinct pair (-1 where it has none)."""
    valid = (codes_a >= 0) & (codes_b >= 0) & (codes_a != codes_b)
    index = np.full(len(codes_a), -1, dtype=np.int64)
    if not valid.any():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, index
    span = np.int64(max(codes_a.max(), codes_b.max())) + 1
    key = codes_a[valid].astype(np.int64) * span + codes_b[valid]
    inverse, uniques = pd.factorize(key)
    index[valid] = inverse
    uniques = np.asarray(uniques, dtype=np.int64)
    return uniques // span, uniques % span, index


def _spread(per_distinct: np.ndarray, index: np.ndarray, codes_a: np.ndarray, codes_b: np.ndarray) -> np.ndarray:
    """Distinct-pair results back on every pair: 1 where the codes are equal, NaN where either is missing."""
    out = np.where((codes_a >= 0) & (codes_a == codes_b), 1.0, np.nan)
    has = index >= 0
    out[has] = per_distinct[index[has]]
    return out


def jaro_winkler(vocabulary: np.ndarray, codes_a: np.ndarray, codes_b: np.ndarray) -> np.ndarray:
    """Jaro-Winkler similarity (0..1) of `vocabulary[codes_a]` and `vocabulary[codes_b]`; NaN where either is
    missing (-1). Jaro-Winkler favours a shared start, which suits names: typos cluster late in a word."""
    left, right, index = distinct_pairs(codes_a, codes_b)
    scores = np.zeros(len(left), dtype=np.float64)
    if len(left):
        scores = process.cpdist(
            vocabulary[left], vocabulary[right], scorer=JaroWinkler.normalized_similarity, workers=-1
        ).astype(np.float64)
    return _spread(scores, index, codes_a, codes_b)


def damerau_levenshtein(vocabulary: np.ndarray, codes_a: np.ndarray, codes_b: np.ndarray) -> np.ndarray:
    """Edit distance with transpositions (one typo, one swapped pair of letters = 1); NaN where either is
    missing, 0 where equal."""
    left, right, index = distinct_pairs(codes_a, codes_b)
    distances = np.zeros(len(left), dtype=np.float64)
    if len(left):
        distances = process.cpdist(
            vocabulary[left], vocabulary[right], scorer=DamerauLevenshtein.distance, workers=-1
        ).astype(np.float64)
    out = _spread(distances, index, codes_a, codes_b)
    return np.where((codes_a >= 0) & (codes_a == codes_b), 0.0, out)


def word_contained(vocabulary: np.ndarray, codes_a: np.ndarray, codes_b: np.ndarray) -> np.ndarray:
    """Where one value is the other's first or last word(s), whole ('roe' and 'michael roe', 'garcia' and 'garcia
    marquez'): a middle name or a second surname one tool kept and another left out. Only values of several words
    are read one by one."""
    words = np.append(np.fromiter((" " in value for value in vocabulary), dtype=bool, count=len(vocabulary)), False)
    out = np.zeros(len(codes_a), dtype=bool)
    several = np.flatnonzero(words[codes_a] | words[codes_b])
    left, right, index = distinct_pairs(codes_a[several], codes_b[several])
    found = np.fromiter(
        (_contained(vocabulary[a], vocabulary[b]) for a, b in zip(left.tolist(), right.tolist(), strict=True)),
        dtype=bool,
        count=len(left),
    )
    has = index >= 0
    out[several[has]] = found[index[has]]
    return out


def _contained(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return len(short) >= 2 and (long.startswith(short + " ") or long.endswith(" " + short))


def one_slip_apart(values_a: np.ndarray, values_b: np.ndarray) -> np.ndarray:
    """Per pair, whether two strings are one slip of the keyboard apart: a character dropped or doubled, or two
    swapped ('sngh' / 'singh', 'ahoo.com' / 'yahoo.com'). A character changed for another is not a slip: it is
    how 'robertt' and 'robertw' differ. Only pairs one edit apart are read character by character."""
    slips = np.zeros(len(values_a), dtype=bool)
    if not len(values_a):
        return slips
    edits = np.asarray(
        process.cpdist(values_a, values_b, scorer=DamerauLevenshtein.distance, score_cutoff=1, workers=-1)
    )
    for position in np.flatnonzero(edits == 1).tolist():
        a, b = values_a[position], values_b[position]
        slips[position] = len(a) != len(b) or Hamming.distance(a, b) != 1
    return slips


def phonetic_codes(vocabulary: np.ndarray) -> np.ndarray:
    """A Metaphone code per value, as integer codes (-1 for values without one): 'smith' and 'smyth' share one."""
    codes = [jellyfish.metaphone(value) if value else "" for value in vocabulary]
    factor, _ = pd.factorize(pd.Series(codes, dtype="str").where(lambda s: s != ""))
    return np.asarray(factor, dtype=np.int64)


@cache
def _nickname_keys() -> pd.DataFrame:
    """Every given name in the `nicknames` dataset with the keys it answers to: itself and each name it is a
    nickname of. Two names agree when they share a key: 'bill' and 'william' share 'william', 'bill' and 'will'
    share 'william', while 'aaron' and 'ronald' (both 'ron') share none."""
    from nicknames import NickNamer

    namer = NickNamer()
    rows = [(name, name) for name in namer.nickname_lookup] + [
        (nickname, canonical) for nickname, canonicals in namer.canonical_lookup.items() for canonical in canonicals
    ]
    rows += [(nickname, nickname) for nickname in namer.canonical_lookup]
    return pd.DataFrame(rows, columns=["name", "key"]).drop_duplicates()


@cache
def _nickname_key_sets() -> dict[str, frozenset[str]]:
    keys = _nickname_keys()
    return {name: frozenset(group) for name, group in keys.groupby("name")["key"]}


def given_names_agree(a: str, b: str) -> bool:
    """One pair of given names as `nicknames_agree` reads them: the same name, or a nickname and its name."""
    sets = _nickname_key_sets()
    return a == b or bool(sets.get(a, frozenset()) & sets.get(b, frozenset()))


def nicknames_agree(vocabulary: np.ndarray, codes_a: np.ndarray, codes_b: np.ndarray) -> np.ndarray:
    """True where one given name is a nickname of the other ('bill' / 'william'), or both stand for one given name
    ('bill' / 'will'). Two names that merely share a nickname ('aaron' and 'ronald', both 'ron') do not agree."""
    left, right, index = distinct_pairs(codes_a, codes_b)
    out = np.zeros(len(codes_a), dtype=bool)
    if not len(left):
        return out
    known = pd.DataFrame({"name": vocabulary, "code": np.arange(len(vocabulary))}).merge(_nickname_keys(), on="name")
    shared = known.merge(known, on="key")
    span = np.int64(len(vocabulary))
    agreeing = sorted_unique(shared["code_x"].to_numpy(np.int64) * span + shared["code_y"].to_numpy(np.int64))
    agree = np.isin(left * span + right, agreeing)
    has = index >= 0
    out[has] = agree[index[has]]
    return out
