"""HubSpot CRM: contacts, companies and deals as a sales team would have left them."""

import random

from customer_hub.sandbox.clock import iso_ms
from customer_hub.sandbox.messiness import (
    company_name_variant,
    email_case_variant,
    gmail_alias,
    phone_format,
    typo,
)
from customer_hub.sandbox.seeding.common import IdSequence, Seeded, moment_after
from customer_hub.sandbox.store import Record
from customer_hub.sandbox.vocabulary import PLANS
from customer_hub.sandbox.world import BILLED, OFFLINE, PROSPECT, Customer, Person, World

MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}
ASSOCIATION_TYPES = {
    ("contacts", "companies"): "contact_to_company",
    ("contacts", "deals"): "contact_to_deal",
    ("companies", "contacts"): "company_to_contact",
    ("companies", "deals"): "company_to_deal",
    ("deals", "companies"): "deal_to_company",
    ("deals", "contacts"): "deal_to_contact",
}
OPEN_STAGES = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
)
INDUSTRIES = (
    "COMPUTER_SOFTWARE",
    "FINANCIAL_SERVICES",
    "HOSPITAL_HEALTH_CARE",
    "RETAIL",
    "LOGISTICS_AND_SUPPLY_CHAIN",
    "MARKETING_AND_ADVERTISING",
    "CONSTRUCTION",
    "FOOD_BEVERAGES",
    "",
)


def stamp(record: Record, object_type: str, epoch_ms: int) -> None:
    """Set a record's last-modified time everywhere HubSpot shows it."""
    record["properties"][MODIFIED_PROPERTY[object_type]] = iso_ms(epoch_ms)
    record["updatedAt"] = iso_ms(epoch_ms)


def new_record(
    record_id: str, object_type: str, properties: dict[str, str], created_ms: int, updated_ms: int
) -> Record:
    """A CRM object in the stored form (associations as type → ids)."""
    props = {key: value for key, value in properties.items() if value not in (None, "")}
    props["hs_object_id"] = record_id
    props["createdate"] = iso_ms(created_ms)
    record: Record = {
        "id": record_id,
        "properties": props,
        "createdAt": iso_ms(created_ms),
        "updatedAt": "",
        "archived": False,
        "associations": {},
    }
    stamp(record, object_type, updated_ms)
    return record


def associate(seeded: Seeded, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
    """Link two CRM records both ways, as HubSpot associations are."""
    for a_type, a_id, b_type, b_id in ((from_type, from_id, to_type, to_id), (to_type, to_id, from_type, from_id)):
        links = seeded.streams[("hubspot", a_type)].records[a_id]["associations"].setdefault(b_type, [])
        if b_id not in links:
            links.append(b_id)


class _HubSpotSeeder:
    def __init__(self, seeded: Seeded, seed: int) -> None:
        self.seeded = seeded
        self.rng = random.Random(f"{seed}:hubspot")
        self.contacts = seeded.stream("hubspot", "contacts", numeric_ids=True)
        self.companies = seeded.stream("hubspot", "companies", numeric_ids=True)
        self.deals = seeded.stream("hubspot", "deals", numeric_ids=True)
        self.ids = {
            "contacts": IdSequence(self.rng, 101, 3),
            "companies": IdSequence(self.rng, 5000000001, 7),
            "deals": IdSequence(self.rng, 9100000001, 5),
        }
        seeded.sequences.update({("hubspot", name): seq for name, seq in self.ids.items()})

    def _times(self, customer: Customer) -> tuple[int, int]:
        created = moment_after(self.rng, customer.since - 90 * 86400, 120)
        updated = moment_after(self.rng, created, 500)
        return created * 1000 + self.rng.randrange(1000), updated * 1000 + self.rng.randrange(1000)

    def company(self, customer: Customer, name: str, domain: str | None, phone: str | None) -> str:
        record_id = self.ids["companies"].next()
        created, updated = self._times(customer)
        props = {
            "name": name,
            "domain": domain or "",
            "phone": phone or "",
            "city": customer.city[0],
            "country": customer.city[3],
            "industry": self.rng.choice(INDUSTRIES),
            "numberofemployees": str(customer.seats * self.rng.choice((2, 4, 10))),
            "lifecyclestage": "customer" if customer.status in BILLED else "lead",
        }
        self.companies.add(record_id, new_record(record_id, "companies", props, created, updated), updated)
        self.seeded.truth.add("hubspot", "companies", record_id, customer.key)
        return record_id

    def contact(
        self, customer: Customer, person: Person, email: str | None, company_name: str, swapped: bool = False
    ) -> str:
        record_id = self.ids["contacts"].next()
        created, updated = self._times(customer)
        first, last = (person.last_name, person.first_name) if swapped else (person.first_name, person.last_name)
        phone = person.phone or (customer.phone if customer.is_company and self.rng.random() < 0.5 else None)
        props = {
            "firstname": first,
            "lastname": last,
            "email": email or "",
            "phone": phone_format(self.rng, phone) if phone and self.rng.random() < 0.7 else "",
            "company": company_name,
            "jobtitle": person.title if self.rng.random() < 0.6 else "",
            "city": customer.city[0] if self.rng.random() < 0.5 else "",
            "lifecyclestage": "customer"
            if customer.status in BILLED
            else self.rng.choice(("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity")),
        }
        self.contacts.add(record_id, new_record(record_id, "contacts", props, created, updated), updated)
        self.seeded.truth.add("hubspot", "contacts", record_id, customer.key, person.key)
        return record_id

    def deal(self, customer: Customer, name: str, stage: str, amount: int | None) -> str:
        record_id = self.ids["deals"].next()
        created, updated = self._times(customer)
        close = moment_after(self.rng, created // 1000, 60 if stage == "closedwon" else 200)
        props = {
            "dealname": name,
            "dealstage": stage,
            "pipeline": "default",
            "amount": str(amount) if amount is not None else "",
            "closedate": iso_ms(close * 1000) if stage.startswith("closed") or self.rng.random() < 0.5 else "",
        }
        self.deals.add(record_id, new_record(record_id, "deals", props, created, updated), updated)
        self.seeded.truth.add("hubspot", "deals", record_id, customer.key)
        return record_id

    def customer(self, customer: Customer) -> None:
        rng = self.rng
        billed = customer.status in BILLED
        company_id = None
        if customer.is_company and rng.random() < (0.45 if billed else 0.38):
            name = company_name_variant(rng, customer.stem, customer.suffix)
            phone = phone_format(rng, customer.phone) if rng.random() < 0.6 else None
            company_id = self.company(customer, name, customer.domain if rng.random() < 0.93 else None, phone)
            self.seeded.links.setdefault("hubspot_company", {})[customer.key] = company_id
            if rng.random() < 0.02:
                self.company(customer, company_name_variant(rng, customer.stem, customer.suffix), customer.domain, None)
        contact_ids = []
        for person in customer.people:
            chance = 0.8 if company_id else (0.5 if not customer.is_company else 0.16)
            if rng.random() >= chance:
                continue
            email = self._email(person)
            company_name = company_name_variant(rng, customer.stem, customer.suffix) if customer.is_company else ""
            contact_id = self.contact(customer, person, email, company_name, swapped=rng.random() < 0.03)
            contact_ids.append(contact_id)
            if company_id and rng.random() < 0.85:
                associate(self.seeded, "contacts", contact_id, "companies", company_id)
            if rng.random() < 0.05:
                duplicate_email = (
                    gmail_alias(rng, person.email, "crm")
                    if person.email and person.email.endswith("@gmail.com")
                    else (email_case_variant(rng, person.email) if person.email else None)
                )
                self.contact(customer, person, duplicate_email, company_name)
        self._deals(customer, company_id, contact_ids)

    def _email(self, person: Person) -> str | None:
        rng = self.rng
        if person.email is None or rng.random() < 0.04:
            return None
        if rng.random() < 0.05:
            return email_case_variant(rng, person.email)
        if rng.random() < 0.02:
            return typo(rng, person.email)
        return person.email

    def _deals(self, customer: Customer, company_id: str | None, contact_ids: list[str]) -> None:
        rng = self.rng
        if not company_id and not (contact_ids and not customer.is_company and rng.random() < 0.3):
            return
        plan_name, price = PLANS[customer.plan]
        yearly = price * customer.seats * 12 // 100
        stages = []
        if customer.status in BILLED and rng.random() < 0.7:
            stages.append("closedwon")
            if customer.status != "churned" and rng.random() < 0.15:
                stages.append(rng.choice(OPEN_STAGES))
        elif customer.status == PROSPECT and rng.random() < 0.65:
            stages.append("closedlost" if rng.random() < 0.25 else rng.choice(OPEN_STAGES))
        for stage in stages:
            amount = yearly if rng.random() < 0.92 else None
            deal_id = self.deal(customer, f"{customer.stem} - {plan_name}", stage, amount)
            if company_id:
                associate(self.seeded, "deals", deal_id, "companies", company_id)
            for contact_id in contact_ids[:2]:
                associate(self.seeded, "deals", deal_id, "contacts", contact_id)

    def acme(self, acme: Customer) -> None:
        """Three records for one customer, none of which agree on the name."""
        wile = acme.people[0]
        company_id = self.company(acme, "Acme Corp", "acme.com", "(505) 555-0100")
        self.seeded.links.setdefault("hubspot_company", {})[acme.key] = company_id
        work = self.contact(acme, wile, wile.email, "ACME Corporation")
        associate(self.seeded, "contacts", work, "companies", company_id)
        self.contact(acme, wile, "wilecoyote+acme@gmail.com", "Acme Corp.")
        deal_id = self.deal(acme, "Acme Corp - Hub Pro", "closedwon", 59700)
        associate(self.seeded, "deals", deal_id, "companies", company_id)
        associate(self.seeded, "deals", deal_id, "contacts", work)


def seed_hubspot(seeded: Seeded, world: World, seed: int) -> None:
    """Contacts (~1,500), companies (~600) and deals (~500) per 2,000 customers."""
    seeder = _HubSpotSeeder(seeded, seed)
    seeder.acme(world.acme)
    for customer in world.customers[1:]:
        if customer.status != OFFLINE:
            seeder.customer(customer)
