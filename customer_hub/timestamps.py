"""Reading and writing the times tools send, so every connector compares and stores aware UTC the same way.

Vendors disagree on format (ISO 8601 with or without an offset, epoch seconds, epoch milliseconds); the hub
compares change times across pages, cursors and tools, which only works if each is read into aware UTC once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal


def parse_iso(value: Any) -> datetime | None:
    """An ISO 8601 string as aware UTC (a time without an offset is taken as UTC); None when absent or unreadable."""
    if not value or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def parse_iso_or_epoch_ms(value: Any) -> datetime | None:
    """ISO 8601 or epoch milliseconds (HubSpot uses both, depending on the property) as aware UTC, else None."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    return parse_iso(text)


def from_epoch_seconds(value: Any) -> datetime | None:
    """Epoch seconds as sent in JSON (a number) as aware UTC; None for anything else (a JSON `true` included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(int(value), UTC)


def format_utc(moment: datetime, timespec: Literal["auto", "seconds", "milliseconds"] = "auto") -> str:
    """ISO 8601 in UTC, the form cursors are stored in."""
    return moment.astimezone(UTC).isoformat(timespec=timespec)


def later(current: datetime | None, value: datetime | None) -> datetime | None:
    """The later of two optional times (None counts as unknown, not as early)."""
    if value is None:
        return current
    return value if current is None or value > current else current


def latest(current: datetime | None, values: Iterable[datetime | None]) -> datetime | None:
    """The latest of `current` and `values`, ignoring unknown times."""
    for value in values:
        current = later(current, value)
    return current


def iso_from_epoch_seconds(value: Any) -> str | None:
    """Epoch seconds as an ISO 8601 UTC string, the form canonical time attributes take; None for non-numbers."""
    moment = from_epoch_seconds(value)
    return moment.isoformat() if moment else None
