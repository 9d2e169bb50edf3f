"""Records that appear and disappear between two syncs: new and deleted Stripe customers, new, archived and merged
HubSpot contacts, new invoices and conversations of customers the tools already hold. Kept apart from field changes
because they change what a full listing returns.
"""

from typing import TYPE_CHECKING

from customer_hub.sandbox.clock import iso_date, iso_ms
from customer_hub.sandbox.events import emit_stripe_event
from customer_hub.sandbox.ids import ACME_CUSTOMER_KEY
from customer_hub.sandbox.messiness import slug
from customer_hub.sandbox.seeding.common import token
from customer_hub.sandbox.seeding.hubspot import new_record, stamp
from customer_hub.sandbox.seeding.intercom import ADMIN_IDS, new_conversation
from customer_hub.sandbox.seeding.quickbooks import new_invoice
from customer_hub.sandbox.seeding.stripe import new_customer
from customer_hub.sandbox.store import Record
from customer_hub.sandbox.vocabulary import CONVERSATION_SUBJECTS, FIRST_NAMES, LAST_NAMES

if TYPE_CHECKING:
    from customer_hub.sandbox.state import SandboxState


def is_gone(tool: str, record: Record) -> bool:
    """Whether a record has left the tool's listings: HubSpot keeps deleted records as archived ones.

    (Asana's "archived" projects are still listed, so the flag only means "gone" for HubSpot.)
    """
    return tool == "hubspot" and bool(record.get("archived"))


def _new_person(state: "SandboxState") -> tuple[str, str, str]:
    first, last = state.rng.choice(FIRST_NAMES), state.rng.choice(LAST_NAMES)
    return first, last, f"{slug(first)}.{slug(last)}{state.rng.randrange(10, 99)}@gmail.com"


def _deletable(state: "SandboxState", tool: str, stream_name: str, count: int) -> list[str]:
    """Random live records, never Acme's (the case every demo shows)."""
    stream = state.stream(tool, stream_name)
    candidates = [
        record_id
        for record_id in stream.order
        if state.truth.customer_of(tool, stream_name, record_id) != ACME_CUSTOMER_KEY
        and not is_gone(tool, stream.records[record_id])
    ]
    return sorted(state.rng.sample(candidates, min(count, len(candidates))), key=stream.position.__getitem__)


def create_stripe_customers(state: "SandboxState", count: int) -> list[str]:
    """New sign-ups: customer.created events."""
    created = []
    stream = state.stream("stripe", "customers")
    for _ in range(count):
        first, last, email = _new_person(state)
        address_from = state.world.customers[state.rng.randrange(len(state.world.customers))]
        now_ms = state.clock.now_ms()
        record = new_customer(
            f"cus_{token(state.rng, 14)}", f"{first} {last}", email, None, address_from, now_ms // 1000, {}
        )
        stream.add(record["id"], record, now_ms)
        emit_stripe_event(state, "customer.created", record)
        created.append(record["id"])
    return created


def delete_stripe_customers(state: "SandboxState", count: int) -> tuple[list[str], list[str]]:
    """Deleted customers vanish from lists; their live subscriptions are canceled with them, as in Stripe."""
    customers = state.stream("stripe", "customers")
    subscriptions = state.stream("stripe", "subscriptions")
    deleted, canceled = _deletable(state, "stripe", "customers", count), []
    for customer_id in deleted:
        for subscription in subscriptions:
            if subscription["customer"] == customer_id and subscription["status"] != "canceled":
                now_ms = state.clock.now_ms()
                subscription.update(status="canceled", canceled_at=now_ms // 1000, ended_at=now_ms // 1000)
                subscriptions.touch(subscription["id"], now_ms)
                emit_stripe_event(state, "customer.subscription.deleted", subscription)
                canceled.append(subscription["id"])
        emit_stripe_event(state, "customer.deleted", customers.records[customer_id])
        customers.remove(customer_id)
    return deleted, canceled


def create_hubspot_contacts(state: "SandboxState", count: int) -> list[str]:
    """New contacts, e.g. from a web form."""
    contacts = state.stream("hubspot", "contacts")
    created = []
    for _ in range(count):
        first, last, email = _new_person(state)
        now_ms = state.clock.now_ms()
        record_id = state.next_id("hubspot", "contacts")
        props = {"firstname": first, "lastname": last, "email": email, "lifecyclestage": "subscriber"}
        contacts.add(record_id, new_record(record_id, "contacts", props, now_ms, now_ms), now_ms)
        created.append(record_id)
    return created


def archive_hubspot_contacts(state: "SandboxState", count: int) -> list[str]:
    """Deleted contacts are archived: gone from lists and search, listed with archived=true."""
    contacts = state.stream("hubspot", "contacts")
    archived = _deletable(state, "hubspot", "contacts", count)
    for record_id in archived:
        now_ms = state.clock.now_ms()
        record = contacts.records[record_id]
        record["archived"] = True
        record["archivedAt"] = iso_ms(now_ms)
        stamp(record, "contacts", now_ms)
        contacts.touch(record_id, now_ms)
    return archived


def merge_hubspot_contacts(state: "SandboxState", count: int) -> dict[str, str]:
    """Merge pairs of contacts as a salesperson does duplicates: the merged-away contact leaves every listing (it is
    not archived either), and the surviving one lists its id in `hs_merged_object_ids`. Returns merged -> survivor."""
    contacts = state.stream("hubspot", "contacts")
    chosen = _deletable(state, "hubspot", "contacts", 2 * count)
    merges = {}
    for survivor, merged in zip(chosen[::2], chosen[1::2], strict=False):
        record = contacts.records[survivor]
        earlier = [i for i in record["properties"].get("hs_merged_object_ids", "").split(";") if i]
        record["properties"]["hs_merged_object_ids"] = ";".join([*earlier, merged])
        now_ms = state.clock.now_ms()
        stamp(record, "contacts", now_ms)
        contacts.touch(survivor, now_ms)
        contacts.remove(merged)
        merges[merged] = survivor
    return merges


def add_activity(state: "SandboxState", count: int) -> tuple[list[str], list[str]]:
    """What a working day brings customers the tools already hold: `count` new records, alternately a QuickBooks
    invoice billed to a live customer and an Intercom conversation a known contact starts. Returns the new invoice
    ids and conversation ids."""
    invoices, conversations = [], []
    for index in range(count):
        if index % 2 == 0:
            invoices.append(_bill_a_customer(state, state.clock.now_ms()))
        else:
            conversations.append(_start_a_conversation(state, state.clock.now_ms()))
    return invoices, conversations


def _bill_a_customer(state: "SandboxState", now_ms: int) -> str:
    """A new open invoice for a random QuickBooks customer, whose balance grows by it as QuickBooks keeps it."""
    customers = state.stream("quickbooks", "customers")
    customer = customers.records[state.rng.choice(customers.order)]
    invoice_id = state.next_id("quickbooks", "invoices")
    amount, today = float(state.rng.choice((1500, 2500, 4000))), now_ms // 1000
    lines = [("Implementation services", amount)]
    number = state.next_id("quickbooks", "doc_numbers")
    due = iso_date(today + 30 * 86400)
    invoice = new_invoice(invoice_id, number, customer, lines, iso_date(today), due, amount, today, today)
    state.stream("quickbooks", "invoices").add(invoice_id, invoice, now_ms)
    customer["Balance"] = customer["BalanceWithJobs"] = round(customer["Balance"] + amount, 2)
    _truth_as(state, ("quickbooks", "invoices", invoice_id), ("quickbooks", "customers", customer["Id"]))
    return invoice_id


def _start_a_conversation(state: "SandboxState", now_ms: int) -> str:
    """A new open conversation started by a random Intercom contact."""
    contacts = state.stream("intercom", "contacts")
    contact = contacts.records[state.rng.choice(contacts.order)]
    conversation_id = state.next_id("intercom", "conversations")
    subject, admin = state.rng.choice(CONVERSATION_SUBJECTS), state.rng.choice(ADMIN_IDS)
    record = new_conversation(conversation_id, contact, subject, "open", now_ms // 1000, now_ms // 1000, admin)
    state.stream("intercom", "conversations").add(conversation_id, record, now_ms)
    _truth_as(state, ("intercom", "conversations", conversation_id), ("intercom", "contacts", contact["id"]))
    return conversation_id


def _truth_as(state: "SandboxState", new: tuple[str, str, str], owner: tuple[str, str, str]) -> None:
    """A new record belongs to the real customer (and person) of the record it was made for, where that is known."""
    truth = state.truth.records.get(owner)
    if truth is not None:
        state.truth.add(*new, truth.customer, truth.person)
