"""Small building blocks the per-tool seeders share."""

import random
import string
from typing import Any

from customer_hub.sandbox.clock import BASE_TIME
from customer_hub.sandbox.store import Stream
from customer_hub.sandbox.truth import GroundTruth

_BASE62 = string.digits + string.ascii_letters


def token(rng: random.Random, length: int) -> str:
    """Random base62 text, the shape of Stripe and OAuth identifiers."""
    return "".join(rng.choices(_BASE62, k=length))


def hex_id(rng: random.Random, length: int = 24) -> str:
    """Random lower-case hex, the shape of Intercom (Mongo-style) ids."""
    return f"{rng.getrandbits(4 * length):0{length}x}"


def moment_after(rng: random.Random, start: int, max_days: int = 365) -> int:
    """An epoch second after `start` but not after the end of the seeded history."""
    latest = max(start + 60, min(BASE_TIME, start + max_days * 86400))
    return rng.randrange(start + 60, latest + 1) if latest > start + 60 else latest


class IdSequence:
    """Growing numeric ids with irregular gaps, like ids from a shared database sequence."""

    def __init__(self, rng: random.Random, first: int, max_gap: int = 3) -> None:
        self._rng = rng
        self._next = first
        self._max_gap = max_gap

    def next(self) -> str:
        """The next id as a string."""
        value = self._next
        self._next += self._rng.randint(1, self._max_gap)
        return str(value)


class Seeded:
    """What a seeder produces: streams keyed by (tool, stream) and ground truth for their records."""

    def __init__(self, truth: GroundTruth) -> None:
        self.truth = truth
        self.streams: dict[tuple[str, str], Stream] = {}
        self.sequences: dict[tuple[str, str], IdSequence] = {}
        # Cross-tool references a later seeder needs, e.g. links["hubspot_company"][customer key] = company id.
        self.links: dict[str, dict[str, str]] = {}
        # Seeded reference data that is not a stream, e.g. the Stripe product catalogue.
        self.extras: dict[str, Any] = {}

    def stream(self, tool: str, name: str, numeric_ids: bool = False) -> Stream:
        """The stream for (tool, name), created on first use."""
        key = (tool, name)
        if key not in self.streams:
            self.streams[key] = Stream(numeric_ids)
        return self.streams[key]
