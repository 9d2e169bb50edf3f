"""Sending planned changes through each tool's API client (the shared HTTP layer: retries, Retry-After, pacing).

Every write here is safe to send twice, which is what lets the HTTP layer retry a timeout that came after the
vendor acted: HubSpot's and Intercom's updates set values (a repeat changes nothing), Stripe's carries an
`Idempotency-Key` and QuickBooks' a `requestid`, so those two replay their first answer instead of applying the
update again. A record the tool refuses (gone, a property it does not have) is reported on its own and never stops
the rest of the batch.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from customer_hub.spokes.http import ApiClient, ToolAuthError, ToolError, ToolNotFoundError, ToolRequestError

_NESTED = re.compile(r"^(\w+)\[(.+)\]$")


@dataclass(frozen=True)
class RecordWrite:
    """The new values of one record's fields, sent as one request (or one input of a batch)."""

    source_id: str
    values: dict[str, str | None]
    idempotency_key: str
    landed: Mapping[str, Any] | None = None
    """The payload last landed from the tool (QuickBooks reads the record's SyncToken from it)."""


@dataclass(frozen=True)
class Outcome:
    source_id: str
    ok: bool
    error: str | None = None


Writer = Callable[[ApiClient, str, list[RecordWrite]], list[Outcome]]


def _each(send: Callable[[ApiClient, str, RecordWrite], None]) -> Writer:
    """A writer for a tool without batch updates: one request per record, each refusal kept to its record."""

    def write(client: ApiClient, obj: str, writes: list[RecordWrite]) -> list[Outcome]:
        outcomes = []
        for record in writes:
            try:
                send(client, obj, record)
            except ToolAuthError:
                raise  # a missing scope fails every record the same way: stop and say which
            except ToolError as error:
                outcomes.append(Outcome(record.source_id, False, str(error)))
            else:
                outcomes.append(Outcome(record.source_id, True))
        return outcomes

    return write


def _hubspot_properties(record: RecordWrite) -> dict[str, str]:
    return {name: value if value is not None else "" for name, value in record.values.items()}


def _hubspot_patch(client: ApiClient, obj: str, record: RecordWrite) -> None:
    client.request(
        "PATCH", f"/crm/v3/objects/{obj}/{record.source_id}", json={"properties": _hubspot_properties(record)}
    )


def hubspot(client: ApiClient, obj: str, writes: list[RecordWrite]) -> list[Outcome]:
    """HubSpot batch update (up to 100 inputs). A batch HubSpot refuses as a whole (one bad input fails it) is
    re-sent record by record, so only the bad record is rejected; per-record errors of a 207 are mapped back."""
    body = {"inputs": [{"id": record.source_id, "properties": _hubspot_properties(record)} for record in writes]}
    try:
        answer = client.post_json(f"/crm/v3/objects/{obj}/batch/update", json=body) or {}
    except (ToolRequestError, ToolNotFoundError) as error:
        if len(writes) == 1:
            return [Outcome(writes[0].source_id, False, str(error))]
        return _each(_hubspot_patch)(client, obj, writes)
    except ToolAuthError:
        raise
    except ToolError as error:
        return [Outcome(record.source_id, False, str(error)) for record in writes]
    failed: dict[str, str] = {}
    for error in answer.get("errors") or []:
        for source_id in (error.get("context") or {}).get("ids") or []:
            failed[str(source_id)] = f"hubspot: {error.get('category')}: {error.get('message')}"
    return [
        Outcome(record.source_id, record.source_id not in failed, failed.get(record.source_id)) for record in writes
    ]


def _stripe_update(client: ApiClient, obj: str, record: RecordWrite) -> None:
    form = {name: value if value is not None else "" for name, value in record.values.items()}
    client.post_json(f"/v1/{obj}/{record.source_id}", data=form, headers={"Idempotency-Key": record.idempotency_key})


def _intercom_update(client: ApiClient, obj: str, record: RecordWrite) -> None:
    body: dict[str, Any] = {}
    for name, value in record.values.items():
        nested = _NESTED.match(name)
        if nested:
            body.setdefault(nested.group(1), {})[nested.group(2)] = value
        else:
            body[name] = value
    client.request("PUT", f"/{obj}/{record.source_id}", json=body)


QUICKBOOKS_ENTITIES = {"customers": "customer"}
QUICKBOOKS_STALE = "5010"
"""QuickBooks' "Stale Object Error": the SyncToken sent is not the entity's current one."""


def _quickbooks_company(client: ApiClient) -> str:
    realm = str(client.context.get("realm_id") or "")
    if not realm:
        env = client.context.get("realm_env", "QUICKBOOKS_REALM_ID")
        raise ToolNotFoundError("quickbooks", "/v3/company/<realm>", f"{env} is empty", setting_hint=env)
    return f"/v3/company/{realm}"


def quickbooks_request_ids(idempotency_key: str) -> tuple[str, str]:
    """The `requestid` of the first attempt and of the one retry after a stale SyncToken: both derived from the
    ledger's idempotency key (QuickBooks takes at most 50 characters), so a re-run of a pending change sends the
    same ids and QuickBooks replays what it already applied instead of applying it again."""
    retry = hashlib.sha256(f"{idempotency_key}:stale-retry".encode()).hexdigest()[:48]
    return idempotency_key[:48], retry


def quickbooks_body(values: Mapping[str, str | None]) -> dict[str, Any]:
    """A sparse update's fields: `Notes` as is, `WebAddr[URI]` as {"WebAddr": {"URI": ...}}; empty clears."""
    body: dict[str, Any] = {}
    for name, value in values.items():
        text = value if value is not None else ""
        nested = _NESTED.match(name)
        if nested:
            body.setdefault(nested.group(1), {})[nested.group(2)] = text
        else:
            body[name] = text
    return body


def _quickbooks_update(client: ApiClient, obj: str, record: RecordWrite) -> None:
    """A sparse update (only the fields sent change) at the SyncToken last landed, or read now when the payload has
    none. A stale SyncToken (someone edited the customer since the sync) re-reads the customer and retries once."""
    company = _quickbooks_company(client)
    entity = QUICKBOOKS_ENTITIES[obj]
    params = {"minorversion": client.context.get("minor_version", 75)}
    hint = client.context.get("realm_env")
    token = (record.landed or {}).get("SyncToken")
    if token is None:
        token = _quickbooks_sync_token(client, company, entity, record.source_id, params, hint)
    first, retry = quickbooks_request_ids(record.idempotency_key)
    for request_id in (first, retry):
        body = {"Id": record.source_id, "SyncToken": str(token), "sparse": True, **quickbooks_body(record.values)}
        try:
            client.post_json(
                f"{company}/{entity}", json=body, params={**params, "requestid": request_id}, setting_hint=hint
            )
            return
        except ToolRequestError as error:
            if request_id == retry or not _is_stale(error):
                raise
            token = _quickbooks_sync_token(client, company, entity, record.source_id, params, hint)


def _quickbooks_sync_token(
    client: ApiClient, company: str, entity: str, source_id: str, params: dict[str, Any], hint: str | None
) -> str:
    answer = client.get_json(f"{company}/{entity}/{source_id}", params=params, setting_hint=hint) or {}
    current = answer.get(entity.capitalize()) if isinstance(answer, dict) else None
    if not isinstance(current, dict) or current.get("SyncToken") is None:
        raise ToolRequestError("quickbooks", f"GET {company}/{entity}/{source_id}", "answer has no SyncToken")
    return str(current["SyncToken"])


def _is_stale(error: ToolRequestError) -> bool:
    return error.status == 400 and ("stale object" in error.message.lower() or QUICKBOOKS_STALE in error.message)


WRITERS: dict[str, tuple[Writer, bool]] = {
    "hubspot": (hubspot, True),
    "stripe": (_each(_stripe_update), False),
    "intercom": (_each(_intercom_update), False),
    "quickbooks": (_each(_quickbooks_update), False),
}
"""tool -> (writer, whether it sends a whole batch in one request)."""
