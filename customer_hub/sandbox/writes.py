"""The vendors' write endpoints the hub's write-back uses: HubSpot object PATCH, batch update and (batch) create,
Stripe customer update and create (form-encoded, `metadata[...]`, Idempotency-Key replay), Intercom contact PUT and
POST, and QuickBooks' sparse Customer update (SyncToken check, `requestid` replay; its create is in the vendor).

Each stored value that actually changes, and each value a create sets, is appended to `SandboxState.write_log`, so a
test can tell a change applied once from one applied twice (a repeated HubSpot update changes nothing; a replayed
Stripe request is not applied), and a record created once from one created twice (`state.written`).
"""

import copy
import re
from typing import TYPE_CHECKING, Any

from customer_hub.sandbox.clock import qbo_time
from customer_hub.sandbox.events import emit_stripe_event
from customer_hub.sandbox.routing import Call, Reply
from customer_hub.sandbox.seeding.common import hex_id, token
from customer_hub.sandbox.seeding.hubspot import new_record, stamp
from customer_hub.sandbox.seeding.intercom import new_contact
from customer_hub.sandbox.seeding.stripe import new_customer
from customer_hub.sandbox.store import Record

if TYPE_CHECKING:
    from customer_hub.sandbox.state import SandboxState

HUBSPOT_BATCH_LIMIT = 100
STRIPE_CUSTOMER_FIELDS = {"name", "email", "phone", "description"}
_FORM_KEY = re.compile(r"^metadata\[([^\[\]]+)\]$")


def _set(state: "SandboxState", tool: str, record_id: str, target: dict[str, Any], name: str, value: Any) -> bool:
    """Set one value; log it when it changed. Empty values remove the key, as the vendors clear a field."""
    old = target.get(name)
    new = None if value in (None, "") else value
    if old == new:
        return False
    if new is None:
        target.pop(name, None)
    else:
        target[name] = new
    state.write_log.append({"tool": tool, "id": record_id, "field": name, "old": old, "new": new})
    return True


# --- HubSpot ---------------------------------------------------------------------------------------------------


def hubspot_update(state: "SandboxState", kind: str, record: Record, properties: dict[str, Any]) -> None:
    changed = [
        _set(state, "hubspot", record["id"], record["properties"], name, value) for name, value in properties.items()
    ]
    if any(changed):
        now_ms = state.clock.now_ms()
        stamp(record, kind, now_ms)
        state.stream("hubspot", kind).touch(record["id"], now_ms)


def hubspot_create(state: "SandboxState", kind: str, properties: dict[str, str]) -> Record:
    """A new CRM object with these properties (check `hubspot_conflict` first)."""
    now_ms = state.clock.now_ms()
    record_id = state.next_id("hubspot", kind)
    record = new_record(record_id, kind, properties, now_ms, now_ms)
    state.stream("hubspot", kind).add(record_id, record, now_ms)
    log_created(state, "hubspot", kind, record, record["properties"], properties)
    return record


def hubspot_conflict(state: "SandboxState", kind: str, inputs: list[dict[str, str]]) -> str | None:
    """The id of a live contact already holding one of these emails (HubSpot keeps contact emails unique,
    case-insensitively), "batch" when two inputs share one, else None."""
    if kind != "contacts":
        return None
    wanted = [str(properties.get("email") or "").strip().lower() for properties in inputs]
    wanted = [email for email in wanted if email]
    if len(set(wanted)) < len(wanted):
        return "batch"
    taken = set(wanted)
    for record in state.stream("hubspot", kind):
        email = str(record["properties"].get("email") or "").lower()
        if email in taken and not record.get("archived"):
            return record["id"]
    return None


def log_created(
    state: "SandboxState", tool: str, obj: str, record: Record, stored: dict[str, Any], sent: dict[str, Any]
) -> None:
    """Log each value a create set (as changed from nothing) and keep the record among the created ones."""
    record_id = str(record.get("id", record.get("Id")))
    for name, value in sent.items():
        if isinstance(value, dict):
            for key, item in value.items():
                if item not in (None, ""):
                    state.write_log.append({"tool": tool, "id": record_id, "field": key, "old": None, "new": item})
        elif name in stored and value not in (None, ""):
            state.write_log.append({"tool": tool, "id": record_id, "field": name, "old": None, "new": stored[name]})
    state.written[f"{tool}_{obj}"].append(record)


def hubspot_properties_problem(properties: Any) -> str | None:
    if not isinstance(properties, dict) or not all(isinstance(v, str) for v in properties.values()):
        return "properties must be an object of property name -> string value"
    return None


# --- Stripe ----------------------------------------------------------------------------------------------------


def stripe_customer_update(call: Call, record: Record) -> str | None:
    """Apply a form-encoded customer update; the unknown parameter's name, or None when all were applied."""
    form = call.request.form
    for key in form:
        if key not in STRIPE_CUSTOMER_FIELDS and not _FORM_KEY.match(key):
            return key
    before = copy.deepcopy(record)
    metadata = dict(record.get("metadata") or {})
    changed = False
    for key, value in form.items():
        nested = _FORM_KEY.match(key)
        target, name = (metadata, nested.group(1)) if nested else (record, key)
        changed |= _set(call.state, "stripe", record["id"], target, name, value)
    record["metadata"] = metadata
    if changed:
        previous = {key: before.get(key) for key in record if record.get(key) != before.get(key)}
        emit_stripe_event(call.state, "customer.updated", record, previous)
    return None


def stripe_customer_create(call: Call) -> Record | str:
    """Create a customer from a form-encoded body (`name`, `email`, `phone`, `description`, `metadata[key]`); the
    new customer, or the name of a parameter the sandbox does not take. Emits `customer.created`."""
    form = call.request.form
    for key in form:
        if key not in STRIPE_CUSTOMER_FIELDS and not _FORM_KEY.match(key):
            return key
    state = call.state
    metadata = {match.group(1): value for key, value in form.items() if (match := _FORM_KEY.match(key)) and value}
    values = {key: (form.get(key) or None) for key in STRIPE_CUSTOMER_FIELDS}
    now_ms = state.clock.now_ms()
    record = new_customer(
        f"cus_{token(state.rng, 14)}", values["name"], values["email"], values["phone"], None, now_ms // 1000, metadata
    )
    record["description"] = values["description"]
    state.stream("stripe", "customers").add(record["id"], record, now_ms)
    log_created(state, "stripe", "customers", record, record, {**values, "metadata": metadata})
    emit_stripe_event(state, "customer.created", record)
    return record


# --- Intercom --------------------------------------------------------------------------------------------------

INTERCOM_CONTACT_FIELDS = {"name", "email", "phone", "custom_attributes"}


def intercom_contact_update(state: "SandboxState", record: Record, body: dict[str, Any]) -> str | None:
    """Apply a contact update; the unknown attribute's name, or None."""
    for key in body:
        if key not in INTERCOM_CONTACT_FIELDS:
            return key
    changed = False
    for key, value in body.items():
        if key == "custom_attributes" and isinstance(value, dict):
            attributes = record.setdefault("custom_attributes", {})
            changed |= any([_set(state, "intercom", record["id"], attributes, k, v) for k, v in value.items()])
        else:
            changed |= _set(state, "intercom", record["id"], record, key, value)
    if changed:
        now_ms = state.clock.now_ms()
        record["updated_at"] = now_ms // 1000
        state.stream("intercom", "contacts").touch(record["id"], now_ms)
    return None


INTERCOM_CREATE_FIELDS = INTERCOM_CONTACT_FIELDS | {"role", "external_id"}


def intercom_conflict(state: "SandboxState", body: dict[str, Any]) -> str | None:
    """The id of a contact already holding this email or external id (Intercom refuses a second one)."""
    email = str(body.get("email") or "").strip().lower()
    external = body.get("external_id")
    for record in state.stream("intercom", "contacts"):
        if (email and str(record.get("email") or "").lower() == email) or (
            external and record.get("external_id") == external
        ):
            return record["id"]
    return None


def intercom_contact_create(state: "SandboxState", body: dict[str, Any]) -> Record | str:
    """A new contact (role `user` unless `lead`); the new contact, or the attribute the sandbox does not take."""
    for key in body:
        if key not in INTERCOM_CREATE_FIELDS:
            return key
    now_ms = state.clock.now_ms()
    email = body.get("email") or None
    record = new_contact(
        hex_id(state.rng),
        "lead" if body.get("role") == "lead" else "user",
        body.get("name"),
        email,
        body.get("phone"),
        None,
        now_ms // 1000,
        now_ms // 1000,
        None,
    )
    record["external_id"] = body.get("external_id")
    attributes = {key: value for key, value in (body.get("custom_attributes") or {}).items() if value is not None}
    record["custom_attributes"] = attributes
    state.stream("intercom", "contacts").add(record["id"], record, now_ms)
    sent = {key: value for key, value in body.items() if key not in ("role", "custom_attributes")}
    log_created(state, "intercom", "contacts", record, record, {**sent, "custom_attributes": attributes})
    return record


def stripe_replay(call: Call, key: str | None) -> Reply | None:
    """The stored answer of an earlier request with this Idempotency-Key, as Stripe replays it."""
    if not key:
        return None
    stored = call.state.idempotent_replies.get(("stripe", key))
    if stored is None:
        return None
    return Reply(copy.deepcopy(stored), headers={"Idempotent-Replayed": "true"})


def stripe_remember(call: Call, key: str | None, body: Any) -> None:
    if key:
        call.state.idempotent_replies[("stripe", key)] = copy.deepcopy(body)


# --- QuickBooks ------------------------------------------------------------------------------------------------

QUICKBOOKS_CUSTOMER_FIELDS = {
    "DisplayName",
    "Title",
    "GivenName",
    "MiddleName",
    "FamilyName",
    "Suffix",
    "CompanyName",
    "PrintOnCheckName",
    "PrimaryEmailAddr",
    "PrimaryPhone",
    "AlternatePhone",
    "Mobile",
    "Fax",
    "WebAddr",
    "BillAddr",
    "ShipAddr",
    "Notes",
    "ResaleNum",
    "Active",
}
"""Customer fields a sparse update may set (Balance, MetaData and the other read-only fields are refused)."""


def quickbooks_customer_update(state: "SandboxState", record: Record, body: dict[str, Any]) -> str | None:
    """Apply a sparse Customer update (only the fields sent change); the first field it cannot set, or None.

    Nested objects (`AlternatePhone`, `WebAddr`, ...) are set key by key; every successful update increments the
    SyncToken and the last-updated time, as QuickBooks does."""
    fields = {key: value for key, value in body.items() if key not in ("Id", "SyncToken", "sparse", "domain")}
    for key in fields:
        if key not in QUICKBOOKS_CUSTOMER_FIELDS:
            return key
    for key, value in fields.items():
        if isinstance(value, dict):
            nested = dict(record.get(key) or {})
            for name, item in value.items():
                _set(state, "quickbooks", record["Id"], nested, name, item)
            if nested:
                record[key] = nested
            else:
                record.pop(key, None)
        else:
            _set(state, "quickbooks", record["Id"], record, key, value)
    now_ms = state.clock.now_ms()
    record["SyncToken"] = str(int(record.get("SyncToken") or 0) + 1)
    record["MetaData"] = {**record.get("MetaData", {}), "LastUpdatedTime": qbo_time(now_ms / 1000)}
    state.stream("quickbooks", "customers").touch(record["Id"], now_ms)
    return None
