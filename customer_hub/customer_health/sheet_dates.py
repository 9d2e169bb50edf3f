"""Dates as people type them into an implementation sheet: `2026-02-15`, `2/15/2026`, `15 Feb 2026`, `15.02.2026`.

Only unambiguous shapes are read. A date without a year (`Feb 15`) could be last year's or next year's, so it is
not guessed: the caller says so in the customer's health notes instead of judging an implementation by a guess.
"""

from __future__ import annotations

from datetime import date, datetime

FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%d.%m.%Y")
"""Slashes are read month first (the US habit, as the sheet's other US-formatted cells); dots day first."""


def sheet_date(text: str | None) -> date | None:
    """The date a sheet cell means, or None when it is empty or not one of FORMATS."""
    value = " ".join(str(text or "").split())
    if not value:
        return None
    if len(value) >= 10 and value[4] == "-":
        value = value[:10]  # an ISO date with a time after it
    for pattern in FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None
