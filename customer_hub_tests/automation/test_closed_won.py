"""The closed-won cursor reports every deal exactly once, across polls and restarts, even at equal timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from customer_hub.automation.closed_won import DealCursor, plan_tick

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def deal(deal_id: str, modified: datetime, amount: str | None = "1200") -> dict:
    return {
        "id": deal_id,
        "properties": {
            "dealname": f"Deal {deal_id}",
            "amount": amount,
            "dealstage": "closedwon",
            "hs_lastmodifieddate": modified.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        },
    }


class FakeHubSpot:
    """Closed-won deals with HubSpot's `GTE` search semantics."""

    def __init__(self) -> None:
        self.deals: list[dict] = []

    def close(self, deal_id: str, modified: datetime) -> None:
        self.deals.append(deal(deal_id, modified))

    def closed_won_deals(self, since: datetime) -> list[dict]:
        found = [d for d in self.deals if datetime.fromisoformat(d["properties"]["hs_lastmodifieddate"]) >= since]
        return sorted(found, key=lambda d: d["properties"]["hs_lastmodifieddate"])


def poll(hubspot: FakeHubSpot, stored: str | None, now: datetime) -> tuple[list[str], str]:
    """One sensor tick as a restart sees it: only the serialised cursor survives between ticks."""
    cursor = DealCursor.parse(stored)
    sightings, after = plan_tick(hubspot.closed_won_deals(cursor.since(now, timedelta(hours=24))), cursor)
    return [s.deal_id for s in sightings], after.serialize()


def test_each_deal_is_reported_once_across_restarts_and_shared_timestamps():
    hubspot = FakeHubSpot()
    hubspot.close("1", T0)
    hubspot.close("2", T0)

    first, cursor = poll(hubspot, None, T0 + timedelta(seconds=5))
    hubspot.close("3", T0)  # lands in HubSpot's index later, with the same millisecond as deals 1 and 2
    second, cursor = poll(hubspot, cursor, T0 + timedelta(seconds=35))
    third, cursor = poll(hubspot, cursor, T0 + timedelta(seconds=65))
    hubspot.close("4", T0 + timedelta(milliseconds=1))
    fourth, cursor = poll(hubspot, cursor, T0 + timedelta(seconds=95))
    fifth, _ = poll(hubspot, cursor, T0 + timedelta(seconds=125))

    assert (first, second, third, fourth, fifth) == (["1", "2"], ["3"], [], ["4"], [])


def test_first_poll_looks_back_and_an_unreadable_cursor_starts_afresh():
    hubspot = FakeHubSpot()
    hubspot.close("old", T0 - timedelta(days=3))
    hubspot.close("recent", T0 - timedelta(hours=2))

    found, _ = poll(hubspot, None, T0)
    assert found == ["recent"]
    assert DealCursor.parse("not json") == DealCursor()


def test_sightings_carry_what_the_onboarding_run_needs():
    sightings, cursor = plan_tick([deal("9", T0, amount="4500.50")], DealCursor())
    assert sightings[0].deal_id == "9"
    assert sightings[0].amount == 4500.5
    assert sightings[0].modified_at == T0
    assert DealCursor.parse(cursor.serialize()) == cursor
