"""Cleaning and bounding canonical values at landing, so one bad vendor value cannot stop the hub.

A NUL byte in a HubSpot name or a 300-character domain is legal JSON and lands in the raw payload untouched, but
PostgreSQL refuses NUL in text columns and raises StringDataRightTruncation past a column's size: without this,
the first bad record would fail `customer_360` for every customer, and only on PostgreSQL. Canonical values are
therefore cleaned here (control characters removed) and bounded (a value over its limit is left out), with a
reason the steward can read; a source id the store cannot key on refuses the record alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SOURCE_ID_MAX = 128
"""landed_records.source_id is String(128)."""
FIELD_LIMITS = {
    "email": 320,
    "first_name": 255,
    "last_name": 255,
    "full_name": 255,
    "company_name": 255,
    "company_domain": 255,
    "phone": 64,
    "street": 255,
    "city": 255,
    "postcode": 32,
    "country": 64,
}
"""Identity fields feed sized columns (customer_360 name/domain/email, the xref email): values past these sizes are
not a name or an address but a vendor fault, so they are left out rather than cut into something misleading."""
DEFAULT_LIMIT = 10_000
"""Any other canonical string (notes, descriptions) is bounded too, so a runaway value cannot bloat every row."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Cleaned:
    """Canonical fields fit to store, and what was wrong with the record ('' reasons: nothing)."""

    fields: dict[str, Any]
    reasons: list[str] = field(default_factory=list)


def clean_text(value: str) -> str:
    """The text without NUL and other control characters (tabs and line breaks stay)."""
    return _CONTROL.sub("", value)


def clean_fields(fields: dict[str, Any]) -> Cleaned:
    """Remove control characters from every string value and leave out values longer than their limit."""
    cleaned: dict[str, Any] = {}
    reasons: list[str] = []
    for name, value in fields.items():
        if not isinstance(value, str):
            cleaned[name] = value
            continue
        text = clean_text(value)
        if text != value:
            reasons.append(f"{name}: {len(value) - len(text)} control character(s) such as NUL removed")
        limit = FIELD_LIMITS.get(name, DEFAULT_LIMIT)
        if len(text) > limit:
            reasons.append(f"{name}: {len(text)} characters, over the limit of {limit}; left out")
            text = None
        cleaned[name] = text
    return Cleaned(cleaned, reasons)


def source_id_problem(source_id: str) -> str | None:
    """Why the store cannot key a record on this source id, or None when it can."""
    if clean_text(source_id) != source_id:
        return "source id holds control characters such as NUL; record not landed"
    if len(source_id) > SOURCE_ID_MAX:
        return f"source id is {len(source_id)} characters, over the limit of {SOURCE_ID_MAX}; record not landed"
    return None
