"""Live changes to the seeded world: what happens in the tools between two syncs.

Every change bumps the record's own "updated" field the way its tool does, and leaves the trail the tool offers
for incremental sync: Stripe events, QuickBooks CDC (LastUpdatedTime), Asana sync events, HubSpot and Intercom
modification times. A change only sets fields the stream's seeded records already carry, so live changes never
look like schema drift; drift is what the schema_drift fault is for.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from customer_hub.sandbox import lifecycle
from customer_hub.sandbox.clock import iso_ms, iso_seconds, qbo_time
from customer_hub.sandbox.events import emit_asana_event, emit_stripe_event
from customer_hub.sandbox.messiness import phone_format
from customer_hub.sandbox.seeding.asana import status_update
from customer_hub.sandbox.seeding.hubspot import OPEN_STAGES, stamp
from customer_hub.sandbox.store import Record
from customer_hub.sandbox.vocabulary import CSM_NAMES, IMPLEMENTATION_STAGES, JOB_TITLES
from customer_hub.sandbox.webhooks import hubspot_snapshot

if TYPE_CHECKING:
    from customer_hub.sandbox.state import SandboxState

Changer = Callable[["SandboxState", Record, int], None]


def _hubspot_contact(state: "SandboxState", record: Record, now_ms: int) -> None:
    props = record["properties"]
    if state.rng.random() < 0.5:
        props["phone"] = phone_format(state.rng, f"+1415555{state.rng.randrange(1000, 10000)}")
    else:
        props["jobtitle"] = state.rng.choice(JOB_TITLES)
    stamp(record, "contacts", now_ms)


def _hubspot_company(state: "SandboxState", record: Record, now_ms: int) -> None:
    record["properties"]["numberofemployees"] = str(state.rng.randrange(5, 5000))
    stamp(record, "companies", now_ms)


def _hubspot_deal(state: "SandboxState", record: Record, now_ms: int) -> None:
    props = record["properties"]
    if props.get("dealstage") in OPEN_STAGES and state.rng.random() < 0.5:
        props["dealstage"] = state.rng.choice(OPEN_STAGES)
    else:
        props["amount"] = str(int(props.get("amount") or 1000) + state.rng.randrange(100, 5000))
    stamp(record, "deals", now_ms)


def _stripe_customer(state: "SandboxState", record: Record, now_ms: int) -> None:
    previous = {"phone": record["phone"]}
    record["phone"] = phone_format(state.rng, f"+1212555{state.rng.randrange(1000, 10000)}")
    emit_stripe_event(state, "customer.updated", record, previous)


def _stripe_subscription(state: "SandboxState", record: Record, now_ms: int) -> None:
    item = record["items"]["data"][0]
    previous = {"quantity": record["quantity"]}
    record["quantity"] = item["quantity"] = record["quantity"] + 1
    emit_stripe_event(state, "customer.subscription.updated", record, previous)


def _stripe_invoice(state: "SandboxState", record: Record, now_ms: int) -> None:
    if record["status"] == "open":
        previous = {"status": "open", "paid": False, "amount_paid": 0, "amount_remaining": record["amount_remaining"]}
        record.update(status="paid", paid=True, amount_paid=record["amount_due"], amount_remaining=0)
        record["status_transitions"]["paid_at"] = now_ms // 1000
        emit_stripe_event(state, "invoice.paid", record)
        emit_stripe_event(state, "invoice.updated", record, previous)
        return
    previous = {"metadata": dict(record["metadata"] or {})}
    record["metadata"] = dict(record["metadata"] or {}) | {"reviewed": str(now_ms // 1000)}
    emit_stripe_event(state, "invoice.updated", record, previous)


def _intercom_contact(state: "SandboxState", record: Record, now_ms: int) -> None:
    record["phone"] = phone_format(state.rng, f"+1312555{state.rng.randrange(1000, 10000)}")
    record["updated_at"] = record["last_seen_at"] = now_ms // 1000


def _intercom_conversation(state: "SandboxState", record: Record, now_ms: int) -> None:
    closing = record["state"] != "closed"
    record["state"] = "closed" if closing else "open"
    record["open"] = not closing
    record["waiting_since"] = None if closing else now_ms // 1000
    record["updated_at"] = now_ms // 1000


def _quickbooks_entity(record: Record, now_ms: int) -> None:
    record["SyncToken"] = str(int(record["SyncToken"]) + 1)
    record["MetaData"]["LastUpdatedTime"] = qbo_time(now_ms / 1000)


def _quickbooks_customer(state: "SandboxState", record: Record, now_ms: int) -> None:
    record["PrimaryPhone"] = {"FreeFormNumber": phone_format(state.rng, f"+1503555{state.rng.randrange(1000, 10000)}")}
    _quickbooks_entity(record, now_ms)


def _quickbooks_invoice(state: "SandboxState", record: Record, now_ms: int) -> None:
    if record["Balance"] > 0:
        customer = state.stream("quickbooks", "customers").get(record["CustomerRef"]["value"])
        if customer:
            customer["Balance"] = customer["BalanceWithJobs"] = round(customer["Balance"] - record["Balance"], 2)
        record["Balance"] = 0.0
    else:  # a bookkeeper marks a settled invoice reviewed, keeping any other note (e.g. a PO number)
        parts = (record.get("PrivateNote") or "").split("; ")
        kept = [part for part in parts if part and not part.startswith("Reviewed ")]
        record["PrivateNote"] = "; ".join([*kept, f"Reviewed {iso_ms(now_ms)[:10]}"])
    _quickbooks_entity(record, now_ms)


def _quickbooks_vendor(state: "SandboxState", record: Record, now_ms: int) -> None:
    record["PrimaryPhone"] = {"FreeFormNumber": phone_format(state.rng, f"+1800555{state.rng.randrange(1000, 10000)}")}
    _quickbooks_entity(record, now_ms)


def _quickbooks_purchase(state: "SandboxState", record: Record, now_ms: int) -> None:
    """A bookkeeper reconciles the card statement: the memo changes, the amount and date do not."""
    record["PrivateNote"] = f"{record['PrivateNote'].split('; ')[0]}; Reconciled {iso_ms(now_ms)[:10]}"
    _quickbooks_entity(record, now_ms)


def _quickbooks_bill(state: "SandboxState", record: Record, now_ms: int) -> None:
    if record["Balance"] > 0:
        record["Balance"] = 0.0
    else:
        record["PrivateNote"] = f"{record['PrivateNote'].split('; ')[0]}; Reviewed {iso_ms(now_ms)[:10]}"
    _quickbooks_entity(record, now_ms)


def _sheets_row(state: "SandboxState", record: Record, now_ms: int) -> None:
    values = record["values"]
    values.extend([""] * (6 - len(values)))
    values[3] = state.rng.choice(IMPLEMENTATION_STAGES)
    values[5] = values[5] or state.rng.choice(CSM_NAMES)


def _asana_project(state: "SandboxState", record: Record, now_ms: int) -> None:
    """Half the changes edit the notes (which moves `modified_at`); the other half post a status update, which in
    Asana changes the project's `current_status_update` but leaves its `modified_at` alone."""
    if state.rng.random() < 0.5:
        status = state.rng.choice(ASANA_STATUSES)
        record["current_status_update"] = status_update(f"{record['gid']}{now_ms % 10**6:06d}", status, now_ms / 1000)
        emit_asana_event(state, record, "current_status_update", now_ms)
        return
    record["notes"] = f"{record['notes']} Status checked {iso_ms(now_ms)[:10]}.".strip()
    record["html_notes"] = f"<body>{record['notes']}</body>"
    record["modified_at"] = iso_seconds(now_ms / 1000)
    emit_asana_event(state, record, "notes", now_ms)


ASANA_STATUSES = ("on_track", "at_risk", "off_track", "on_hold")


CHANGERS: dict[tuple[str, str], Changer] = {
    ("hubspot", "contacts"): _hubspot_contact,
    ("hubspot", "companies"): _hubspot_company,
    ("hubspot", "deals"): _hubspot_deal,
    ("stripe", "customers"): _stripe_customer,
    ("stripe", "subscriptions"): _stripe_subscription,
    ("stripe", "invoices"): _stripe_invoice,
    ("intercom", "contacts"): _intercom_contact,
    ("intercom", "conversations"): _intercom_conversation,
    ("quickbooks", "customers"): _quickbooks_customer,
    ("quickbooks", "invoices"): _quickbooks_invoice,
    ("sheets", "implementations"): _sheets_row,
    ("asana", "projects"): _asana_project,
    # last, so adding them left the changes drawn for every stream above as they were
    ("quickbooks", "vendors"): _quickbooks_vendor,
    ("quickbooks", "purchases"): _quickbooks_purchase,
    ("quickbooks", "bills"): _quickbooks_bill,
}


NO_MATCHING_FIELD = ("deals", "subscriptions", "invoices", "conversations")
"""Objects whose changes here (a stage, an amount, a quantity, a payment, a conversation's state) touch no field
matching reads: `mutate(..., objects=list(NO_MATCHING_FIELD))` is a sync that leaves every link as it was."""


def mutate(
    state: "SandboxState",
    fraction: float,
    tools: list[str] | None = None,
    create: int = 0,
    delete: int = 0,
    merge: int = 0,
    objects: list[str] | None = None,
    activity: int = 0,
) -> dict[str, dict[str, list[str]]]:
    """Change `fraction` of each stream's live records (at least one when fraction > 0); returns ids per stream.
    `tools` and `objects` (e.g. ["deals", "invoices"]) narrow the streams changed, when given: records are created,
    deleted and merged only in the Stripe customers and HubSpot contacts they leave in.

    `create`/`delete` also add and remove that many Stripe customers and HubSpot contacts (HubSpot archives);
    their ids are reported as "customers_created", "customers_deleted", "contacts_created", "contacts_archived",
    and subscriptions canceled with a deleted customer are listed among the changed subscriptions. `merge` merges
    that many pairs of HubSpot contacts: "contacts_merged" lists the merged-away ids, "contacts_merged_into" the
    survivors, in the same order. `activity` adds that many invoices and conversations of existing customers
    (`lifecycle.add_activity`), listed as "invoices_created" and "conversations_created".
    """
    if not 0 <= fraction <= 1 or min(create, delete, merge, activity) < 0:
        raise ValueError(f"fraction must be between 0 and 1 and counts not negative, got {fraction}, {create}, "
                         f"{delete}, {merge}, {activity}")  # fmt: skip
    changed: dict[str, dict[str, list[str]]] = {}
    for (tool, name), changer in CHANGERS.items():
        if (tools is not None and tool not in tools) or (objects is not None and name not in objects):
            continue
        stream = state.stream(tool, name)
        live = [record_id for record_id in stream.order if not lifecycle.is_gone(tool, stream.records[record_id])]
        count = min(len(live), max(1, round(len(live) * fraction))) if fraction > 0 else 0
        ids = [live[index] for index in sorted(state.rng.sample(range(len(live)), count))]
        for record_id in ids:
            now_ms = state.clock.now_ms()
            record = stream.records[record_id]
            before = hubspot_snapshot(tool, record)
            changer(state, record, now_ms)
            stream.touch(record_id, now_ms)
            state.webhooks.changed(tool, name, record, before, now_ms)
        changed.setdefault(tool, {})[name] = ids
    if create or delete:
        _appear_and_vanish(state, changed, create, delete)
    if merge and "contacts" in changed.get("hubspot", {}):
        merges = lifecycle.merge_hubspot_contacts(state, merge)
        changed["hubspot"]["contacts_merged"] = list(merges)
        changed["hubspot"]["contacts_merged_into"] = list(merges.values())
    if activity:
        invoices, conversations = lifecycle.add_activity(state, activity)
        changed.setdefault("quickbooks", {})["invoices_created"] = invoices
        changed.setdefault("intercom", {})["conversations_created"] = conversations
    return changed


def _appear_and_vanish(
    state: "SandboxState", changed: dict[str, dict[str, list[str]]], create: int, delete: int
) -> None:
    if "customers" in changed.get("stripe", {}):
        stripe = changed["stripe"]
        stripe["customers_created"] = lifecycle.create_stripe_customers(state, create)
        stripe["customers_deleted"], canceled = lifecycle.delete_stripe_customers(state, delete)
        stripe["subscriptions"] = sorted(set(stripe.get("subscriptions", [])) | set(canceled))
    if "contacts" in changed.get("hubspot", {}):
        hubspot = changed["hubspot"]
        hubspot["contacts_created"] = lifecycle.create_hubspot_contacts(state, create)
        hubspot["contacts_archived"] = lifecycle.archive_hubspot_contacts(state, delete)


def touch_at_once(state: "SandboxState", tool: str, name: str, count: int) -> tuple[int, list[str]]:
    """Change the first `count` live records of a stream (HubSpot: the lowest ids) at one shared moment."""
    if tool != "hubspot":
        raise ValueError("only HubSpot streams are bulk-updated at one moment here")
    stream = state.stream(tool, name)
    live = [record_id for record_id in stream.order if not lifecycle.is_gone(tool, stream.records[record_id])]
    ids = sorted(live, key=int)[:count]
    now_ms = state.clock.now_ms()
    for record_id in ids:
        stamp(stream.records[record_id], name, now_ms)  # e.g. a workflow re-saving them: only the time moves
        stream.touch(record_id, now_ms)
    return now_ms, ids


def close_won(state: "SandboxState", deal_id: str) -> Record:
    """Move a HubSpot deal to closed-won now, as a salesperson would when the contract is signed."""
    deals = state.stream("hubspot", "deals")
    record = deals.get(deal_id)
    if record is None:
        raise KeyError(deal_id)
    now_ms = state.clock.now_ms()
    before = hubspot_snapshot("hubspot", record)
    props = record["properties"]
    props["dealstage"] = "closedwon"
    props["closedate"] = iso_ms(now_ms)
    props.setdefault("amount", "12000")
    stamp(record, "deals", now_ms)
    deals.touch(deal_id, now_ms)
    state.webhooks.changed("hubspot", "deals", record, before, now_ms)
    return record
