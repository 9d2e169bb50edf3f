"""Phone numbers in E.164 ('+14155550123'), read with libphonenumber's rules.

`phonenumbers.parse` costs tens of microseconds a number, too slow for a million records, so the common shapes
(digits with an optional '+', international or trunk prefix) are split into country code and national number here
and checked, a whole column at a time, against the same metadata patterns `phonenumbers.is_valid_number` uses.
Only what that fast path cannot confirm (letters, unusual prefixes, invalid numbers) goes through the full parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from customer_hub.resolution.text import Coded, as_text, squash_spaces

_NUMBER_TYPES = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)
_EXTENSION = r" *(?:ext\.?|extension|x|#) *[0-9]+ *$"
_NON_GEOGRAPHIC = "001"


@dataclass(frozen=True)
class _Pattern:
    """A number pattern, compiled once: a country code's regions hold hundreds of large patterns, more than the
    `re` module's own cache keeps, so passing them as text recompiled them on every call."""

    lengths: frozenset[int]
    regex: re.Pattern[str]


@dataclass(frozen=True)
class _RegionRules:
    leading_digits: re.Pattern[str] | None
    general: _Pattern
    types: tuple[_Pattern, ...]


@cache
def _rules_for_country_code(country_code: int) -> tuple[_RegionRules, ...]:
    rules = []
    for region in COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
        if region == _NON_GEOGRAPHIC:
            metadata = PhoneMetadata.metadata_for_nongeo_region(country_code)
        else:
            metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None or metadata.general_desc is None:
            continue
        general_lengths = frozenset(metadata.general_desc.possible_length)
        general = _Pattern(general_lengths, re.compile(metadata.general_desc.national_number_pattern))
        types = []
        for name in _NUMBER_TYPES:
            desc = getattr(metadata, name)
            if desc is None or not desc.national_number_pattern:
                continue
            lengths = frozenset(length for length in desc.possible_length if length > 0) or general_lengths
            types.append(_Pattern(lengths, re.compile(desc.national_number_pattern)))
        leading = re.compile(f"(?:{metadata.leading_digits})") if metadata.leading_digits else None
        rules.append(_RegionRules(leading, general, tuple(types)))
    return tuple(rules)


_SMALL = 256
"""Below this many numbers a plain loop over the compiled pattern beats a vectorised string call, whose fixed cost
is paid once per pattern and a country code has hundreds."""


def _matches(values: pd.Series, pattern: re.Pattern[str], *, full: bool) -> np.ndarray:
    if len(values) < _SMALL:
        test = pattern.fullmatch if full else pattern.match
        return np.fromiter((test(value) is not None for value in values.tolist()), dtype=bool, count=len(values))
    matched = values.str.fullmatch(pattern) if full else values.str.match(pattern)
    return matched.to_numpy(dtype=bool, copy=True)


def _valid_national_numbers(country_code: int, national: pd.Series) -> np.ndarray:
    """Which national numbers some region of `country_code` accepts as a number of a known type."""
    valid = np.zeros(len(national), dtype=bool)
    lengths = national.str.len().to_numpy()
    for rules in _rules_for_country_code(country_code):
        unchecked = ~valid
        if rules.leading_digits:
            unchecked &= _matches(national, rules.leading_digits, full=False)
        unchecked &= np.isin(lengths, list(rules.general.lengths))
        if not unchecked.any():
            continue
        candidates = national[unchecked]
        accepted = _matches(candidates, rules.general.regex, full=True)
        of_type = np.zeros(len(candidates), dtype=bool)
        for pattern in rules.types:
            check = accepted & ~of_type & np.isin(lengths[unchecked], list(pattern.lengths))
            if check.any():
                of_type[check] = _matches(candidates[check], pattern.regex, full=True)
        valid[np.flatnonzero(unchecked)[of_type]] = True
    return valid


def _split_country_code(digits: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Country calling code (0 if none) and the rest, for digit strings that follow a '+'."""
    known_codes = {str(code) for code in COUNTRY_CODE_TO_REGION_CODE}
    codes = np.zeros(len(digits), dtype=np.int64)
    width = np.zeros(len(digits), dtype=np.int64)
    for size in (1, 2, 3):
        prefix = digits.str[:size]
        found = (codes == 0) & prefix.isin(known_codes).to_numpy(dtype=bool, copy=True)
        codes[found] = prefix[found].astype(int).to_numpy()
        width[found] = size
    rest = digits
    for size in (1, 2, 3):
        rest = rest.where(width != size, digits.str[size:])
    return codes, rest


@cache
def _trunk_prefix(country_code: int) -> str | None:
    """The national (trunk) prefix pattern of a country code's main region, '' if it has none, None if reading it
    needs libphonenumber's transform rules."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region(region) if region != "ZZ" else None
    if metadata is None or metadata.national_prefix_transform_rule:
        return None
    return metadata.national_prefix_for_parsing or ""


def _e164_fast(raw: pd.Series, region: str) -> tuple[np.ndarray, np.ndarray]:
    """E.164 for the numbers the vectorised path can read ('' if invalid), and which ones it could not read."""
    result = np.full(len(raw), "", dtype=object)
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return result, np.ones(len(raw), dtype=bool)
    cleaned = squash_spaces(raw).str.lower().str.replace(_EXTENSION, "", regex=True)
    digits = cleaned.str.replace(r"[^0-9]", "", regex=True)
    plus = cleaned.str.contains(r"^[ (]*\+", regex=True).to_numpy(dtype=bool, copy=True)
    if metadata.international_prefix:
        dialled_out = f"^(?:{metadata.international_prefix})"
        international = ~plus & digits.str.contains(dialled_out, regex=True).to_numpy(dtype=bool, copy=True)
        digits = digits.where(~international, digits.str.replace(dialled_out, "", regex=True))
        plus |= international

    codes, national = _split_country_code(digits.where(plus, ""))
    codes[~plus] = metadata.country_code
    national = national.where(plus, digits)
    unreadable = cleaned.str.contains(r"[a-z]", regex=True).to_numpy(dtype=bool, copy=True) | (codes == 0)
    for code in np.unique(codes[~unreadable]):
        rows = np.flatnonzero((codes == code) & ~unreadable)
        trunk = _trunk_prefix(int(code))
        if trunk is None or not _rules_for_country_code(int(code)):
            unreadable[rows] = True
            continue
        numbers = national.iloc[rows].reset_index(drop=True)
        # As libphonenumber does: drop a trunk prefix ('1' in the US, '0' in Europe) when the rest is valid, and
        # read a leading country code typed without '+' when the number is only valid without it.
        readings = [numbers]
        if not plus[rows].all():
            after_code = numbers.where(
                ~numbers.str.startswith(str(int(code))) | plus[rows], numbers.str[len(str(int(code))) :]
            )
            readings.append(after_code)
        if trunk:
            readings = [
                variant
                for reading in readings
                for variant in (reading.str.replace(f"^(?:{trunk})", "", regex=True), reading)
            ]
        for reading in readings:
            open_rows = np.flatnonzero(result[rows] == "")
            if not len(open_rows):
                break
            valid = open_rows[_valid_national_numbers(int(code), reading.iloc[open_rows].reset_index(drop=True))]
            result[rows[valid]] = ("+" + str(int(code)) + reading.iloc[valid]).to_numpy(dtype=object)
    return result, unreadable


def _e164_slow(raw: str, region: str) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_DIALLED_OUT = r"^[\s(]*00"
"""'00' in front of a number: the international prefix ITU recommends and most of the world dials."""


def _e164_for_region(raw: pd.Series, region: str) -> np.ndarray:
    """E.164 of each number read as dialled in `region` ('' if invalid). A number the region cannot read that
    starts with '00' is read as international ('0049 30 901820' is +49 30 901820 from a US default region too,
    whose own prefix is 011): customers abroad write their numbers so, and the record seldom names a country."""
    result, unreadable = _e164_fast(raw, region)
    enough_digits = raw.str.count(r"[0-9]").to_numpy() >= 3
    for row in np.flatnonzero(unreadable & enough_digits):
        result[row] = _e164_slow(raw.iloc[row], region)
    abroad = np.flatnonzero((result == "") & raw.str.contains(_DIALLED_OUT, regex=True).to_numpy(dtype=bool))
    if len(abroad):
        dialled = raw.iloc[abroad].str.replace(_DIALLED_OUT, "+", regex=True).reset_index(drop=True)
        result[abroad] = _e164_for_region(dialled, region)
    return result


def e164_coded(raw: pd.Series, regions: Coded, default_region: str = "US") -> Coded:
    """E.164 numbers as a coded column, reading each number with its record's region (`regions`, ISO codes) or
    `default_region` where that is empty; each distinct (number, region) pair is parsed once."""
    raw_codes, raw_uniques = pd.factorize(raw)
    raw_text = as_text(pd.Series(raw_uniques)).to_numpy(dtype=object)
    region_names = np.append(regions.values, default_region.upper()).astype(object)
    pair = (raw_codes + 1) * (len(region_names) + 1) + np.where(
        regions.codes >= 0, regions.codes, len(region_names) - 1
    )
    present = raw_codes >= 0
    pair_codes = np.full(len(raw_codes), -1, dtype=np.int64)
    pair_codes[present], pairs = pd.factorize(pair[present])
    numbers = raw_text[pairs // (len(region_names) + 1) - 1]
    pair_regions = region_names[pairs % (len(region_names) + 1)]
    e164 = np.full(len(pairs), "", dtype=object)
    for region in pd.unique(pair_regions):
        rows = np.flatnonzero(pair_regions == region)
        e164[rows] = _e164_for_region(pd.Series(numbers[rows], dtype="str"), region)
    return Coded.from_unique(pair_codes, pd.Series(e164, dtype="str"))


def normalize_phones(values: pd.Series, regions: pd.Series | str = "US") -> pd.Series:
    """E.164 numbers, '' where a value is not a valid phone number.

    `regions` (one ISO code, or one per row, '' meaning "US") says how to read numbers written without a country
    code; numbers with '+', the region's international prefix ('011' in the US) or '00' carry their own.
    """
    values = values.reset_index(drop=True)
    if isinstance(regions, str):
        coded_regions = Coded(np.full(len(values), -1, dtype=np.int64), np.zeros(0, dtype=object))
        default = regions
    else:
        coded_regions = Coded.normalise(regions.reset_index(drop=True), lambda unique: unique.str.strip().str.upper())
        default = "US"
    return pd.Series(e164_coded(values, coded_regions, default).text(), dtype="str")


def normalize_phone(value: str | None, region: str = "US") -> str:
    """One number in E.164 ('(415) 555-2671' -> '+14155552671'); '' if it is not a valid number."""
    return str(normalize_phones(pd.Series([value]), region)[0])
