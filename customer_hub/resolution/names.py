"""Person names made comparable.

Tools disagree on accents ('José' / 'Jose'), case, stray whitespace, titles and which box holds which part: a
spreadsheet row typed as 'Smith, John' is still John Smith. How two names compare (swapped, a typo, a nickname) is
the name comparisons' work in `comparisons.py`.
"""

from __future__ import annotations

import pandas as pd

from customer_hub.resolution.text import fold, map_unique, squash_spaces

_HONORIFICS = r"^(?:(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame) )+"
_POST_NOMINALS = "jr|sr|ii|iii|iv|phd|md|esq|mba|cpa|cfa|pmp|rn|dds|dvm|jd|llm|msc|bsc|ba|ma|pe|frcs|obe|mbe"
_GENERATIONAL = rf"(?: (?:{_POST_NOMINALS}))+$"
_TRAILING_POST_NOMINALS = rf"(?i)(?:\s*,\s*(?:{_POST_NOMINALS})\.?)+\s*$"
"""Letters after a comma that are a suffix or a degree ('Jane Doe, CPA'), not a first name written after the last."""
_ASIDE = r"\s*\([^)]*\)|\s+[-|@/]\s+.*$"
"""What tools append to a name that is no part of it: '(Acme)' in brackets, or ' - Acme', ' | Acme', ' @ Acme'."""
_LAST_FIRST = r"^([^,]+),(.+)$"


def _normalise_person_names(values: pd.Series) -> pd.Series:
    text = fold(values).str.replace(r"['’`]", "", regex=True).str.replace(r"[^a-z]+", " ", regex=True)
    text = squash_spaces(text).str.replace(_HONORIFICS, "", regex=True)
    return text.str.replace(_GENERATIONAL, "", regex=True)


def normalize_person_names(values: pd.Series) -> pd.Series:
    """Name parts without accents, case, punctuation, titles, generational suffixes or degrees ('Dr. José  Núñez
    Jr.' -> 'jose nunez'); '' where none was given."""
    return map_unique(values, _normalise_person_names)


def _split_full_names(values: pd.Series) -> pd.DataFrame:
    values = values.str.replace(_ASIDE, "", regex=True).str.replace(_TRAILING_POST_NOMINALS, "", regex=True)
    ordered = _normalise_person_names(values.str.replace(_LAST_FIRST, r"\2 \1", regex=True))
    first = ordered.str.replace(r" .*$", "", regex=True)
    last = ordered.str.replace(r"^[^ ]+ ?", "", regex=True)
    return pd.DataFrame({"first_name": first, "last_name": last})


def split_full_names(values: pd.Series) -> pd.DataFrame:
    """Columns `first_name` and `last_name` (normalised) from full names; 'Smith, John' is read last-name-first,
    and 'Jane Doe, CPA', 'Jane Doe (Acme)' and 'Jane Doe - Acme' are Jane Doe."""
    return map_unique(values, _split_full_names)
