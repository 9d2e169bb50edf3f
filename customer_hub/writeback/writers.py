"""Sending planned changes through each tool's API client (the shared HTTP layer: retries, Retry-After, pacing).

Every update here is safe to send twice, which is what lets the HTTP layer retry a timeout that came after the
vendor acted: HubSpot's and Intercom's updates set values (a repeat changes nothing), Stripe's carries an
`Idempotency-Key` and QuickBooks' a `requestid`, so those two replay their first answer instead of applying the
update again. A record the tool refuses (gone, a property it does not have) is reported on its own and never stops
the rest of the batch.

Creates (an upsert target's new records) are not safe to repeat where the tool has no idempotency key: HubSpot and
Intercom creates are sent once, and after a lost answer (a timeout or a 5xx that may have come after the tool
created the record) the writer first looks the golden id up in the tool, and creates only what it does not find.
A conflict (the email is taken) whose existing record carries the same golden id is that earlier create. Stripe
creates carry an `Idempotency-Key`, QuickBooks' a `requestid`: their retries replay the first answer. A create
whose outcome stays unknown is reported as such, and the next run looks for it before creating it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from customer_hub.spokes.http import ApiClient, ToolAuthError, ToolError, ToolNotFoundError, ToolRequestError
from customer_hub.writeback.fields import path_of

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


def nested_body(values: Mapping[str, str | None]) -> dict[str, Any]:
    """Fields as a JSON body: `custom_attributes[plan]` as {"custom_attributes": {"plan": ...}}, `WebAddr[URI]` as
    {"WebAddr": {"URI": ...}}, plain names as they are."""
    body: dict[str, Any] = {}
    for name, value in values.items():
        nested = _NESTED.match(name)
        if nested:
            body.setdefault(nested.group(1), {})[nested.group(2)] = value
        else:
            body[name] = value
    return body


def _intercom_update(client: ApiClient, obj: str, record: RecordWrite) -> None:
    client.request("PUT", f"/{obj}/{record.source_id}", json=nested_body(record.values))


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
    return nested_body({name: value if value is not None else "" for name, value in values.items()})


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


# --- creates (upsert targets) ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordCreate:
    """One record to create: its values (tool field -> value, the golden id among them) and its key."""

    golden_id: str
    values: dict[str, str]
    idempotency_key: str
    golden_id_field: str
    resend: bool = False
    """Sent before without an answer seen: look for it before creating."""


@dataclass(frozen=True)
class Created:
    golden_id: str
    status: str  # applied (source_id is the record's id), rejected (the tool refused), unknown (answer lost)
    source_id: str | None = None
    error: str | None = None


Creator = Callable[[ApiClient, str, list[RecordCreate]], list[Created]]
Finder = Callable[[ApiClient, str, str, list[str]], dict[str, str]]
"""(client, object, golden id field, golden ids) -> golden id -> id of the record carrying it."""
Sender = Callable[[ApiClient, str, list[RecordCreate]], dict[str, Created]]
"""Creates records; raises a ToolError (not ToolRequestError) when the answer was lost: they may exist now."""


def _create_looking_first(finder: Finder, sender: Sender) -> Creator:
    """A creator for a tool without idempotency keys: look up what an earlier, unanswered attempt may have created
    (by golden id), create the rest, and after a lost answer look again before re-sending."""

    def create(client: ApiClient, obj: str, creates: list[RecordCreate]) -> list[Created]:
        results: dict[str, Created] = {}
        todo, look, lost = list(creates), any(c.resend for c in creates), None
        field = creates[0].golden_id_field if creates else ""
        for attempt in range(client.settings.max_retries + 1):
            if look:
                try:
                    found = finder(client, obj, field, [c.golden_id for c in todo])
                except ToolAuthError:
                    raise
                except ToolError as error:
                    lost = error
                    break  # cannot tell what exists: create nothing more
                results.update({g: Created(g, "applied", source_id) for g, source_id in found.items()})
                todo = [c for c in todo if c.golden_id not in results]
            if not todo:
                break
            try:
                results.update(sender(client, obj, todo))
            except ToolAuthError:
                raise
            except (ToolRequestError, ToolNotFoundError) as error:  # refused: nothing was created
                results.update({c.golden_id: Created(c.golden_id, "rejected", error=str(error)) for c in todo})
            except ToolError as error:
                lost = error
                client.pause_before_retry(attempt)
            todo = [c for c in todo if c.golden_id not in results]
            look = bool(todo)
        for c in todo:
            reason = f"the answer was lost ({lost}); the next run looks for the record before creating it"
            results[c.golden_id] = Created(c.golden_id, "unknown", error=reason)
        return [results[c.golden_id] for c in creates]

    return create


def _value_at(record: Any, tool: str, field: str) -> Any:
    """A tool field's value in a record as the API returns it (HubSpot `properties`, `custom_attributes[...]`)."""
    for part in path_of(tool, field):
        record = record.get(part) if isinstance(record, Mapping) else None
    return record


def _hubspot_find(client: ApiClient, obj: str, field: str, golden_ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(golden_ids), 100):  # HubSpot takes at most 100 values in one IN filter
        after = "0"
        while after is not None:
            body = {
                "filterGroups": [
                    {"filters": [{"propertyName": field, "operator": "IN", "values": golden_ids[start : start + 100]}]}
                ],
                "properties": [field],
                "sorts": [],
                "limit": 200,
                "after": after,
            }
            answer = client.post_json(f"/crm/v3/objects/{obj}/search", json=body) or {}
            for record in answer.get("results") or []:
                found.setdefault(str(_value_at(record, "hubspot", field)), str(record["id"]))
            after = ((answer.get("paging") or {}).get("next") or {}).get("after")
    return found


_EXISTING_ID = re.compile(r"(?:Existing ID: |already exists with id=)(\w+)")


def _conflict_is_ours(
    client: ApiClient, path: str, tool: str, field: str, create: RecordCreate, error: ToolError
) -> str | None:
    """The id in a conflict's message when that record carries this golden id (an earlier create of ours whose
    answer was lost, not yet visible to search), else None."""
    match = _EXISTING_ID.search(error.message)
    if error.status != 409 or match is None:
        return None
    params = {"properties": field} if tool == "hubspot" else None
    try:
        record = client.get_json(f"{path}/{match.group(1)}", params=params)
    except ToolAuthError:
        raise
    except ToolError:
        return None  # cannot tell: the conflict stands as a refusal
    return match.group(1) if _value_at(record, tool, field) == create.golden_id else None


def _hubspot_create_one(client: ApiClient, obj: str, create: RecordCreate) -> Created:
    body = {"properties": dict(create.values), "associations": []}
    try:
        answer = client.post_json(f"/crm/v3/objects/{obj}", json=body, idempotent=False) or {}
    except (ToolRequestError, ToolNotFoundError) as error:
        ours = _conflict_is_ours(client, f"/crm/v3/objects/{obj}", "hubspot", create.golden_id_field, create, error)
        if ours:
            return Created(create.golden_id, "applied", ours)
        return Created(create.golden_id, "rejected", error=str(error))
    return Created(create.golden_id, "applied", str(answer["id"]))


def _hubspot_send(client: ApiClient, obj: str, creates: list[RecordCreate]) -> dict[str, Created]:
    """HubSpot batch create (up to 100). A batch refused as a whole (one taken email fails it) is sent record by
    record, so only the refused record is rejected; results are matched back by the golden id they carry."""
    body = {
        "inputs": [
            {"properties": dict(c.values), "associations": [], "objectWriteTraceId": c.idempotency_key} for c in creates
        ]
    }
    try:
        answer = client.post_json(f"/crm/v3/objects/{obj}/batch/create", json=body, idempotent=False) or {}
    except (ToolRequestError, ToolNotFoundError):
        results: dict[str, Created] = {}
        for create in creates:
            try:
                results[create.golden_id] = _hubspot_create_one(client, obj, create)
            except ToolAuthError:
                raise
            except ToolError:
                pass  # answer lost: looked up before the next attempt
        return results
    field = creates[0].golden_id_field
    ids = {str(_value_at(r, "hubspot", field)): str(r["id"]) for r in answer.get("results") or []}
    return {c.golden_id: Created(c.golden_id, "applied", ids[c.golden_id]) for c in creates if c.golden_id in ids}


def _intercom_find(client: ApiClient, obj: str, field: str, golden_ids: list[str]) -> dict[str, str]:
    attribute = ".".join(path_of("intercom", field))  # custom_attributes[golden_customer_id] -> custom_attributes.x
    found: dict[str, str] = {}
    for start in range(0, len(golden_ids), 100):
        query = {"field": attribute, "operator": "IN", "value": golden_ids[start : start + 100]}
        body: dict[str, Any] = {"query": query, "pagination": {"per_page": 150}}
        while True:
            answer = client.post_json(f"/{obj}/search", json=body) or {}
            for record in answer.get("data") or []:
                found.setdefault(str(_value_at(record, "intercom", field)), str(record["id"]))
            after = (((answer.get("pages") or {}).get("next")) or {}).get("starting_after")
            if not after:
                break
            body["pagination"] = {"per_page": 150, "starting_after": after}
    return found


def _intercom_send(client: ApiClient, obj: str, creates: list[RecordCreate]) -> dict[str, Created]:
    """Intercom has no batch create: one POST per contact (role user); a lost answer ends the round here, so the
    records not yet sent are sent after the lookup."""
    results: dict[str, Created] = {}
    for create in creates:
        body = {"role": "user", **nested_body(create.values)}
        try:
            answer = client.post_json(f"/{obj}", json=body, idempotent=False) or {}
        except (ToolRequestError, ToolNotFoundError) as error:
            ours = _conflict_is_ours(client, f"/{obj}", "intercom", create.golden_id_field, create, error)
            refused = Created(create.golden_id, "rejected", error=str(error))
            results[create.golden_id] = Created(create.golden_id, "applied", ours) if ours else refused
            continue
        except ToolAuthError:
            raise
        except ToolError:
            if results:
                return results  # the rest after the lookup of this one
            raise
        results[create.golden_id] = Created(create.golden_id, "applied", str(answer["id"]))
    return results


def _keyed_each(send: Callable[[ApiClient, str, RecordCreate], str]) -> Creator:
    """A creator for a tool with idempotency keys: one request per record, retried by the HTTP layer (the tool
    replays its first answer). A refusal is the record's alone; a lost answer leaves it unknown (pending)."""

    def create(client: ApiClient, obj: str, creates: list[RecordCreate]) -> list[Created]:
        results = []
        for record in creates:
            try:
                results.append(Created(record.golden_id, "applied", send(client, obj, record)))
            except ToolAuthError:
                raise
            except (ToolRequestError, ToolNotFoundError) as error:
                results.append(Created(record.golden_id, "rejected", error=str(error)))
            except ToolError as error:
                results.append(Created(record.golden_id, "unknown", error=str(error)))
        return results

    return create


def _stripe_create(client: ApiClient, obj: str, record: RecordCreate) -> str:
    answer = client.post_json(
        f"/v1/{obj}", data=dict(record.values), headers={"Idempotency-Key": record.idempotency_key}
    )
    return str(answer["id"])


def _quickbooks_create(client: ApiClient, obj: str, record: RecordCreate) -> str:
    company = _quickbooks_company(client)
    entity = QUICKBOOKS_ENTITIES[obj]
    params = {"minorversion": client.context.get("minor_version", 75), "requestid": record.idempotency_key[:48]}
    answer = client.post_json(f"{company}/{entity}", json=quickbooks_body(record.values), params=params,
                              setting_hint=client.context.get("realm_env"))  # fmt: skip
    return str(answer[entity.capitalize()]["Id"])


CREATORS: dict[str, tuple[Creator, bool]] = {
    "hubspot": (_create_looking_first(_hubspot_find, _hubspot_send), True),
    "stripe": (_keyed_each(_stripe_create), False),
    "intercom": (_create_looking_first(_intercom_find, _intercom_send), False),
    "quickbooks": (_keyed_each(_quickbooks_create), False),
}
"""tool -> (creator, whether it creates a whole batch in one request)."""
