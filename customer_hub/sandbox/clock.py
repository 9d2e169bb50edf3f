"""Time in the sandbox: seeded history before a fixed base time, live changes on the real clock.

Seeded records carry timestamps before `BASE_TIME`, so the same seed gives byte-identical data whatever day it
runs. Changes made later (mutations, writes through the API) are stamped with the real clock, which is later than
every seeded timestamp, so "modified since my last sync" queries see exactly those changes. The clock never runs
backwards and never hands out the same millisecond twice, so cursors built on it are strict; a burst of changes
can therefore run it a little ahead of the wall clock, like a server whose clock differs from the client's:
clients take their cursors from the data or the answer's server time, not from their own clock.
"""

import threading
import time
from datetime import UTC, datetime, timedelta, timezone

BASE_TIME = 1767225600  # 2026-01-01T00:00:00Z, the end of the seeded history.
HISTORY_SECONDS = 3 * 365 * 86400  # seeded records were created in the three years before BASE_TIME.
PACIFIC = timezone(timedelta(hours=-8))  # QuickBooks reports times in the company's zone.


class SandboxClock:
    """Monotonic millisecond clock that is never earlier than the seeded history."""

    def __init__(self) -> None:
        self._last_ms = (BASE_TIME + 86400) * 1000
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, int]:
        return {"last_ms": self._last_ms}

    def __setstate__(self, saved: dict[str, int]) -> None:
        self._last_ms = saved["last_ms"]  # a saved sandbox's clock goes on from where it stopped, never back
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """A fresh, strictly increasing timestamp in epoch milliseconds."""
        with self._lock:
            self._last_ms = max(self._last_ms + 1, int(time.time() * 1000))
            return self._last_ms

    def now(self) -> float:
        """A fresh timestamp in epoch seconds (with milliseconds)."""
        return self.now_ms() / 1000


def iso_ms(epoch_ms: int) -> str:
    """HubSpot-style ISO 8601 UTC time with milliseconds, e.g. 2025-03-01T12:00:00.000Z."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def iso_seconds(epoch_s: float) -> str:
    """ISO 8601 UTC time in seconds precision with a Z suffix (Asana and others)."""
    return datetime.fromtimestamp(int(epoch_s), UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def qbo_time(epoch_s: float) -> str:
    """QuickBooks-style local time with offset, e.g. 2025-03-01T04:00:00-08:00."""
    return datetime.fromtimestamp(int(epoch_s), PACIFIC).isoformat()


def iso_date(epoch_s: float) -> str:
    """Calendar date (UTC) as YYYY-MM-DD."""
    return datetime.fromtimestamp(int(epoch_s), UTC).strftime("%Y-%m-%d")


def parse_iso(text: str) -> float:
    """Epoch seconds from an ISO 8601 date or date-time; naive values are taken as UTC."""
    cleaned = text.strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
