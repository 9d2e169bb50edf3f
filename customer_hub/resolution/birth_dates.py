"""Dates of birth as comparable digits, for hubs whose tools keep them (consumer businesses, memberships)."""

from __future__ import annotations

import pandas as pd

from customer_hub.resolution.text import map_unique


def _normalise_birth_dates(values: pd.Series) -> pd.Series:
    digits = values.str.strip()
    compact = digits.str.fullmatch(r"[0-9]{8}")
    parsed = pd.to_datetime(digits.where(~compact), errors="coerce", format="mixed", dayfirst=False)
    text = parsed.dt.strftime("%Y%m%d").astype("object").where(parsed.notna(), "")
    return text.where(~compact, digits).fillna("").astype("str")


def normalize_birth_dates(values: pd.Series) -> pd.Series:
    """'YYYYMMDD' from ISO dates, 'YYYYMMDD' digits or other unambiguous forms; '' where none or unreadable. Kept as
    digits so a one-digit typo is one edit."""
    return map_unique(values, _normalise_birth_dates)
