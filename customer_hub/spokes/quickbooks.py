"""QuickBooks Online: customers and invoices (the hub's source of balances), the onboarding flow's writes, and what
the company buys (purchases, bills and their vendors), which the shadow-IT scan reads.

Reads: the query endpoint pages `select * from <Entity>` by STARTPOSITION/MAXRESULTS; incremental reads use Change
Data Capture (`/cdc`), which also reports deletions. CDC has two hard limits, both handled by falling back to a
full read (which is complete, so deletions are caught too):
- it looks back at most 30 days, so an older cursor cannot be served;
- it returns at most 1,000 objects per response with no way to page or bound the window from above, so a response
  at the limit is truncated in an unknown place. A `where MetaData.LastUpdatedTime >= ...` query could re-read the
  changes, but it never returns deleted entities, so the full read is the one sound fallback.
Full reads page `ORDERBY Id`: without an order QuickBooks promises none, and a record changed while the read pages
can move to a later page (read twice, another skipped). Paying an invoice changes its customer's `Balance` but not
the customer, so CDC never reports that customer: an incremental customer read also asks CDC for invoices and
re-reads the customers they bill (`where Id in (...)`), so balances are as fresh as the invoices. Like QuickBooks'
own lists, `select * from Customer` returns active customers only; a customer made inactive (QuickBooks' way of
deleting one) therefore leaves the full read, and CDC reports it as deleted as well.

Writes are idempotent through the `requestid` parameter: the same request id returns the first result.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from customer_hub.config import SyncConfig, SystemConfig
from customer_hub.spokes.base import ConnectorBase, EmptyRule, Page, StreamRead
from customer_hub.spokes.canonical import canonical, join_keys, shared_key
from customer_hub.spokes.http import (
    ApiClient,
    ToolAuthError,
    ToolNotFoundError,
    ToolRequestError,
    ToolResponseError,
)
from customer_hub.spokes.quickbooks_auth import RefreshTokenAuth
from customer_hub.timestamps import format_utc, later, parse_iso

log = logging.getLogger(__name__)

MAX_RESULTS = 1000
"""QuickBooks' largest query page, and the most objects one CDC response carries."""
CDC_LOOKBACK = timedelta(days=30)
CDC_LOOKBACK_MARGIN = timedelta(hours=1)
"""A cursor this close to the 30-day edge is treated as too old, so clock differences cannot make CDC refuse it."""
BALANCE_REREAD_BATCH = 100
"""Customer ids per `where Id in (...)` query when re-reading balances (keeps the query text short)."""
DEFAULT_MINOR_VERSION = 75
DEFAULT_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
DEFAULT_REQUESTS_PER_SECOND = 500 / 60
"""QuickBooks Online allows 500 requests a minute per company and sends no rate-limit headers, so the client spaces
its requests evenly instead of finding the limit through 429s; `settings.requests_per_second` overrides (0: off)."""
DEFAULT_INVOICE_ITEM_ID = "1"
"""Every QuickBooks company starts with the "Services" item (id 1); `settings.invoice_item_id` picks another."""

_ENTITIES = {
    "customers": "Customer",
    "invoices": "Invoice",
    "purchases": "Purchase",
    "bills": "Bill",
    "vendors": "Vendor",
}
_NAME_LISTS = ("Customer", "Vendor")
"""Entities QuickBooks deletes by making them inactive (list entities), unlike transactions."""


def paid_to_non_vendor(fields: Mapping[str, Any]) -> bool:
    """Whether a purchase's canonical payee type says it was paid to someone other than a vendor (an employee, a
    customer), which is why its mapping gives no vendor. An empty payee type explains nothing: it may be renamed."""
    payee_type = fields.get("payee_type")
    return bool(payee_type) and payee_type != "Vendor"


class QuickBooksConnector(ConnectorBase):
    """Reads customers, invoices and spend (purchases, bills, vendors) of one QuickBooks company (realm) and drafts
    invoices for new customers."""

    tool = "quickbooks"
    objects = ("customers", "invoices", "purchases", "bills", "vendors")
    empty_by_rule: Mapping[str, Mapping[str, EmptyRule]] = {
        "purchases": {"vendor_id": paid_to_non_vendor, "vendor_name": paid_to_non_vendor}
    }

    def __init__(
        self,
        config: SystemConfig,
        sync: SyncConfig,
        credentials: Mapping[str, str],
        engine: Engine | None = None,
    ):
        self.sync = sync
        envs = config.credentials
        settings = config.settings
        self.realm_id = str(credentials.get("realm_id") or "").strip()
        self.realm_env = envs.get("realm_id", "QUICKBOOKS_REALM_ID")
        self.minor_version = int(settings.get("minor_version", DEFAULT_MINOR_VERSION))
        self.invoice_item_id = str(settings.get("invoice_item_id", DEFAULT_INVOICE_ITEM_ID))
        self.max_results = MAX_RESULTS
        token_url_env = settings.get("token_url_env")
        token_url = (os.environ.get(token_url_env) if token_url_env else None) or settings.get(
            "token_url", DEFAULT_TOKEN_URL
        )
        self.auth = RefreshTokenAuth(
            token_url,
            client_id=credentials.get("client_id", ""),
            client_secret=credentials.get("client_secret", ""),
            refresh_token=credentials.get("refresh_token", ""),
            engine=engine,
            client_envs=(
                envs.get("client_id", "QUICKBOOKS_CLIENT_ID"),
                envs.get("client_secret", "QUICKBOOKS_CLIENT_SECRET"),
            ),
            refresh_token_env=envs.get("refresh_token", "QUICKBOOKS_REFRESH_TOKEN"),
            sync=sync,
        )
        self.token_client = self.auth.client  # held here too so request statistics count the token calls
        self.client = ApiClient(
            self.tool,
            config.resolved_base_url(),
            auth=self.auth.header,
            credential_envs=[envs[key] for key in ("client_id", "client_secret", "refresh_token") if key in envs],
            settings=sync,
            on_auth_failure=self.auth.refresh_after_rejection,
            requests_per_second=float(settings.get("requests_per_second", DEFAULT_REQUESTS_PER_SECOND)) or None,
            context={"realm_id": self.realm_id, "realm_env": self.realm_env, "minor_version": self.minor_version},
        )

    # --- reads -------------------------------------------------------------------------------------------------

    def read_full(self, obj: str) -> StreamRead:
        """Every (active) record by query pages; the cursor is the server time of the first page."""
        entity = self._entity(obj)
        read = StreamRead(pages=iter(()), complete=True)

        def pages() -> Iterator[Page]:
            start = 1
            server_time: datetime | None = None
            newest: datetime | None = None
            while True:
                body = self._query_body(
                    f"select * from {entity} ORDERBY Id STARTPOSITION {start} MAXRESULTS {self.max_results}"
                )
                server_time = server_time or parse_iso(body.get("time"))
                records = _entity_list(body["QueryResponse"], entity)
                for record in records:
                    newest = later(newest, self.source_updated_at(obj, record))
                yield Page(records)
                if len(records) < self.max_results:
                    break
                start += self.max_results
            read.cursor_after = _format_time(server_time or newest or datetime.now(UTC))

        read.pages = pages()
        return read

    def read_incremental(self, obj: str, cursor: str) -> StreamRead:
        """Changes and deletions since `cursor` minus the overlap via CDC, or a full read where CDC cannot serve.

        The CDC request is made here, not lazily, because its answer decides whether this read is complete.
        """
        entity = self._entity(obj)
        previous = parse_iso(cursor)
        if previous is None:
            raise ValueError(
                f"quickbooks {obj}: cursor {cursor!r} is not an ISO 8601 time; "
                "run the stream with mode=full to reset it"
            )
        since = previous - timedelta(minutes=self.sync.overlap_minutes)
        oldest_allowed = datetime.now(UTC) - CDC_LOOKBACK + CDC_LOOKBACK_MARGIN
        if since < oldest_allowed:
            log.info("quickbooks %s: cursor %s is beyond CDC's 30-day look-back; reading in full", obj, cursor)
            return self.read_full(obj)
        path = self._company_path("cdc")
        entities = f"{entity},Invoice" if entity == "Customer" else entity  # invoices move customers' balances
        params = {"entities": entities, "changedSince": _format_time(since), "minorversion": self.minor_version}
        body = self._realm_checked(lambda: self.client.get_json(path, params=params, setting_hint=self.realm_env))
        served = _cdc_entities(body, entity, self.tool)
        invoices = _cdc_entities(body, "Invoice", self.tool) if entity == "Customer" else []
        if len(served) + len(invoices) >= self.max_results:
            log.info(
                "quickbooks %s: CDC answered with its %d-object limit since %s (maybe truncated); reading in full",
                obj,
                len(served) + len(invoices),
                since.isoformat(),
            )
            return self.read_full(obj)
        changed: list[dict[str, Any]] = []
        deleted: list[str] = []
        newest = later(previous, parse_iso(body.get("time")))
        for record in served:
            newest = later(newest, self.source_updated_at(obj, record))
            if _is_deleted(entity, record):
                deleted.append(self.source_id(obj, record))
            else:
                changed.append(record)
        seen = {self.source_id(obj, record) for record in served}
        billed = {
            str((i.get("CustomerRef") or {}).get("value"))
            for i in invoices
            if (i.get("CustomerRef") or {}).get("value")
        }
        changed += self._customers_by_id(sorted(billed - seen, key=_id_order))
        return StreamRead(pages=iter([Page(changed, deleted_ids=deleted)]), cursor_after=_format_time(newest))

    def _customers_by_id(self, ids: list[str]) -> list[dict[str, Any]]:
        """Customers re-read for their balance: paying, voiding or editing an invoice changes the customer's
        `Balance` without changing the customer, so CDC reports the invoice but not the customer."""
        customers: list[dict[str, Any]] = []
        for start in range(0, len(ids), BALANCE_REREAD_BATCH):
            chunk = ", ".join(_quote(i) for i in ids[start : start + BALANCE_REREAD_BATCH])
            statement = f"select * from Customer where Id in ({chunk}) MAXRESULTS {self.max_results}"
            customers += _entity_list(self._query_body(statement)["QueryResponse"], "Customer")
        return customers

    def count(self, obj: str) -> int | None:
        """QuickBooks' `select count(*)` (active records, like the full read)."""
        response = self._query_body(f"select count(*) from {self._entity(obj)}")["QueryResponse"]
        total = response.get("totalCount")
        return int(total) if isinstance(total, int) else None

    # --- writes for the onboarding flow ------------------------------------------------------------------------

    def create_invoice(
        self,
        customer_id: str,
        amount: float,
        description: str,
        request_id: str,
        doc_number: str | None = None,
    ) -> dict[str, Any]:
        """A one-line invoice, not sent to the customer (QuickBooks' equivalent of a draft).

        The same `request_id` returns the invoice created by the first call instead of a second invoice.
        """
        amount = round(float(amount), 2)
        invoice: dict[str, Any] = {
            "CustomerRef": {"value": str(customer_id)},
            "Line": [
                {
                    "Amount": amount,
                    "DetailType": "SalesItemLineDetail",
                    "Description": description,
                    "SalesItemLineDetail": {"ItemRef": {"value": self.invoice_item_id}, "Qty": 1, "UnitPrice": amount},
                }
            ],
        }
        if doc_number:
            invoice["DocNumber"] = doc_number
        return self._create("invoice", "Invoice", invoice, request_id)

    def find_invoice(self, doc_number: str) -> dict[str, Any] | None:
        """The invoice with this document number, for find-before-create across runs."""
        return self._first("Invoice", f"select * from Invoice where DocNumber = {_quote(doc_number)}")

    def find_customer_by_name(self, name: str) -> dict[str, Any] | None:
        """The customer whose display name is exactly `name` (QuickBooks keeps display names unique)."""
        return self._first("Customer", f"select * from Customer where DisplayName = {_quote(name)}")

    def create_customer(self, display_name: str, email: str | None, request_id: str) -> dict[str, Any]:
        """A customer with a display name and, when known, a primary email; idempotent by `request_id`."""
        customer: dict[str, Any] = {"DisplayName": display_name}
        if email:
            customer["PrimaryEmailAddr"] = {"Address": email}
        return self._create("customer", "Customer", customer, request_id)

    # --- mapping -----------------------------------------------------------------------------------------------

    def source_id(self, obj: str, payload: dict[str, Any]) -> str:
        return str(payload["Id"])

    def source_updated_at(self, obj: str, payload: dict[str, Any]) -> datetime | None:
        return parse_iso((payload.get("MetaData") or {}).get("LastUpdatedTime"))

    def to_canonical(self, obj: str, payload: dict[str, Any]) -> dict[str, Any]:
        self._check(obj)
        return _MAPPERS[obj](payload)

    # --- internals ---------------------------------------------------------------------------------------------

    def _entity(self, obj: str) -> str:
        self._check(obj)
        return _ENTITIES[obj]

    def _company_path(self, resource: str) -> str:
        if not self.realm_id:
            raise ToolNotFoundError(
                self.tool, f"/v3/company/<realm>/{resource}", f"{self.realm_env} is empty", setting_hint=self.realm_env
            )
        return f"/v3/company/{self.realm_id}/{resource}"

    def _query_body(self, statement: str) -> dict[str, Any]:
        """One query; the whole answer (QueryResponse plus the server `time`)."""
        path = self._company_path("query")
        body = self._realm_checked(
            lambda: self.client.get_json(
                path, params={"query": statement, "minorversion": self.minor_version}, setting_hint=self.realm_env
            )
        )
        if not isinstance(body, dict) or not isinstance(body.get("QueryResponse"), dict):
            raise ToolResponseError(self.tool, f"GET {path}", "answer has no QueryResponse object")
        return body

    def _first(self, entity: str, statement: str) -> dict[str, Any] | None:
        records = _entity_list(self._query_body(statement)["QueryResponse"], entity)
        return records[0] if records else None

    def _create(self, resource: str, entity: str, payload: dict[str, Any], request_id: str) -> dict[str, Any]:
        path = self._company_path(resource)
        body = self._realm_checked(
            lambda: self.client.post_json(
                path,
                json=payload,
                params={"requestid": request_id, "minorversion": self.minor_version},
                setting_hint=self.realm_env,
            )
        )
        if not isinstance(body, dict) or not isinstance(body.get(entity), dict):
            raise ToolResponseError(self.tool, f"POST {path}", f"answer has no {entity} object")
        return body[entity]

    def _realm_checked(self, call: Callable[[], Any]) -> Any:
        """Say which setting to fix when the company id is wrong: QuickBooks answers an unknown or unauthorised
        company with 403 "ApplicationAuthorizationFailed" (errorCode 003100), or with 400 on some endpoints."""
        try:
            return call()
        except (ToolAuthError, ToolRequestError) as error:
            text = error.message.lower()
            wrong_realm = (error.status == 403 and ("003100" in text or "applicationauthorizationfailed" in text)) or (
                error.status == 400 and ("company" in text or "realm" in text)
            )
            if not wrong_realm:
                raise
            raise ToolNotFoundError(
                self.tool,
                error.endpoint,
                f"{error.message} (the connection is not authorised for company {self.realm_id}: {self.realm_env} "
                "may name another company, or the app must be re-authorised for this one)",
                setting_hint=self.realm_env,
                status=error.status,
            ) from error


def customer_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """A customer is a person when it has a given or family name, else an account (company) only.

    A sub-customer (a job, project or location under a customer: `ParentRef`, `Job`, 'Acme Corp:London office' in
    `FullyQualifiedName`) belongs to its parent's account: it carries the parent's key, and its display name is the
    job's ('London office'), never read as a company name."""
    given = (payload.get("GivenName") or "").strip() or None
    family = (payload.get("FamilyName") or "").strip() or None
    full_name = " ".join(part for part in (given, family) if part) or None
    display = (payload.get("DisplayName") or "").strip() or None
    parent = str((payload.get("ParentRef") or {}).get("value") or "").strip() or None
    # A display name that is just the person's name is not a company name, nor is a job's.
    company = (payload.get("CompanyName") or "").strip() or (display if display != full_name and not parent else None)
    address = payload.get("BillAddr") or {}
    street = ", ".join(str(address[key]) for key in ("Line1", "Line2") if address.get(key)) or None
    phone = (payload.get("PrimaryPhone") or {}).get("FreeFormNumber") or (payload.get("Mobile") or {}).get(
        "FreeFormNumber"
    )
    return canonical(
        first_name=given,
        last_name=family,
        full_name=full_name,
        email=_first_email((payload.get("PrimaryEmailAddr") or {}).get("Address")),
        phone=phone or None,
        company_name=company,
        street=street,
        city=address.get("City") or None,
        postcode=address.get("PostalCode") or None,
        country=address.get("Country") or None,
        shared_keys=join_keys(
            shared_key("quickbooks_customer", payload["Id"]),
            shared_key("quickbooks_customer", parent) if parent else None,
        ),
        is_account_only=full_name is None,
        display_name=display,
        **({"parent_customer_id": parent, "full_display_name": payload.get("FullyQualifiedName")} if parent else {}),
        region=address.get("CountrySubDivisionCode") or None,
        balance=_number(payload.get("Balance")),
        currency=(payload.get("CurrencyRef") or {}).get("value"),
        active=payload.get("Active", True),
    )


def invoice_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """An invoice belongs to the account of its customer; its amounts feed the 360 view's balances."""
    customer = payload.get("CustomerRef") or {}
    balance = _number(payload.get("Balance"))
    due = payload.get("DueDate")
    if balance == 0:
        status = "paid"
    elif due and due < date.today().isoformat():
        status = "overdue"
    else:
        status = "open"
    return canonical(
        email=_first_email((payload.get("BillEmail") or {}).get("Address")),
        shared_keys=join_keys(shared_key("quickbooks_customer", customer["value"]) if customer.get("value") else None),
        is_account_only=True,
        customer_name=customer.get("name"),
        doc_number=payload.get("DocNumber"),
        total_amount=_number(payload.get("TotalAmt")),
        balance=balance,
        currency=(payload.get("CurrencyRef") or {}).get("value"),
        due_date=due,
        txn_date=payload.get("TxnDate"),
        status=status,
    )


def purchase_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """A purchase (card, cash or check expense) as a charge by its payee; the shadow-IT scan reads these."""
    payee = payload.get("EntityRef") or {}
    is_vendor = payee.get("type") in (None, "Vendor") and bool(payee.get("value"))
    return canonical(
        is_account_only=True,
        vendor_id=str(payee["value"]) if is_vendor else None,
        vendor_name=payee.get("name") if is_vendor else None,
        payee_type=payee.get("type"),
        txn_date=payload.get("TxnDate"),
        amount=_number(payload.get("TotalAmt")),
        currency=(payload.get("CurrencyRef") or {}).get("value"),
        expense_account=_expense_account(payload),
        payment_type=payload.get("PaymentType"),
        credit=bool(payload.get("Credit", False)),
        doc_number=payload.get("DocNumber"),
        memo=payload.get("PrivateNote"),
    )


def bill_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """A bill (a vendor's invoice to the company) as a charge by that vendor, with what is still owed."""
    vendor = payload.get("VendorRef") or {}
    return canonical(
        is_account_only=True,
        vendor_id=str(vendor["value"]) if vendor.get("value") else None,
        vendor_name=vendor.get("name"),
        txn_date=payload.get("TxnDate"),
        due_date=payload.get("DueDate"),
        amount=_number(payload.get("TotalAmt")),
        balance=_number(payload.get("Balance")),
        currency=(payload.get("CurrencyRef") or {}).get("value"),
        expense_account=_expense_account(payload),
        doc_number=payload.get("DocNumber"),
        memo=payload.get("PrivateNote"),
    )


def vendor_to_canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """A vendor: its names and the domains (website, email) that tell which SaaS company it is."""
    email = _first_email((payload.get("PrimaryEmailAddr") or {}).get("Address"))
    return canonical(
        is_account_only=True,
        vendor_id=str(payload["Id"]),
        display_name=(payload.get("DisplayName") or "").strip() or None,
        company_name=(payload.get("CompanyName") or "").strip() or None,
        email=email,
        website=(payload.get("WebAddr") or {}).get("URI"),
        phone=(payload.get("PrimaryPhone") or {}).get("FreeFormNumber"),
        balance=_number(payload.get("Balance")),
        active=payload.get("Active", True),
    )


_MAPPERS = {
    "customers": customer_to_canonical,
    "invoices": invoice_to_canonical,
    "purchases": purchase_to_canonical,
    "bills": bill_to_canonical,
    "vendors": vendor_to_canonical,
}


def _expense_account(payload: dict[str, Any]) -> str | None:
    """The expense account of the transaction's first account-based line (what the money was spent on)."""
    for line in payload.get("Line") or []:
        detail = line.get("AccountBasedExpenseLineDetail") if isinstance(line, dict) else None
        name = ((detail or {}).get("AccountRef") or {}).get("name")
        if name:
            return str(name)
    return None


def _cdc_entities(body: Any, entity: str, tool: str) -> list[dict[str, Any]]:
    """The objects of one entity in a CDC answer: CDCResponse[] -> QueryResponse[] -> {entity: [...]}."""
    if not isinstance(body, dict) or not isinstance(body.get("CDCResponse"), list):
        raise ToolResponseError(tool, "GET /v3/company/<realm>/cdc", "answer has no CDCResponse list")
    found: list[dict[str, Any]] = []
    for cdc in body["CDCResponse"]:
        responses = cdc.get("QueryResponse") or [] if isinstance(cdc, dict) else []
        for response in responses if isinstance(responses, list) else [responses]:
            if isinstance(response, dict):
                found.extend(_entity_list(response, entity))
    return found


def _entity_list(response: dict[str, Any], entity: str) -> list[dict[str, Any]]:
    records = response.get(entity) or []
    return [record for record in records if isinstance(record, dict)]


def _is_deleted(entity: str, record: dict[str, Any]) -> bool:
    """Deleted transactions carry status "Deleted"; customers and vendors are deleted by making them inactive."""
    if record.get("status") == "Deleted":
        return True
    return entity in _NAME_LISTS and record.get("Active") is False


def _id_order(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (0, value)


def _quote(value: str) -> str:
    """A string literal for QuickBooks' query language, which escapes quotes with a backslash."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _first_email(value: Any) -> str | None:
    """QuickBooks allows several comma-separated addresses in one email field; the first is the primary."""
    if not value:
        return None
    return str(value).split(",")[0].strip() or None


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _format_time(moment: datetime) -> str:
    """QuickBooks times carry the company's offset (e.g. -08:00); the hub keeps UTC, to the second."""
    return format_utc(moment, "seconds")
