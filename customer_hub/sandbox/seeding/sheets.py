"""Google Sheets: the implementation tracker customer success keeps by hand."""

import random
from datetime import UTC, datetime

from customer_hub.sandbox.clock import BASE_TIME
from customer_hub.sandbox.messiness import company_name_variant, domain_variant, email_case_variant
from customer_hub.sandbox.seeding.common import Seeded
from customer_hub.sandbox.vocabulary import CSM_NAMES, IMPLEMENTATION_STAGES, SHEET_NOTES
from customer_hub.sandbox.world import ACTIVE, PAST_DUE, Customer, World

HEADER = ["Customer", "Contact email", "Domain", "Stage", "Go-live date", "CSM", "Notes"]


def trim_row(row: list[str]) -> list[str]:
    """Drop trailing blank cells, as the Sheets API omits them."""
    end = len(row)
    while end and row[end - 1] == "":
        end -= 1
    return row[:end]


def date_cell(rng: random.Random, epoch_s: int) -> str:
    """A date the way different people type it into a sheet."""
    moment = datetime.fromtimestamp(epoch_s, UTC)
    return rng.choice(
        (
            moment.strftime("%Y-%m-%d"),
            f"{moment.month}/{moment.day}/{moment.year}",
            moment.strftime("%d %b %Y"),
            moment.strftime("%d.%m.%Y"),
            moment.strftime("%b %d"),
        )
    )


def onboarding_candidates(world: World, rng: random.Random, count: int) -> list[Customer]:
    """Paying customers recent enough to be in (or just out of) implementation, Acme first."""
    pool = [c for c in world.customers[1:] if c.status in (ACTIVE, PAST_DUE) and c.since > BASE_TIME - 700 * 86400]
    rng.shuffle(pool)
    return [world.acme] + pool[: max(0, count - 1)]


def _row(rng: random.Random, customer: Customer) -> list[str]:
    person = customer.people[0]
    name = company_name_variant(rng, customer.stem, customer.suffix) if customer.is_company else person.full_name
    email = (
        ""
        if rng.random() < 0.12
        else (email_case_variant(rng, person.email) if person.email and rng.random() < 0.1 else person.email or "")
    )
    domain = domain_variant(rng, customer.domain) if customer.domain and rng.random() < 0.85 else ""
    stage = rng.choice(IMPLEMENTATION_STAGES)
    go_live = date_cell(rng, customer.since + rng.randrange(20, 120) * 86400) if rng.random() < 0.7 else ""
    csm = rng.choice(CSM_NAMES) if rng.random() < 0.9 else ""
    notes = rng.choice(SHEET_NOTES) if rng.random() < 0.5 else ""
    return trim_row([name, email, domain, stage, go_live, csm, notes])


def seed_sheets(seeded: Seeded, world: World, seed: int) -> None:
    """About 300 tracker rows per 2,000 customers, plus a header row; row numbers are the record ids."""
    rng = random.Random(f"{seed}:sheets")
    rows = seeded.stream("sheets", "implementations", numeric_ids=True)
    target = round(300 * len(world.customers) / 2000)
    candidates = onboarding_candidates(world, random.Random(f"{seed}:onboarding"), target)
    entries: list[tuple[Customer, list[str]]] = [
        (
            world.acme,
            [
                "ACME Corp",
                "wile.coyote@acme.com",
                "acme.com",
                "Live",
                "2025-02-03",
                CSM_NAMES[2],
                "Two Stripe subscriptions? check with finance",
            ],
        )
    ]
    for customer in candidates[1:]:
        entries.append((customer, _row(rng, customer)))
        if rng.random() < 0.02:
            entries.append((customer, _row(rng, customer)))
    seeded.extras["sheets_header"] = HEADER
    for number, (customer, row) in enumerate(entries, start=2):
        rows.add(str(number), {"row": number, "values": row}, BASE_TIME * 1000)
        seeded.truth.add("sheets", "implementations", str(number), customer.key)
