"""Each vendor's rate limit, scaled down so that tests and benchmarks can hit it.

Limits count requests in fixed windows the way the vendors describe theirs (HubSpot per second, Intercom per
10 seconds, QuickBooks, Sheets and Asana per minute). The per-tool budget is configurable in requests per second so
that a benchmark can compute what the limit allows: limit per window = rps × window seconds.
"""

import math
import threading
import time
from dataclasses import dataclass

from customer_hub.sandbox.ids import TOOLS

DEFAULT_RPS: dict[str, float] = {
    "hubspot": 10.0,  # HubSpot "secondly" policy
    "stripe": 25.0,
    "intercom": 10.0,  # counted per 10-second window
    "quickbooks": 500 / 60,  # 500 requests per minute per company
    "sheets": 1.0,  # 60 read requests per minute per user
    "asana": 25.0,  # 1,500 requests per minute
    "slack": 1.0,  # about one message per second per channel
}
WINDOW_SECONDS: dict[str, int] = {
    "hubspot": 1,
    "stripe": 1,
    "intercom": 10,
    "quickbooks": 60,
    "sheets": 60,
    "asana": 60,
    "slack": 1,
}

RateSetting = bool | dict[str, float]


@dataclass(frozen=True)
class RateDecision:
    """The outcome of counting one request against its tool's window."""

    allowed: bool
    limit: int
    remaining: int
    window_seconds: int
    reset_at: float  # epoch seconds when the window ends

    @property
    def retry_after(self) -> int:
        """Whole seconds until the window resets (at least 1)."""
        return max(1, math.ceil(self.reset_at - time.time()))


class RateLimiter:
    """Fixed-window counters per tool; tools without a budget are not limited."""

    def __init__(self, setting: RateSetting) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[float, int]] = {}
        self.rps: dict[str, float] = {}
        self.configure(setting)

    def configure(self, setting: RateSetting) -> None:
        """True: every tool at its default; a dict: those tools at the given rps; False: no limits."""
        if setting is True:
            rps = dict(DEFAULT_RPS)
        elif not setting:
            rps = {}
        else:
            unknown = set(setting) - set(TOOLS)
            if unknown:
                raise ValueError(f"unknown tool {sorted(unknown)[0]!r} in rate_limits; known: {', '.join(TOOLS)}")
            rps = {
                tool: float(DEFAULT_RPS[tool] if value is True else value) for tool, value in setting.items() if value
            }
        with self._lock:
            self.rps = rps
            self._counts.clear()

    def limits(self) -> dict[str, dict[str, float]]:
        """What each limited tool allows: requests per second, window length and requests per window."""
        return {
            tool: {
                "requests_per_second": rps,
                "window_seconds": WINDOW_SECONDS[tool],
                "limit_per_window": self._limit(tool),
            }
            for tool, rps in self.rps.items()
        }

    def _limit(self, tool: str) -> int:
        return max(1, math.floor(self.rps[tool] * WINDOW_SECONDS[tool]))

    def check(self, tool: str) -> RateDecision | None:
        """Count a request; None when the tool is not limited."""
        if tool not in self.rps:
            return None
        window = WINDOW_SECONDS[tool]
        limit = self._limit(tool)
        now = time.time()
        start = math.floor(now / window) * window
        with self._lock:
            window_start, used = self._counts.get(tool, (start, 0))
            if window_start != start:
                used = 0
            allowed = used < limit
            if allowed:
                used += 1
            self._counts[tool] = (start, used)
        return RateDecision(allowed, limit, max(0, limit - used), window, start + window)
