"""HubSpot CRM: contacts, companies and deals with their associations; the hub's source of names and companies.

Full reads page `GET /crm/v3/objects/{type}` with `after`, asking for an explicit property list. Incremental reads
use `POST /crm/v3/objects/{type}/search` on the last-modified property, sorted by it and then by `hs_object_id`.
Search serves at most 10,000 results per query, so before that cap the read restarts the query after the last
record it saw: modified later, or at the same moment with a greater id (a keyset, not an offset, so any number of
records sharing one timestamp are read). The cursor is the time the read started, on the hub's clock; the overlap
window absorbs clock skew and search-index lag. Associations are read for each page, whichever way it was read,
with the v4 associations batch endpoint, paged per record (v3 and the list endpoint stop at 100 per record), and
put into the payload in one shape: a record then hashes the same whichever way it was read, and a re-read is
"unchanged".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from customer_hub.config import SyncConfig, SystemConfig
from customer_hub.spokes.base import ConnectorBase, IdListing, Page, StreamRead, next_page
from customer_hub.spokes.canonical import canonical, join_keys, shared_key
from customer_hub.spokes.http import ToolNotFoundError, ToolResponseError, bearer_client
from customer_hub.timestamps import format_utc, parse_iso_or_epoch_ms

log = logging.getLogger(__name__)

SEARCH_RESULT_CAP = 10_000
"""HubSpot search stops paging at this many results for one query. `settings.search_result_cap` lowers it: only the
tests do, so a few dozen records exercise the same restart path that 10,000 records sharing a timestamp take."""
OBJECT_ID_PROPERTY = "hs_object_id"
MAX_PAGE_SIZE = 100
"""The list endpoints serve at most 100 records per page."""

PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": (
        "firstname", "lastname", "email", "phone", "mobilephone", "company", "website", "jobtitle",
        "address", "city", "zip", "state", "country", "lifecyclestage", "createdate", "lastmodifieddate",
    ),
    "companies": (
        "name", "domain", "website", "phone", "address", "city", "zip", "state", "country", "industry",
        "numberofemployees", "lifecyclestage", "createdate", "hs_lastmodifieddate",
    ),
    "deals": (
        "dealname", "amount", "dealstage", "pipeline", "closedate", "createdate", "hs_lastmodifieddate",
    ),
}  # fmt: skip
"""Asked for explicitly: HubSpot otherwise returns a small default set that lacks most of these."""

ASSOCIATIONS: dict[str, tuple[str, ...]] = {
    "contacts": ("companies",),
    "companies": (),
    "deals": ("companies", "contacts"),
}
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}
MERGED_PROPERTY = "hs_merged_object_ids"
"""Ids of the records merged into this one (`;`-separated)."""
CLOSED_WON_STAGE = "closedwon"
NO_ASSOCIATIONS = "crm.associations.NO_ASSOCIATIONS_FOUND"
"""The per-id error of an associations batch read for a record that simply has none of the asked type."""


class HubSpotConnector(ConnectorBase):
    """Reads HubSpot contacts, companies and deals; also serves the closed-won deal lookups of the automation."""

    tool = "hubspot"
    objects = ("contacts", "companies", "deals")

    def __init__(
        self,
        config: SystemConfig,
        sync: SyncConfig,
        credentials: Mapping[str, str],
        engine: Engine | None = None,
    ):
        self.sync = sync
        self.page_size = min(sync.page_size, MAX_PAGE_SIZE)
        self.search_result_cap = int(config.settings.get("search_result_cap", SEARCH_RESULT_CAP))
        self.client = bearer_client(
            self.tool,
            config,
            sync,
            credentials,
            credential="access_token",
            default_env="HUBSPOT_ACCESS_TOKEN",
        )
        self._association_batch_missing = False

    # --- reads -------------------------------------------------------------------------------------------------

    def read_full(self, obj: str) -> StreamRead:
        """Every live record via the list endpoint; the cursor is when the read started."""
        self._check(obj)
        read = StreamRead(pages=iter(()), complete=True)
        started = datetime.now(UTC)

        def pages() -> Iterator[Page]:
            after: str | None = None
            while True:
                params: dict[str, Any] = {
                    "limit": self.page_size,
                    "properties": ",".join(PROPERTIES[obj]),
                    "archived": "false",
                }
                if after:
                    params["after"] = after
                body = self.client.get_json(f"/crm/v3/objects/{obj}", params=params)
                records = _results(body, obj)
                yield Page(self._with_associations(obj, records) if records else [])
                after = next_page(self.tool, f"GET /crm/v3/objects/{obj}", after, _next_after(body))
                if not after:
                    break
            read.cursor_after = format_utc(started, "milliseconds")

        read.pages = pages()
        return read

    def read_incremental(self, obj: str, cursor: str) -> StreamRead:
        """Records modified since the cursor minus the overlap, via search in time windows of < 10,000 results."""
        self._check(obj)
        since = _parse(cursor) - timedelta(minutes=self.sync.overlap_minutes)
        read = StreamRead(pages=iter(()), complete=False)
        started = datetime.now(UTC)

        def pages() -> Iterator[Page]:
            for records in self._search_windows(obj, since):
                yield Page(records)
            read.cursor_after = format_utc(started, "milliseconds")

        read.pages = pages()
        return read

    def list_ids(self, obj: str) -> IdListing:
        """Every id, live and archived, for the reconciliation pass: the list endpoint asked for one property only.

        HubSpot keeps deleted records in an archive (`archived=true`), and a merge leaves no archived record at all:
        the merged-away id only shows in the survivor's `hs_merged_object_ids` (`;`-separated), which is how the
        hub learns what was merged into what.
        """
        self._check(obj)
        listing = IdListing()
        for archived in (False, True):
            after: str | None = None
            while True:
                params: dict[str, Any] = {
                    "limit": self.page_size,
                    "properties": MERGED_PROPERTY,
                    "archived": str(archived).lower(),
                }
                if after:
                    params["after"] = after
                body = self.client.get_json(f"/crm/v3/objects/{obj}", params=params)
                records = _results(body, obj)
                for record in records:
                    record_id = str(record["id"])
                    if archived:
                        listing.archived.add(record_id)
                        continue
                    listing.ids.add(record_id)
                    merged = str((record.get("properties") or {}).get(MERGED_PROPERTY) or "")
                    listing.merged.update({item.strip(): record_id for item in merged.split(";") if item.strip()})
                after = next_page(self.tool, f"GET /crm/v3/objects/{obj}", after, _next_after(body))
                if not after:
                    break
        return listing

    def count(self, obj: str) -> int | None:
        """The `total` of an unfiltered search (one request of one record)."""
        self._check(obj)
        body = self.client.post_json(f"/crm/v3/objects/{obj}/search", json=self._search_body(obj, [], limit=1))
        total = body.get("total") if isinstance(body, dict) else None
        return int(total) if isinstance(total, int) else None

    # --- lookups for the automation ----------------------------------------------------------------------------

    def closed_won_deals(self, since: datetime | None) -> list[dict[str, Any]]:
        """Deals in the closed-won stage modified since `since` (all of them when None), oldest change first."""
        filters = [{"propertyName": "dealstage", "operator": "EQ", "value": CLOSED_WON_STAGE}]
        deals: dict[str, dict[str, Any]] = {}
        for records in self._search_windows("deals", since, extra_filters=filters):
            for record in records:
                deals[record["id"]] = record
        return list(deals.values())

    def get_deal(self, deal_id: str) -> dict[str, Any]:
        return self._get_one("deals", deal_id)

    def get_company(self, company_id: str) -> dict[str, Any]:
        return self._get_one("companies", company_id)

    # --- mapping -----------------------------------------------------------------------------------------------

    def source_id(self, obj: str, payload: dict[str, Any]) -> str:
        return str(payload["id"])

    def source_updated_at(self, obj: str, payload: dict[str, Any]) -> datetime | None:
        properties = payload.get("properties") or {}
        return parse_iso_or_epoch_ms(payload.get("updatedAt") or properties.get(MODIFIED_PROPERTY[obj]))

    def to_canonical(self, obj: str, payload: dict[str, Any]) -> dict[str, Any]:
        self._check(obj)
        return {"contacts": contact_to_canonical, "companies": company_to_canonical, "deals": deal_to_canonical}[obj](
            payload
        )

    # --- internals ---------------------------------------------------------------------------------------------

    def _get_one(self, obj: str, object_id: str) -> dict[str, Any]:
        params: dict[str, Any] = {"properties": ",".join(PROPERTIES[obj])}
        if ASSOCIATIONS[obj]:
            params["associations"] = ",".join(ASSOCIATIONS[obj])
        body = self.client.get_json(f"/crm/v3/objects/{obj}/{object_id}", params=params)
        if not isinstance(body, dict) or "id" not in body:
            raise ToolResponseError(self.tool, f"GET /crm/v3/objects/{obj}/{{id}}", "response has no record id")
        return self._normalise_associations(obj, body)

    def _search_body(
        self, obj: str, filter_groups: list[list[dict[str, Any]]], *, limit: int, after: str = "0"
    ) -> dict[str, Any]:
        return {
            "filterGroups": [{"filters": filters} for filters in filter_groups if filters],
            "sorts": [
                {"propertyName": MODIFIED_PROPERTY[obj], "direction": "ASCENDING"},
                {"propertyName": OBJECT_ID_PROPERTY, "direction": "ASCENDING"},
            ],
            "properties": list(PROPERTIES[obj]),
            "limit": limit,
            "after": after,
        }

    def _search_windows(
        self, obj: str, since: datetime | None, *, extra_filters: Iterable[dict[str, Any]] = ()
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of a modified-since search in windows under the result cap, ordered by (modified time, id).

        Each window restarts after the last record served: modified later than it, or modified at the same moment
        with a greater `hs_object_id` (two filter groups, ORed). The id breaks ties, so even more than a cap's worth
        of records sharing one modification time (a bulk import, a workflow touching every record) are paged through.
        """
        path = f"/crm/v3/objects/{obj}/search"
        modified = MODIFIED_PROPERTY[obj]
        extra = list(extra_filters)
        groups = [extra + ([{"propertyName": modified, "operator": "GTE", "value": _millis(since)}] if since else [])]
        while True:
            after = "0"
            served = 0
            last: dict[str, Any] | None = None
            while True:
                body = self.client.post_json(
                    path, json=self._search_body(obj, groups, limit=self.page_size, after=after)
                )
                records = _results(body, obj)
                served += len(records)
                if records:
                    last = records[-1]
                    yield self._with_associations(obj, records)
                after = next_page(self.tool, f"POST {path}", after, _next_after(body))
                if not after:
                    return
                if served + self.page_size > self.search_result_cap:
                    break
            if last is None:
                return
            moment = _millis(
                parse_iso_or_epoch_ms((last.get("properties") or {}).get(modified))
                or self.source_updated_at(obj, last)
                or datetime.fromtimestamp(0, UTC)
            )
            log.info("hubspot %s: search reached %d results, restarting after record %s", obj, served, last["id"])
            groups = [
                extra + [{"propertyName": modified, "operator": "GT", "value": moment}],
                extra
                + [
                    {"propertyName": modified, "operator": "EQ", "value": moment},
                    {"propertyName": OBJECT_ID_PROPERTY, "operator": "GT", "value": str(last["id"])},
                ],
            ]

    def _with_associations(self, obj: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Records plus their associations, read in one paged batch per association type.

        Where the associations batch endpoint is missing (404), each record's associations are read with the
        single-record endpoint instead: slower, but the payload is complete either way.
        """
        records = [dict(record) for record in records]
        ids = [str(record["id"]) for record in records]
        associated: dict[str, dict[str, list[dict[str, str]]]] = {}
        if ASSOCIATIONS[obj] and not self._association_batch_missing:
            try:
                associated = self._batch_associations(obj, ids)
            except ToolNotFoundError:
                log.warning(
                    "hubspot: the associations batch endpoint answered 404; reading associations record by record"
                )
                self._association_batch_missing = True
        if ASSOCIATIONS[obj] and self._association_batch_missing:
            for record_id in ids:
                single = self._get_one(obj, record_id)
                associated[record_id] = {kind: value["results"] for kind, value in single["associations"].items()}
        if not ASSOCIATIONS[obj]:
            return records
        for record in records:
            found = associated.get(str(record["id"]), {})
            record["associations"] = {to_type: {"results": found.get(to_type, [])} for to_type in ASSOCIATIONS[obj]}
        return [self._normalise_associations(obj, record) for record in records]

    def _batch_associations(self, obj: str, ids: list[str]) -> dict[str, dict[str, list[dict[str, str]]]]:
        """from id -> association type -> associated ids, read with the v4 batch endpoint and paged per id.

        v3's batch read serves at most 100 associations per record and no paging, silently dropping the rest; v4
        answers `paging.next.after` for each record with more, asked for again with that `after` until none is left.
        HubSpot answers 207 when some ids have no associations of a type, listing each as a NO_ASSOCIATIONS_FOUND
        error: that means "none", not a failure. Any other per-id error is logged, and those ids land without that
        association type until the next read.
        """
        associated: dict[str, dict[str, list[dict[str, str]]]] = {}
        for to_type in ASSOCIATIONS[obj]:
            path = f"/crm/v4/associations/{obj}/{to_type}/batch/read"
            pending: list[dict[str, str]] = [{"id": i} for i in ids]
            while pending:
                body = self.client.post_json(path, json={"inputs": pending})
                results = body.get("results") if isinstance(body, dict) else None
                if not isinstance(results, list):
                    raise ToolResponseError(self.tool, f"POST {path}", "response has no results list")
                sent_after = {item["id"]: item.get("after") for item in pending}
                pending = []
                for item in results:
                    from_id = str((item.get("from") or {}).get("id"))
                    found = associated.setdefault(from_id, {}).setdefault(to_type, [])
                    found += [
                        {"id": str(linked["toObjectId"]), "type": _v4_type(linked)}
                        for linked in item.get("to") or []
                        if isinstance(linked, dict) and linked.get("toObjectId") is not None
                    ]
                    following = next_page(self.tool, f"POST {path}", sent_after.get(from_id), _next_after(item))
                    if following:
                        pending.append({"id": from_id, "after": following})
                self._log_batch_errors(path, body, len(ids), to_type)
        return associated

    def _log_batch_errors(self, path: str, body: dict[str, Any], asked: int, to_type: str) -> None:
        unexpected = [
            error
            for error in body.get("errors") or []
            if not (isinstance(error, dict) and error.get("subCategory") == NO_ASSOCIATIONS)
        ]
        if unexpected:
            first = unexpected[0].get("message") if isinstance(unexpected[0], dict) else unexpected[0]
            log.warning(
                "hubspot POST %s: %d of %d ids failed (first: %s); they land without %s associations",
                path, len(unexpected), asked, first, to_type,
            )  # fmt: skip

    @staticmethod
    def _normalise_associations(obj: str, record: dict[str, Any]) -> dict[str, Any]:
        """Associations in one shape whichever endpoint served them: every type present, ids sorted, no paging."""
        if not ASSOCIATIONS[obj]:
            return record
        record = dict(record)
        raw = record.get("associations") or {}
        shaped = {}
        for to_type in ASSOCIATIONS[obj]:
            items = (raw.get(to_type) or {}).get("results") or []
            unique = {(str(item.get("id")), str(item.get("type"))): item for item in items if isinstance(item, dict)}
            shaped[to_type] = {
                "results": [
                    {"id": item_id, "type": kind}
                    for item_id, kind in sorted(unique, key=lambda pair: (_id_key(pair[0]), pair[1]))
                ]
            }
        record["associations"] = shaped
        return record


# --- canonical mapping -----------------------------------------------------------------------------------------


def associated_ids(payload: dict[str, Any], to_type: str) -> list[str]:
    """Ids of the associated records of one type, in order, each once (HubSpot lists labelled types twice)."""
    items = ((payload.get("associations") or {}).get(to_type) or {}).get("results") or []
    return list(dict.fromkeys(str(item["id"]) for item in items if isinstance(item, dict) and item.get("id")))


def contact_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """A contact is a person; they link to the companies they are associated with."""
    p = payload.get("properties") or {}
    first, last = _clean(p.get("firstname")), _clean(p.get("lastname"))
    return canonical(
        first_name=first,
        last_name=last,
        full_name=" ".join(part for part in (first, last) if part) or None,
        email=_clean(p.get("email")),
        phone=_clean(p.get("phone")) or _clean(p.get("mobilephone")),
        company_name=_clean(p.get("company")),
        company_domain=_clean(p.get("website")),
        street=_clean(p.get("address")),
        city=_clean(p.get("city")),
        postcode=_clean(p.get("zip")),
        country=_clean(p.get("country")),
        shared_keys=join_keys(
            shared_key("hubspot_contact", payload["id"]),
            *(shared_key("hubspot_company", i) for i in associated_ids(payload, "companies")),
        ),
        job_title=_clean(p.get("jobtitle")),
        lifecycle_stage=_clean(p.get("lifecyclestage")),
        created_at=_clean(p.get("createdate")) or payload.get("createdAt"),
        updated_at=payload.get("updatedAt"),
    )


def company_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """A company is an account; its id is the shared key Stripe's metadata and deals point at."""
    p = payload.get("properties") or {}
    return canonical(
        company_name=_clean(p.get("name")),
        company_domain=_clean(p.get("domain")) or _clean(p.get("website")),
        phone=_clean(p.get("phone")),
        street=_clean(p.get("address")),
        city=_clean(p.get("city")),
        postcode=_clean(p.get("zip")),
        country=_clean(p.get("country")),
        is_account_only=True,
        shared_keys=join_keys(shared_key("hubspot_company", payload["id"])),
        industry=_clean(p.get("industry")),
        lifecycle_stage=_clean(p.get("lifecyclestage")),
        created_at=_clean(p.get("createdate")) or payload.get("createdAt"),
        updated_at=payload.get("updatedAt"),
    )


def deal_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """A deal belongs to the accounts of its associated companies; it names no person.

    A deal sold to an individual has no company, only contacts: it then belongs to its contacts' accounts. Contacts
    are not used when companies are known, so a deal never bridges two companies through their people.
    """
    p = payload.get("properties") or {}
    companies = associated_ids(payload, "companies")
    owners = [shared_key("hubspot_company", i) for i in companies] or [
        shared_key("hubspot_contact", i) for i in associated_ids(payload, "contacts")
    ]
    return canonical(
        is_account_only=True,
        shared_keys=join_keys(*owners),
        deal_name=_clean(p.get("dealname")),
        amount=_amount(p.get("amount")),
        deal_stage=_clean(p.get("dealstage")),
        pipeline=_clean(p.get("pipeline")),
        close_date=_clean(p.get("closedate")),
        contact_ids=associated_ids(payload, "contacts"),
        created_at=_clean(p.get("createdate")) or payload.get("createdAt"),
        updated_at=payload.get("updatedAt"),
    )


# --- helpers ---------------------------------------------------------------------------------------------------


def _results(body: Any, obj: str) -> list[dict[str, Any]]:
    """The records of a page; a page without its `results` list is malformed, not empty."""
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list) or not all(isinstance(r, dict) and "id" in r for r in results):
        raise ToolResponseError("hubspot", f"/crm/v3/objects/{obj}", "page has no 'results' list of records with ids")
    return results


def _next_after(body: dict[str, Any]) -> str | None:
    nxt = (body.get("paging") or {}).get("next") or {}
    after = nxt.get("after") if isinstance(nxt, dict) else None
    return str(after) if after not in (None, "") else None


def _v4_type(linked: dict[str, Any]) -> str:
    """One v4 association's type as text: its label, else category and type id (e.g. HUBSPOT_DEFINED/279)."""
    kinds = [kind for kind in linked.get("associationTypes") or [] if isinstance(kind, dict)]
    if not kinds:
        return ""
    first = kinds[0]
    return str(first.get("label") or f"{first.get('category')}/{first.get('typeId')}")


def _clean(value: Any) -> str | None:
    """HubSpot serves unset properties as null or ""; both mean empty."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _amount(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _id_key(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (0, value)


def _parse(cursor: str) -> datetime:
    moment = parse_iso_or_epoch_ms(cursor)
    if moment is None:
        raise ValueError(f"hubspot cursor {cursor!r} is not a time; run the stream with mode=full to reset it")
    return moment


def _millis(moment: datetime) -> str:
    """Search filters on date-time properties take epoch milliseconds."""
    return str(int(moment.timestamp() * 1000))
