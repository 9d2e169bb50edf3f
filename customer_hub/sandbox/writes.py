"""The vendors' update endpoints the hub's write-back uses: HubSpot object PATCH and batch update, Stripe customer
update (form-encoded, `metadata[...]`, Idempotency-Key replay), Intercom contact PUT and QuickBooks' sparse
Customer update (SyncToken check, `requestid` replay).

Each stored value that actually changes is appended to `SandboxState.write_log`, so a test can tell a change applied
once from one applied twice (a repeated HubSpot update changes nothing; a replayed Stripe request is not applied).
"""

import copy
import re
from typing import TYPE_CHECKING, Any

from customer_hub.sandbox.clock import qbo_time
from customer_hub.sandbox.events import emit_stripe_event
from customer_hub.sandbox.routing import Call, Reply
from customer_hub.sandbox.seeding.hubspot import stamp
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
