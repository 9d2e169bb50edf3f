"""The real customers behind the sandbox: who they are before any tool mangles them.

Each seeding module turns this world into one tool's records, each tool holding its own realistic subset with its
own kind of mess. The world is a pure function of the seed and the scale.
"""

import random
from dataclasses import dataclass, field

from customer_hub.sandbox.clock import BASE_TIME, HISTORY_SECONDS
from customer_hub.sandbox.ids import ACME_CUSTOMER_KEY
from customer_hub.sandbox.messiness import slug
from customer_hub.sandbox.population import Population
from customer_hub.sandbox.vocabulary import (
    CITIES,
    JOB_TITLES,
    LEGAL_SUFFIXES,
    PERSONAL_EMAIL_DOMAINS,
    PLANS,
)

City = tuple[str, str, str, str, str, str]
ACME_CITY: City = ("Albuquerque", "NM", "87102", "US", "1", "505")

# Lifecycle of a customer; it decides which tools know about it. "offline" customers pay by bank transfer
# against QuickBooks invoices and appear in no other tool.
PROSPECT, ACTIVE, PAST_DUE, CHURNED, OFFLINE = "prospect", "active", "past_due", "churned", "offline"
BILLED = (ACTIVE, PAST_DUE, CHURNED)


@dataclass
class Person:
    """A real human: the same person may appear in several tools under different spellings."""

    key: str
    first_name: str
    last_name: str
    email: str | None
    phone: str | None  # E.164
    title: str

    @property
    def full_name(self) -> str:
        """Given name then family name."""
        return f"{self.first_name} {self.last_name}"


@dataclass
class Customer:
    """A real customer: a company with colleagues, or an individual buying for themselves."""

    key: str
    kind: str  # "company" or "individual"
    stem: str  # company name without legal suffix, or the individual's full name
    suffix: str
    domain: str | None
    city: City
    street: str
    phone: str  # switchboard for companies, own phone for individuals (E.164)
    since: int  # epoch seconds when the relationship started
    status: str
    plan: int  # index into PLANS
    seats: int
    people: list[Person] = field(default_factory=list)

    @property
    def legal_name(self) -> str:
        """Name with legal suffix, as on the contract."""
        return f"{self.stem} {self.suffix}".strip()

    @property
    def is_company(self) -> bool:
        """Whether this is a business rather than an individual."""
        return self.kind == "company"


@dataclass
class World:
    """All real customers, Acme first."""

    customers: list[Customer]

    @property
    def acme(self) -> Customer:
        """The customer billed twice in Stripe (see seeding)."""
        return self.customers[0]


def build_world(seed: int, scale: float) -> World:
    """Create round(2000 * scale) customers deterministically from the seed, with names drawn from pools that grow
    with the scale, and a mailbox and phone number of their own each (see `population.py`)."""
    rng = random.Random(f"{seed}:world")
    population = Population(seed, scale)
    count = max(20, round(2000 * scale))
    customers = [_acme()]
    used_stems = {"Acme"}
    used_domains = {"acme.com"}
    person_seq = 1
    for index in range(1, count):
        key = f"C{index:05d}"
        city = rng.choice(CITIES)
        since = BASE_TIME - rng.randrange(30 * 86400, HISTORY_SECONDS)
        status = rng.choices((PROSPECT, ACTIVE, PAST_DUE, CHURNED, OFFLINE), (46, 37, 3, 12, 2))[0]
        plan = rng.choices(range(len(PLANS)), (35, 40, 18, 7))[0]
        if rng.random() < 0.72:
            stem = population.company_stem(rng, used_stems)
            domain = _unique_domain(rng, stem, city, used_domains)
            customer = Customer(
                key,
                "company",
                stem,
                rng.choice(LEGAL_SUFFIXES),
                domain,
                city,
                population.street(rng),
                population.phone(rng, city),
                since,
                status,
                plan,
                rng.choice((3, 5, 10, 25, 50)),
            )
            pattern = rng.choice(("{f}.{l}", "{f0}{l}", "{f}", "{f}{l0}"))
            for _ in range(rng.choices((1, 2, 3, 4), (40, 30, 20, 10))[0]):
                first, last = population.person(rng)
                local = pattern.format(f=slug(first), l=slug(last), f0=slug(first)[0], l0=slug(last)[0])
                email = population.work_address(local, first, last, domain)
                direct = population.phone(rng, city) if rng.random() < 0.5 else None
                customer.people.append(Person(f"P{person_seq:06d}", first, last, email, direct, rng.choice(JOB_TITLES)))
                person_seq += 1
        else:
            first, last = population.person(rng)
            mailbox = f"{slug(first)}.{slug(last)}{rng.randrange(1, 99) if rng.random() < 0.5 else ''}"
            email = population.personal_address(mailbox, first, last, rng.choice(PERSONAL_EMAIL_DOMAINS))
            phone = population.phone(rng, city)
            customer = Customer(
                key,
                "individual",
                f"{first} {last}",
                "",
                None,
                city,
                population.street(rng),
                phone,
                since,
                status,
                min(plan, 1),
                1,
            )
            customer.people.append(Person(f"P{person_seq:06d}", first, last, email, phone, "Owner"))
            person_seq += 1
        customers.append(customer)
    return World(customers)


def _acme() -> Customer:
    acme = Customer(
        ACME_CUSTOMER_KEY,
        "company",
        "Acme",
        "Corporation",
        "acme.com",
        ACME_CITY,
        "100 Desert Rd",
        "+15055550100",
        BASE_TIME - 400 * 86400,
        ACTIVE,
        1,
        25,
    )
    acme.people.append(Person("P-acme-wile", "Wile", "Coyote", "wile.coyote@acme.com", "+15055550142", "COO"))
    acme.people.append(Person("P-acme-rita", "Rita", "Runner", "rita.runner@acme.com", None, "Controller"))
    return acme


def _unique_domain(rng: random.Random, stem: str, city: City, used: set[str]) -> str:
    tld = {"DE": ".de", "GB": ".co.uk", "FR": ".fr", "NL": ".nl"}.get(city[3], ".com")
    base = slug(stem)
    for candidate in (base + tld, base + rng.choice((".io", ".co", ".com")), f"{base}hq.com", f"get{base}.com"):
        if candidate not in used:
            used.add(candidate)
            return candidate
    fallback = f"{base}{len(used)}.com"
    used.add(fallback)
    return fallback
