"""Sending planned changes through each tool's API client (the shared HTTP layer: retries, Retry-After, pacing).

Every write here is safe to send twice, which is what lets the HTTP layer retry a timeout that came after the
vendor acted: HubSpot's and Intercom's updates set values (a repeat changes nothing), and Stripe's carries an
`Idempotency-Key`, so Stripe replays its first answer instead of applying the update again. A record the tool
refuses (gone, a property it does not have) is reported on its own and never stops the rest of the batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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


WRITERS: dict[str, tuple[Writer, bool]] = {
    "hubspot": (hubspot, True),
    "stripe": (_each(_stripe_update), False),
    "intercom": (_each(_intercom_update), False),
}
"""tool -> (writer, whether it sends a whole batch in one request)."""
