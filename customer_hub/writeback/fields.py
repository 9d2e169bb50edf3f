"""Where each tool keeps a written field in the payload the hub lands, and how values compare.

The planner compares the golden value with the value last landed from the tool; this module reads that value out
of the landed payload (HubSpot `properties`, Stripe `metadata[...]`, Intercom `custom_attributes[...]`). A field
the connector does not read (a HubSpot property outside its property list) is *unknown*, and the planner falls
back to the write ledger for it. QuickBooks leaves empty fields out of the entity (and the connector reads whole
entities), so a field missing from a QuickBooks payload is empty, not unknown.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

UNKNOWN = object()
"""The landed payload does not carry the field: only the ledger knows what the tool holds."""

VOLATILE: dict[str, tuple[tuple[str, ...], ...]] = {
    "hubspot": (("properties", "lastmodifieddate"), ("properties", "hs_lastmodifieddate"), ("updatedAt",)),
    "stripe": (),
    "intercom": (("updated_at",),),
    "quickbooks": (("SyncToken",), ("MetaData", "LastUpdatedTime")),
}
"""Payload paths a tool changes on every write: the hub's own write changes them and nothing else."""

OMITS_EMPTY = ("quickbooks",)
"""Tools whose payloads leave empty fields out: a missing field is empty."""
_NESTED = re.compile(r"^(\w+)\[(.+)\]$")


def path_of(tool: str, field: str) -> tuple[str, ...]:
    """The payload path of a tool field: `metadata[plan]` -> (metadata, plan); HubSpot fields sit in properties."""
    nested = _NESTED.match(field)
    parts = (nested.group(1), nested.group(2)) if nested else (field,)
    return ("properties", *parts) if tool == "hubspot" else parts


def landed_value(tool: str, payload: Mapping[str, Any], field: str) -> Any:
    """The field's value in a landed payload as text (None when empty), or UNKNOWN when the payload lacks it."""
    node: Any = payload
    path = path_of(tool, field)
    for depth, part in enumerate(path):
        if not isinstance(node, Mapping):
            return UNKNOWN
        if part not in node:
            if tool in OMITS_EMPTY:
                return None
            # a present container without the key (Stripe metadata without it) means the tool holds nothing
            return None if depth == len(path) - 1 and depth > (tool == "hubspot") else UNKNOWN
        node = node[part]
    return as_text(node)


def read_value(tool: str, field: str, found: bool, value: Any, parent: str | None) -> Any:
    """`landed_value` from what the database read of a payload (`writeback_store.landed_values`): whether the
    field's path exists, its value, and for a nested field the kind of its container ("object", another JSON kind,
    or None when missing). Planning then never loads whole payloads into Python."""
    path = path_of(tool, field)
    if found:
        return as_text(value)
    if tool in OMITS_EMPTY and (len(path) == 1 or parent in (None, "object")):
        return None
    if len(path) == 2 and parent == "object" and tool != "hubspot":
        return None  # a present container without the key (Stripe metadata without it): the tool holds nothing
    return UNKNOWN


def as_text(value: Any) -> str | None:
    """Values as the tools store them (text), so 1990.0 from the golden record equals "1990" from HubSpot."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def echo_hash(tool: str, payload: Mapping[str, Any], fields: Iterable[str]) -> str:
    """A hash of the payload without the written fields and the tool's modification stamps: equal before and after
    a write exactly when the write was the only change."""
    stripped = json.loads(json.dumps(payload, default=str))
    for path in [path_of(tool, field) for field in fields] + list(VOLATILE.get(tool, ())):
        node = stripped
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
            if tool in OMITS_EMPTY and len(path) == 2 and not node:
                stripped.pop(path[0], None)  # QuickBooks leaves an emptied object (AlternatePhone) out
    if isinstance(stripped.get("metadata"), dict) and not stripped["metadata"]:
        stripped.pop("metadata")  # Stripe shows {} once its last key is gone
    text = json.dumps(stripped, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
