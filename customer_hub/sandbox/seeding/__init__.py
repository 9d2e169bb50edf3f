"""Turn the seeded world into every tool's records (HubSpot first: Stripe metadata refers to its ids)."""

from customer_hub.sandbox.seeding.asana import seed_asana
from customer_hub.sandbox.seeding.common import Seeded
from customer_hub.sandbox.seeding.hubspot import seed_hubspot
from customer_hub.sandbox.seeding.intercom import seed_intercom
from customer_hub.sandbox.seeding.quickbooks import seed_quickbooks
from customer_hub.sandbox.seeding.quickbooks_spend import seed_quickbooks_spend
from customer_hub.sandbox.seeding.sheets import seed_sheets
from customer_hub.sandbox.seeding.stripe import seed_stripe
from customer_hub.sandbox.truth import GroundTruth
from customer_hub.sandbox.world import World, build_world

__all__ = ["Seeded", "seed_all"]


def seed_all(seed: int, scale: float) -> tuple[World, Seeded]:
    """The world and all tools' records for a seed and scale; a pure function of both."""
    world = build_world(seed, scale)
    seeded = Seeded(GroundTruth())
    for seeder in (seed_hubspot, seed_stripe, seed_intercom, seed_quickbooks, seed_sheets, seed_asana):
        seeder(seeded, world, seed)
    seed_quickbooks_spend(seeded, seed)  # what the company buys: independent of its customers
    return world, seeded
