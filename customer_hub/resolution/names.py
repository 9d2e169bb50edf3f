"""Person names made comparable.

Tools disagree on accents ('José' / 'Jose'), case, stray whitespace, titles and which box holds which part: a
spreadsheet row typed as 'Smith, John' is still John Smith. How two names compare (swapped, a typo, a nickname) is
the name comparisons' work in `comparisons.py`.
"""

from __future__ import annotations

import pandas as pd

from customer_hub.resolution.text import fold, map_unique, squash_spaces, words

_HONORIFICS = r"^(?:(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame) )+"
_GENERATIONAL = r"(?: (?:jr|sr|ii|iii|iv|phd|md|esq))+$"
_DEGREES = "|".join(
    r"\.?".join(degree)  # 'ph.d.' and 'phd' alike
    for degree in sorted(words("jr sr ii iii iv phd md esq mba cpa cfa pmp rn dds dvm jd llm msc bsc frcs obe mbe"))
)
_AFTER_A_COMMA = rf"^([^,]+ [^,]+?|[^,]+,[^,]+?)(?: ?, ?(?:{_DEGREES})\.?)+$"
"""A degree or suffix after a comma ('jane doe, cpa', 'doe, jane, m.d.'): only after a name of two words or more,
since after one word the comma writes a name last-name-first. Degrees that are given names too ('ma', 'ba') are not
read as degrees: 'garcia lopez, ma' is Ma Garcia Lopez."""
_BRACKETS = r"\([^()]*\)"
"""Anything in brackets beside a name ('jane doe (acme)', 'jane (jj) doe'): no part of it."""
_ASIDE = r"^([^ ]+ [^ ]+.*?) [-|@/] .*$"
"""What a tool writes after a name, no part of it: ' - acme', ' | acme', ' @ acme' after a name of two words or more
('jean - pierre dupont' keeps its parts)."""
_LAST_FIRST = r"^([^,]+),(.+)$"
_HAN_NAME = "[一-鿿]{2,4}"
"""A full name of two to four Chinese characters, written family name first with no space ('张伟', '王小明')."""
_COMPOUND_SURNAMES = words("欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕 端木")
"""Family names of two characters: '欧阳娜娜' is Nana Ouyang, not Yangnana Ou."""


def _chinese_name_in_latin_order(name: str) -> str:
    """A Chinese full name in the order a Latin-letter record writes it: 'Wei Zhang' for '张伟'."""
    family = 2 if len(name) > 2 and name[:2] in _COMPOUND_SURNAMES else 1
    return f"{name[family:]} {name[:family]}"


def _normalise_person_names(values: pd.Series) -> pd.Series:
    text = fold(values).str.replace(r"['’`]", "", regex=True).str.replace(r"[^a-z]+", " ", regex=True)
    text = squash_spaces(text).str.replace(_HONORIFICS, "", regex=True)
    return text.str.replace(_GENERATIONAL, "", regex=True)


def normalize_person_names(values: pd.Series) -> pd.Series:
    """Name parts without accents, case, punctuation, titles, generational suffixes or degrees ('Dr. José  Núñez
    Jr.' -> 'jose nunez'); '' where none was given."""
    return map_unique(values, _normalise_person_names)


def _split_full_names(values: pd.Series) -> pd.DataFrame:
    values = squash_spaces(values.str.lower().str.replace(_BRACKETS, " ", regex=True))
    han = values.str.fullmatch(_HAN_NAME).fillna(False).to_numpy(dtype=bool)
    if han.any():
        values = values.where(~han, values[han].map(_chinese_name_in_latin_order).astype(values.dtype))
    values = values.str.replace(_ASIDE, r"\1", regex=True).str.replace(_AFTER_A_COMMA, r"\1", regex=True)
    ordered = _normalise_person_names(values.str.replace(_LAST_FIRST, r"\2 \1", regex=True))
    first = ordered.str.replace(r" .*$", "", regex=True)
    last = ordered.str.replace(r"^[^ ]+ ?", "", regex=True)
    return pd.DataFrame({"first_name": first, "last_name": last})


def split_full_names(values: pd.Series) -> pd.DataFrame:
    """Columns `first_name` and `last_name` (normalised) from full names; 'Smith, John' is read last-name-first, as
    is a Chinese name ('张伟' is Wei Zhang), and 'Jane Doe, CPA', 'Jane Doe (Acme)' and 'Jane Doe - Acme' are Jane
    Doe."""
    return map_unique(values, _split_full_names)
