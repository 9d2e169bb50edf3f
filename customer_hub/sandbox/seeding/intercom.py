"""Intercom: users and leads who talked to support, and their conversations. Contacts of a company customer are
often attached to its Intercom company, which their payload names by id only."""

import random

from customer_hub.sandbox.clock import BASE_TIME
from customer_hub.sandbox.messiness import email_case_variant, gmail_alias, phone_format
from customer_hub.sandbox.seeding.common import IdSequence, Seeded, hex_id, moment_after
from customer_hub.sandbox.store import Record
from customer_hub.sandbox.vocabulary import CONVERSATION_SUBJECTS
from customer_hub.sandbox.world import BILLED, OFFLINE, Customer, Person, World

WORKSPACE_ID = "sbx0ws01"
COMPANY_SHARE = 0.6
"""Contacts of a company customer attached to its Intercom company (the app sends `company` to the messenger)."""
SECOND_COMPANY_SHARE = 0.03
"""Attached contacts that also belong to another customer's company: an agency working for two clients."""
ADMIN_IDS = (5091001, 5091002, 5091003, 5091004)
TEAM_ID = 7100001


def new_contact(
    contact_id: str,
    role: str,
    name: str | None,
    email: str | None,
    phone: str | None,
    customer: Customer | None,
    created: int,
    updated: int,
    company_name: str | None,
) -> Record:
    """An Intercom contact (user or lead); without a seeded `customer` (created through the API) no location."""
    city, region, _, country = customer.city[:4] if customer is not None else (None, None, None, None)

    def list_of(kind: str) -> Record:
        return {
            "type": "list",
            "data": [],
            "url": f"/contacts/{contact_id}/{kind}",
            "total_count": 0,
            "has_more": False,
        }

    return {
        "type": "contact",
        "id": contact_id,
        "workspace_id": WORKSPACE_ID,
        "external_id": None,
        "role": role,
        "email": email or "",
        "email_domain": email.rsplit("@", 1)[-1].lower() if email else "",
        "phone": phone,
        "name": name,
        "avatar": None,
        "owner_id": None,
        "social_profiles": {"type": "list", "data": []},
        "has_hard_bounced": False,
        "marked_email_as_spam": False,
        "unsubscribed_from_emails": False,
        "created_at": created,
        "updated_at": updated,
        "signed_up_at": created if role == "user" else None,
        "last_seen_at": updated,
        "last_replied_at": None,
        "last_contacted_at": None,
        "last_email_opened_at": None,
        "last_email_clicked_at": None,
        "language_override": None,
        "browser": "chrome",
        "browser_version": "131.0.0.0",
        "browser_language": "en",
        "os": "OS X 14.1",
        "location": {
            "type": "location",
            "country": country,
            "region": region or None,
            "city": city,
            "country_code": country,
            "continent_code": None,
        },
        "android_app_name": None,
        "android_app_version": None,
        "android_device": None,
        "android_os_version": None,
        "android_sdk_version": None,
        "android_last_seen_at": None,
        "ios_app_name": None,
        "ios_app_version": None,
        "ios_device": None,
        "ios_os_version": None,
        "ios_sdk_version": None,
        "ios_last_seen_at": None,
        "custom_attributes": {"company_name": company_name} if company_name else {},
        "tags": list_of("tags"),
        "notes": list_of("notes"),
        "companies": list_of("companies"),
    }


def new_conversation(
    conversation_id: str, contact: Record, subject: str, state: str, created: int, updated: int, admin_id: int
) -> Record:
    """A conversation started by a contact."""
    author = {"type": contact["role"], "id": contact["id"], "name": contact["name"] or ""}
    if contact["email"]:
        author["email"] = contact["email"]
    return {
        "type": "conversation",
        "id": conversation_id,
        "title": subject,
        "created_at": created,
        "updated_at": updated,
        "waiting_since": updated if state == "open" else None,
        "snoozed_until": updated + 3 * 86400 if state == "snoozed" else None,
        "source": {
            "type": "conversation",
            "id": str(int(conversation_id) * 7 + 3),
            "delivered_as": "customer_initiated",
            "subject": subject,
            "body": f"<p>{subject}</p>",
            "author": author,
            "attachments": [],
            "url": None,
            "redacted": False,
        },
        "contacts": {
            "type": "contact.list",
            "contacts": [{"type": "contact", "id": contact["id"], "external_id": contact["external_id"]}],
        },
        "first_contact_reply": {"created_at": created, "type": "conversation", "url": None},
        "admin_assignee_id": admin_id,
        "team_assignee_id": TEAM_ID,
        "open": state != "closed",
        "state": state,
        "read": state == "closed",
        "tags": {"type": "tag.list", "tags": []},
        "priority": "high" if subject == "Charged twice?" else "none",
        "sla_applied": None,
        "statistics": None,
        "conversation_rating": None,
        "teammates": None,
        "custom_attributes": {},
        "topics": {},
        "ticket": None,
        "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
        "ai_agent": None,
        "ai_agent_participated": False,
    }


class _IntercomSeeder:
    def __init__(self, seeded: Seeded, seed: int) -> None:
        self.seeded = seeded
        self.rng = random.Random(f"{seed}:intercom")
        self.pending: list[tuple[int, str, Record, str, str | None]] = []
        self.conversation_ids = IdSequence(self.rng, 10000, 4)
        seeded.sequences[("intercom", "conversations")] = self.conversation_ids

    def contact(self, customer: Customer, person: Person, role: str, email: str | None) -> Record:
        rng = self.rng
        created = moment_after(rng, customer.since, 400)
        updated = moment_after(rng, created, 300)
        name = person.full_name if role == "user" or rng.random() < 0.6 else None
        phone = person.phone or customer.phone
        company = customer.legal_name if customer.is_company and rng.random() < 0.5 else None
        record = new_contact(
            hex_id(rng),
            role,
            name,
            email,
            phone_format(rng, phone) if rng.random() < 0.3 else None,
            customer,
            created,
            updated,
            company,
        )
        self.pending.append((created, "contacts", record, customer.key, person.key))
        return record

    def conversations(self, customer: Customer, person: Person, contact: Record, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            created = moment_after(rng, contact["created_at"], 700)
            updated = moment_after(rng, created, 20)
            recent = BASE_TIME - updated < 45 * 86400
            state = rng.choices(("open", "closed", "snoozed"), (60, 35, 5) if recent else (3, 96, 1))[0]
            record = new_conversation(
                self.conversation_ids.next(),
                contact,
                rng.choice(CONVERSATION_SUBJECTS),
                state,
                created,
                updated,
                rng.choice(ADMIN_IDS),
            )
            self.pending.append((created, "conversations", record, customer.key, person.key))

    def customer(self, customer: Customer) -> None:
        rng = self.rng
        billed = customer.status in BILLED
        for person in customer.people:
            if rng.random() >= (0.52 if billed else 0.18):
                continue
            role = "user" if billed else "lead"
            email = person.email
            if role == "lead" and rng.random() < 0.2:
                email = None
            elif email and rng.random() < 0.06:
                email = (
                    gmail_alias(rng, email, "support")
                    if email.endswith("@gmail.com")
                    else email_case_variant(rng, email)
                )
            contact = self.contact(customer, person, role, email)
            self.conversations(customer, person, contact, rng.choices((0, 1, 2, 3, 4, 6), (15, 25, 25, 15, 12, 8))[0])
            if rng.random() < 0.02:
                self.contact(customer, person, "lead", person.email)

    def acme(self, acme: Customer) -> None:
        wile = acme.people[0]
        contact = self.contact(acme, wile, "user", wile.email)
        created = BASE_TIME - 5 * 86400
        record = new_conversation(
            self.conversation_ids.next(), contact, "Charged twice?", "open", created, created + 3600, ADMIN_IDS[0]
        )
        self.pending.append((created, "conversations", record, acme.key, wile.key))

    def attach_companies(self, world: World, seed: int) -> None:
        """Contacts of company customers attached to their customer's Intercom company, a few to a second one too.
        Drawn from a generator of their own, so every other seeded value is as it was."""
        rng = random.Random(f"{seed}:intercom:companies")
        customers = {customer.key: customer for customer in world.customers}
        company_ids: dict[str, str] = {}
        attached: list[str] = []
        for _, stream, record, customer_key, _ in self.pending:
            if stream != "contacts" or not customers[customer_key].is_company or rng.random() >= COMPANY_SHARE:
                continue
            keys = [customer_key]
            if attached and rng.random() < SECOND_COMPANY_SHARE:
                keys += [other for other in [rng.choice(attached)] if other != customer_key]
            for key in keys:
                if key not in company_ids:
                    company_ids[key] = hex_id(rng)
            record["companies"]["data"] = [
                {"type": "company", "id": company_ids[key], "url": f"/companies/{company_ids[key]}"} for key in keys
            ]
            record["companies"]["total_count"] = len(keys)
            attached.append(customer_key)

    def commit(self) -> None:
        for _, stream, record, customer_key, person_key in sorted(
            self.pending, key=lambda item: (item[0], item[2]["id"])
        ):
            self.seeded.stream("intercom", stream).add(record["id"], record, record["updated_at"] * 1000)
            self.seeded.truth.add("intercom", stream, record["id"], customer_key, person_key)


def seed_intercom(seeded: Seeded, world: World, seed: int) -> None:
    """Contacts (~1,200) and conversations (~2,500) per 2,000 customers."""
    seeder = _IntercomSeeder(seeded, seed)
    seeder.acme(world.acme)
    for customer in world.customers[1:]:
        if customer.status != OFFLINE:
            seeder.customer(customer)
    seeder.attach_companies(world, seed)
    seeder.commit()
