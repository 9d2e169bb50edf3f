"""Text utilities shared by the normalisers, and the coded form the engine works on.

Customer tables repeat the same values many times (one company name on thousands of invoices), so every normaliser
works on the distinct values only, using pandas' vectorised `.str` methods (Arrow's compiled kernels when pandas
stores strings in Arrow). The engine then keeps each normalised column as `Coded`: an integer code per record into
the distinct values. Comparing, grouping and blocking on integers is far cheaper in time and memory than on a
million Python strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
from anyascii import anyascii

Result = TypeVar("Result", pd.Series, pd.DataFrame)

# Patterns are written so that pandas can hand them to Arrow's RE2 engine instead of falling back to Python's `re`
# row by row: no \s, \d or \uXXXX escapes (the characters themselves are spelled out).
SPACE = "[ \t\n\r\f\v\u00a0]"
_COMBINING_MARKS = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
# Letters that Unicode decomposition leaves alone but people type without the accent anyway.
_UNDECOMPOSED = {"ß": "ss", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text`: long vocabularies read better as one string."""
    return frozenset(text.split())


def as_text(values: pd.Series | None, length: int = 0) -> pd.Series:
    """Values as strings with missing ones empty, so normalisers never have to special-case None/NaN."""
    if values is None:
        return pd.Series([""] * length, dtype="str")
    if isinstance(values.dtype, pd.StringDtype):
        return values.fillna("").reset_index(drop=True)
    text = values.astype("object").where(values.notna(), "")
    return text.astype("str").reset_index(drop=True)


def map_unique(values: pd.Series, normalise: Callable[[pd.Series], Result]) -> Result:
    """Apply a vectorised `normalise` to the distinct values only and spread the result back to every row."""
    codes, uniques = pd.factorize(as_text(values))
    result = normalise(pd.Series(uniques, dtype="str"))
    return result.iloc[codes].reset_index(drop=True)


def replace_where(
    values: pd.Series, hint: str, pattern: str, replacement: str | Callable[[re.Match[str]], str]
) -> pd.Series:
    """`values.str.replace(pattern, replacement, regex=True)`, done only on the values that contain `hint`.

    A pattern Arrow cannot run exactly as Python does (a lookbehind, `\\s`, `\\b` on accented text, a function
    as the replacement) is walked value by value in Python's `re`: most of a second on a large hub's company names.
    `hint` is a pattern Arrow can run that every match of `pattern` contains (the words it looks for), so the walk
    covers the few values that hold them and the result is the same. Values outside ASCII are walked whatever they
    hold: there Arrow's case-blind matching and Python's differ ('FİNANCE' holds 'finance' to Python alone)."""
    hit = (values.str.contains(hint, regex=True, na=False) | ~values.str.isascii()).to_numpy(dtype=bool)
    if not hit.any():
        return values
    return values.where(~hit, values[hit].str.replace(pattern, replacement, regex=True).reindex(values.index))


def fold(values: pd.Series) -> pd.Series:
    """Lower-cased, accent-free text in Latin letters: 'Müller' and 'MULLER' should compare equal in every system's
    spelling, and a name in another script should still be a name ('Иван Петров' reads 'ivan petrov', '张伟'
    'zhangwei'), where dropping what is not a Latin letter would leave nothing to match on. Letters no accent can
    be taken off are transliterated (`anyascii`); symbols ('®') are left for the normalisers to drop."""
    text = values.str.normalize("NFKD").str.replace(_COMBINING_MARKS, "", regex=True).str.lower()
    for letter, plain in _UNDECOMPOSED.items():
        text = text.str.replace(letter, plain, regex=False)
    other = ~text.str.isascii().fillna(True).to_numpy(dtype=bool)
    if other.any():
        text = text.where(~other, text[other].map(_latin_letters).astype(text.dtype))
    return text


def _latin_letters(text: str) -> str:
    return "".join(anyascii(character).lower() if character.isalpha() else character for character in text)


def squash_spaces(values: pd.Series) -> pd.Series:
    """Runs of whitespace collapsed to one space and the ends trimmed."""
    return values.str.replace(SPACE + "+", " ", regex=True).str.strip()


@dataclass(frozen=True)
class Coded:
    """A text column as one integer code per record into its distinct non-empty `values`; -1 where empty."""

    codes: np.ndarray
    values: np.ndarray

    @classmethod
    def from_unique(cls, codes: np.ndarray, normalised_uniques: pd.Series) -> Coded:
        """Records' `codes` into raw distinct values (-1 for missing), with those values' normalised forms: distinct
        raw values that normalise alike share a code."""
        text = as_text(normalised_uniques)
        unique_codes, values = pd.factorize(text.where(text != ""))
        remapped = np.append(unique_codes, -1)[codes]
        return cls(remapped.astype(np.int64), np.asarray(values, dtype=object))

    @classmethod
    def normalise(cls, raw: pd.Series, normaliser: Callable[[pd.Series], pd.Series]) -> Coded:
        """Normalise a raw column through its distinct values."""
        codes, uniques = pd.factorize(raw)
        return cls.from_unique(codes, normaliser(as_text(pd.Series(uniques))))

    @classmethod
    def choose(cls, use_first: np.ndarray, first: Coded, second: Coded) -> Coded:
        """Per record, `first`'s value where `use_first` else `second`'s, as one coded column."""
        offset = np.where(second.codes >= 0, second.codes + len(first.values), -1)
        codes = np.where(use_first, first.codes, offset)
        merged, values = pd.factorize(np.concatenate([first.values, second.values]))
        return cls(np.append(merged, -1)[codes].astype(np.int64), np.asarray(values, dtype=object))

    def present(self) -> np.ndarray:
        """True where the record has a value."""
        return self.codes >= 0

    def text(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The values as Python strings ('' where empty), for all records or the given ones."""
        codes = self.codes if rows is None else self.codes[rows]
        return np.append(self.values, "").astype(object)[codes]

    def read_as(self, read_as: np.ndarray) -> Coded:
        """The same column with each value read as another of its values (`read_as`: per value, the code to use)."""
        return Coded(np.where(self.codes >= 0, read_as[np.maximum(self.codes, 0)], -1), self.values)

    def where(self, keep: np.ndarray) -> Coded:
        """The same column emptied where `keep` is False."""
        return Coded(np.where(keep, self.codes, -1), self.values)

    def same(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """True where both records have a value and it is the same."""
        a, b = self.codes[left], self.codes[right]
        return (a >= 0) & (a == b)

    def agreement(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """+1 where both records have the same value, -1 where both have different ones, 0 where one is empty."""
        a, b = self.codes[left], self.codes[right]
        return np.where((a >= 0) & (b >= 0), np.where(a == b, 1, -1), 0)
