"""Countries, cities and postcodes in comparable form.

Addresses are weak evidence on their own but settle close calls (two 'John Smith' records in the same postcode), and
the country tells the phone parser how to read a number written without its country code.
"""

from __future__ import annotations

import pandas as pd
import phonenumbers

from customer_hub.resolution.text import fold, map_unique, squash_spaces

COUNTRY_NAMES = {
    "usa": "US",
    "united states": "US",
    "united states of america": "US",
    "america": "US",
    "us": "US",
    "uk": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "germany": "DE",
    "deutschland": "DE",
    "france": "FR",
    "canada": "CA",
    "australia": "AU",
    "netherlands": "NL",
    "the netherlands": "NL",
    "holland": "NL",
    "nederland": "NL",
    "spain": "ES",
    "espana": "ES",
    "italy": "IT",
    "italia": "IT",
    "ireland": "IE",
    "switzerland": "CH",
    "schweiz": "CH",
    "suisse": "CH",
    "austria": "AT",
    "osterreich": "AT",
    "belgium": "BE",
    "belgique": "BE",
    "sweden": "SE",
    "sverige": "SE",
    "norway": "NO",
    "norge": "NO",
    "denmark": "DK",
    "danmark": "DK",
    "finland": "FI",
    "suomi": "FI",
    "poland": "PL",
    "polska": "PL",
    "portugal": "PT",
    "new zealand": "NZ",
    "india": "IN",
    "japan": "JP",
    "brazil": "BR",
    "brasil": "BR",
    "mexico": "MX",
    "singapore": "SG",
    "south africa": "ZA",
    "israel": "IL",
    "united arab emirates": "AE",
    "uae": "AE",
}
"""Common English and native spellings; anything else must be an ISO 3166 alpha-2 code."""

_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)


def _normalise_countries(values: pd.Series) -> pd.Series:
    text = squash_spaces(fold(values).str.replace(".", "", regex=False).str.replace(r"[^a-z ]", " ", regex=True))
    named = text.map(COUNTRY_NAMES).fillna("").astype("str")
    code = text.str.upper()
    return named.where(named != "", code.where(code.isin(_REGIONS), ""))


def normalize_countries(values: pd.Series) -> pd.Series:
    """ISO 3166 alpha-2 codes ('United Kingdom', 'uk', 'GB' -> 'GB'); '' where the country is unknown."""
    return map_unique(values, _normalise_countries)


_CITY_PREFIXES = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}
"""Abbreviations a city's name starts with, written out: 'St. Louis' is Saint Louis, 'Ft. Worth' Fort Worth."""


def _normalise_cities(values: pd.Series) -> pd.Series:
    text = squash_spaces(fold(values).str.replace(r"[^a-z0-9]+", " ", regex=True))
    pattern = r"^(" + "|".join(_CITY_PREFIXES) + r") "
    return text.str.replace(pattern, lambda match: _CITY_PREFIXES[match.group(1)] + " ", regex=True)


def normalize_cities(values: pd.Series) -> pd.Series:
    """Folded city names ('São Paulo ' -> 'sao paulo', 'St. Louis' -> 'saint louis'); '' where none was given."""
    return map_unique(values, _normalise_cities)


_ZIP_PLUS_FOUR = r"^ *([0-9]{5}) *- *[0-9]{4} *$"
"""A US ZIP+4 code ('94105-1234'): the four digits after the ZIP name a block within it, which one tool keeps and
another drops, so only the ZIP is compared."""


def normalize_postcodes(values: pd.Series) -> pd.Series:
    """Postcodes without spaces or punctuation, upper-case ('sw1a 1aa' -> 'SW1A1AA'), a ZIP+4 as its ZIP ('94105-1234'
    -> '94105'); '' where none was given."""
    return map_unique(
        values,
        lambda unique: (
            fold(unique.str.replace(_ZIP_PLUS_FOUR, r"\1", regex=True))
            .str.replace(r"[^a-z0-9]", "", regex=True)
            .str.upper()
        ),
    )


_STREET_WORDS = {
    "street": "st", "road": "rd", "avenue": "ave", "av": "ave", "drive": "dr", "lane": "ln", "court": "ct",
    "place": "pl", "boulevard": "blvd", "crescent": "cres", "circuit": "cct", "terrace": "tce", "highway": "hwy",
    "parade": "pde", "square": "sq", "close": "cl", "way": "wy", "strasse": "str", "north": "n", "south": "s",
    "east": "e", "west": "w", "apartment": "apt", "suite": "ste", "unit": "u",
}  # fmt: skip
"""Long and short forms people use interchangeably in street addresses, mapped to one form."""


def _normalise_streets(values: pd.Series) -> pd.Series:
    text = squash_spaces(fold(values).str.replace(r"[^a-z0-9]+", " ", regex=True))
    pattern = r"\b(" + "|".join(_STREET_WORDS) + r")\b"
    text = text.str.replace(pattern, lambda match: _STREET_WORDS[match.group(1)], regex=True)
    text = text.str.replace(r"([a-z])strasse\b", r"\1str", regex=True)  # 'Hauptstraße' is written 'Hauptstr.' too
    return text.str.replace(r"\b([ns]) ([ew])\b", r"\1\2", regex=True)  # 'N.W.' as 'NW'


def normalize_streets(values: pd.Series) -> pd.Series:
    """Street addresses folded, unpunctuated and with one form per common word ('12 Main Street.' and
    '12 main st' -> '12 main st'); '' where none was given."""
    return map_unique(values, _normalise_streets)
