"""Intercom: contacts (users and leads) and conversations, the hub's source of support history.

Full reads page the list endpoints with `starting_after` cursors. Incremental reads use the search endpoints
filtered on `updated_at`, whose timestamp filters match by calendar day in the workspace's time zone: `>` starts
at the next midnight, not at the instant given. The query is therefore moved back by a day (plus an hour for a
25-hour daylight-saving day) beyond the configured overlap, and the extra records that come back are filtered out
client-side. Records updated while the search is being paged can appear on two pages; they are de-duplicated by
id, keeping the newest `updated_at`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from customer_hub.config import SyncConfig, SystemConfig
from customer_hub.spokes.base import ConnectorBase, Page, StreamRead, next_page
from customer_hub.spokes.canonical import canonical, join_keys, shared_key
from customer_hub.spokes.http import ToolResponseError, bearer_client
from customer_hub.timestamps import format_utc, from_epoch_seconds, iso_from_epoch_seconds, latest, parse_iso

log = logging.getLogger(__name__)

API_VERSION = "2.16"
"""The version of the vendor spec the hub is checked against; `settings.api_version` in hub.yaml overrides it."""
PAGE_SIZE = 150
"""Intercom's maximum page size for lists and searches: fewer requests against the per-minute budget."""
SEARCH_DAY_SLACK = timedelta(days=1, hours=1)
"""How far before the wanted instant a day-granular `>` filter must point so that instant's day is included."""

_ENDPOINTS = {"contacts": "/contacts", "conversations": "/conversations"}
_LIST_KEYS = {"contacts": "data", "conversations": "conversations"}


class IntercomConnector(ConnectorBase):
    """Reads Intercom contacts and conversations; a conversation is linked to the account of its contact."""

    tool = "intercom"
    objects = ("contacts", "conversations")

    def __init__(
        self,
        config: SystemConfig,
        sync: SyncConfig,
        credentials: Mapping[str, str],
        engine: Engine | None = None,
    ):
        self.sync = sync
        self.client = bearer_client(
            self.tool,
            config,
            sync,
            credentials,
            credential="access_token",
            default_env="INTERCOM_ACCESS_TOKEN",
            default_headers={"Intercom-Version": str(config.settings.get("api_version", API_VERSION))},
        )

    # --- reads -------------------------------------------------------------------------------------------------

    def read_full(self, obj: str) -> StreamRead:
        """Every contact or conversation via the list endpoint; the cursor is when the read began (the hub's clock).

        Not the newest `updated_at` seen: a record changed while the read pages, on a page already read, is older
        than a later page's newest change, and a cursor past it would never read that change.
        """
        path = self._path(obj)
        read = StreamRead(pages=iter(()), complete=True)
        started = datetime.now(UTC)

        def pages() -> Iterator[Page]:
            params: dict[str, Any] = {"per_page": PAGE_SIZE}
            while True:
                body = self.client.get_json(path, params=params)
                yield Page(self._records(obj, body, path))
                after = next_page(self.tool, f"GET {path}", params.get("starting_after"), _next_cursor(body))
                if not after:  # an empty page that names a next one is followed, not taken for the end
                    break
                params = {"per_page": PAGE_SIZE, "starting_after": after}
            read.cursor_after = format_utc(started.replace(microsecond=0), "seconds")  # Intercom keeps whole seconds

        read.pages = pages()
        return read

    def read_incremental(self, obj: str, cursor: str) -> StreamRead:
        """Records updated since `cursor` minus the overlap, via search; one page of de-duplicated records."""
        path = f"{self._path(obj)}/search"
        since = _parse_cursor(cursor) - timedelta(minutes=self.sync.overlap_minutes)
        query_value = int((since - SEARCH_DAY_SLACK).timestamp())
        read = StreamRead(pages=iter(()), complete=False)

        def pages() -> Iterator[Page]:
            # Buffered on purpose: a record seen on two pages must end up once, with its newest version.
            newest_by_id: dict[str, dict[str, Any]] = {}
            served = 0
            pagination: dict[str, Any] = {"per_page": PAGE_SIZE}
            while True:
                body = self.client.post_json(
                    path,
                    json={
                        "query": {"field": "updated_at", "operator": ">", "value": query_value},
                        "pagination": pagination,
                    },
                )
                records = self._records(obj, body, path)
                served += len(records)
                for record in records:
                    updated = self.source_updated_at(obj, record)
                    if updated is None or updated < since:
                        continue  # the day-granular filter let it through; it did not change since the cursor
                    key = self.source_id(obj, record)
                    kept = newest_by_id.get(key)
                    if kept is None or (self.source_updated_at(obj, kept) or since) <= updated:
                        newest_by_id[key] = record
                after = next_page(self.tool, f"POST {path}", pagination.get("starting_after"), _next_cursor(body))
                if not after:
                    break
                pagination = {"per_page": PAGE_SIZE, "starting_after": after}
            log.info(
                "intercom %s: search served %d records since the day before %s, %d changed since the cursor",
                obj,
                served,
                since.isoformat(),
                len(newest_by_id),
            )
            changed = list(newest_by_id.values())
            newest = latest(_parse_cursor(cursor), (self.source_updated_at(obj, r) for r in changed))
            yield Page(changed)
            read.cursor_after = format_utc(newest)

        read.pages = pages()
        return read

    def count(self, obj: str) -> int | None:
        """Intercom's own `total_count` of the list endpoint (one request of one record)."""
        body = self.client.get_json(self._path(obj), params={"per_page": 1})
        total = body.get("total_count") if isinstance(body, dict) else None
        return int(total) if isinstance(total, int) else None

    # --- mapping -----------------------------------------------------------------------------------------------

    def source_id(self, obj: str, payload: dict[str, Any]) -> str:
        return str(payload["id"])

    def source_updated_at(self, obj: str, payload: dict[str, Any]) -> datetime | None:
        return from_epoch_seconds(payload.get("updated_at"))

    def to_canonical(self, obj: str, payload: dict[str, Any]) -> dict[str, Any]:
        self._check(obj)
        return {"contacts": contact_to_canonical, "conversations": conversation_to_canonical}[obj](payload)

    # --- internals ---------------------------------------------------------------------------------------------

    def _path(self, obj: str) -> str:
        self._check(obj)
        return _ENDPOINTS[obj]

    def _records(self, obj: str, body: Any, path: str) -> list[dict[str, Any]]:
        """The records of a list or search page; a page without its list is malformed, not empty."""
        records = body.get(_LIST_KEYS[obj]) if isinstance(body, dict) else None
        if not isinstance(records, list):
            raise ToolResponseError(self.tool, path, f"page has no {_LIST_KEYS[obj]!r} list")
        return records


def contact_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """A contact is a person: name split into first/last (the full name kept), email, phone, first company. A contact
    attached to one Intercom company carries its key, so colleagues there share an account whatever their
    addresses; one attached to several (an agency working for clients) carries none, lest it join them."""
    full_name = (payload.get("name") or "").strip() or None
    first, last = _split_name(full_name)
    location = payload.get("location") or {}
    attached = payload.get("companies") or {}
    companies = attached.get("data") or []
    # Intercom's contact lists reference companies by id only; a name is used when the payload carries one.
    company_name = next((c.get("name") for c in companies if isinstance(c, dict) and c.get("name")), None)
    company_ids = [c["id"] for c in companies if isinstance(c, dict) and c.get("id")]
    one_company = len(company_ids) == 1 and (attached.get("total_count") or 1) == 1
    return canonical(
        first_name=first,
        last_name=last,
        full_name=full_name,
        email=payload.get("email") or None,
        phone=payload.get("phone") or None,
        company_name=company_name,
        city=location.get("city") or None,
        country=location.get("country") or None,
        shared_keys=join_keys(
            shared_key("intercom_contact", payload["id"]),
            shared_key("intercom_company", company_ids[0]) if one_company else None,
        ),
        role=payload.get("role"),
        external_id=payload.get("external_id"),
        created_at=iso_from_epoch_seconds(payload.get("created_at")),
        updated_at=iso_from_epoch_seconds(payload.get("updated_at")),
        last_seen_at=iso_from_epoch_seconds(payload.get("last_seen_at")),
        intercom_company_ids=company_ids,
    )


def conversation_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """A conversation names no person itself: it joins the account of its (first) contact.

    Group conversations can list several contacts; only the first, the customer who started it, is used as the
    link, so one conversation cannot pull two customers' records into one account.
    """
    contacts = (payload.get("contacts") or {}).get("contacts") or []
    contact_id = next((c.get("id") for c in contacts if isinstance(c, dict) and c.get("id")), None)
    company = payload.get("company") or {}
    statistics = payload.get("statistics") or {}
    replies = [statistics.get("last_contact_reply_at"), statistics.get("last_admin_reply_at")]
    last_activity = max((int(t) for t in replies if isinstance(t, int | float)), default=payload.get("updated_at"))
    return canonical(
        company_name=company.get("name") or None,
        shared_keys=join_keys(shared_key("intercom_contact", contact_id) if contact_id else None),
        is_account_only=True,
        intercom_contact_id=contact_id,
        state=payload.get("state") or ("open" if payload.get("open") else "closed"),
        title=payload.get("title"),
        created_at=iso_from_epoch_seconds(payload.get("created_at")),
        updated_at=iso_from_epoch_seconds(payload.get("updated_at")),
        last_conversation_at=iso_from_epoch_seconds(last_activity),
    )


def _split_name(full_name: str | None) -> tuple[str | None, str | None]:
    """'Ada King Lovelace' -> ('Ada', 'King Lovelace'); a single word is a first name."""
    if not full_name:
        return None, None
    first, _, last = full_name.partition(" ")
    return first or None, last.strip() or None


def _next_cursor(body: dict[str, Any]) -> str | None:
    pages = body.get("pages") or {}
    nxt = pages.get("next") if isinstance(pages, dict) else None
    return nxt.get("starting_after") if isinstance(nxt, dict) else None


def _parse_cursor(cursor: str) -> datetime:
    """The stored cursor: ISO 8601 (what this connector writes) or epoch seconds."""
    text = cursor.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    moment = parse_iso(text)
    if moment is None:
        raise ValueError(f"intercom cursor {cursor!r} is not a time; run the stream with mode=full to reset it")
    return moment
