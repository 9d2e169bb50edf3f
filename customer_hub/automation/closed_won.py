"""Spotting HubSpot deals that moved to closed-won, exactly once each, across sensor restarts.

The cursor is the newest modification time seen plus the ids of the deals modified at exactly that time. The next
poll asks HubSpot for closed-won deals modified at or after that time (`GTE`, so a deal written in the same
millisecond as the last one seen is not skipped) and drops the ids already seen at it. A restart resumes from
the stored cursor, so a deal is neither missed nor reported twice; the run key (the deal id) and the
`onboarding_flows` table guard the rare deal that is edited again after closing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from customer_hub.timestamps import format_utc, parse_iso_or_epoch_ms


@dataclass(frozen=True)
class DealCursor:
    """Where the closed-won poll stands: the newest modification time seen and the deal ids seen at it."""

    modified_at: datetime | None = None
    ids: frozenset[str] = field(default_factory=frozenset)

    def serialize(self) -> str:
        return json.dumps(
            {
                "modified_at": format_utc(self.modified_at) if self.modified_at else None,
                "ids": sorted(self.ids),
            }
        )

    @classmethod
    def parse(cls, text: str | None) -> DealCursor:
        """The cursor a sensor stored; empty or unreadable text starts afresh (the look-back window applies)."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            moment = datetime.fromisoformat(data["modified_at"]) if data.get("modified_at") else None
            return cls(modified_at=moment, ids=frozenset(str(i) for i in data.get("ids") or ()))
        except (ValueError, TypeError, KeyError):
            return cls()

    def already_seen(self, deal_id: str, modified_at: datetime | None) -> bool:
        """True for a change this cursor has passed: older than its time, or at its time with a seen id."""
        if self.modified_at is None or modified_at is None:
            return False
        return modified_at < self.modified_at or (modified_at == self.modified_at and deal_id in self.ids)

    def since(self, now: datetime, lookback: timedelta) -> datetime:
        """The modified-since time of the next poll."""
        return self.modified_at if self.modified_at else now - lookback


@dataclass(frozen=True)
class ClosedWonSighting:
    """A deal seen in the closed-won stage for the first time; `modified_at` approximates when it closed."""

    deal_id: str
    name: str | None
    amount: float | None
    modified_at: datetime | None


def deal_modified_at(deal: Mapping[str, Any]) -> datetime | None:
    properties = deal.get("properties") or {}
    return parse_iso_or_epoch_ms(properties.get("hs_lastmodifieddate") or deal.get("updatedAt"))


def deal_amount(deal: Mapping[str, Any]) -> float | None:
    try:
        value = (deal.get("properties") or {}).get("amount")
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def plan_tick(deals: Iterable[Mapping[str, Any]], cursor: DealCursor) -> tuple[list[ClosedWonSighting], DealCursor]:
    """The deals new to this cursor (oldest change first) and the cursor after them.

    `deals` is what HubSpot returned for "closed-won, modified at or after cursor.modified_at".
    """
    newest, newest_ids = cursor.modified_at, set(cursor.ids)
    new: list[ClosedWonSighting] = []
    for deal in deals:
        deal_id = str(deal["id"])
        modified = deal_modified_at(deal)
        if cursor.already_seen(deal_id, modified):
            continue
        new.append(
            ClosedWonSighting(
                deal_id=deal_id,
                name=(deal.get("properties") or {}).get("dealname"),
                amount=deal_amount(deal),
                modified_at=modified,
            )
        )
        if modified is None:
            continue
        if newest is None or modified > newest:
            newest, newest_ids = modified, {deal_id}
        elif modified == newest:
            newest_ids.add(deal_id)
    new.sort(key=lambda sighting: (sighting.modified_at or datetime.max.replace(tzinfo=UTC), sighting.deal_id))
    return new, DealCursor(modified_at=newest, ids=frozenset(newest_ids))
