"""The customer 360 view: one golden customer with everything each tool knows about it, and where it came from.

`customer_view` is pure (records in, a JSON-ready dict out) so the rules that decide what counts as MRR, an open
conversation or an unpaid invoice are tested without a database; `build_customer_360` feeds it from the store.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from customer_hub.golden.double_billing import ACTIVE_SUBSCRIPTION, double_billed
from customer_hub.golden.duplicates import duplicate_groups, duplicate_records
from customer_hub.golden.names import bare_domain, name_key
from customer_hub.resolution.domains import FREE_MAIL_DOMAINS, free_mail_mask
from customer_hub.store import golden_store, keyed

log = logging.getLogger(__name__)

OPEN_CONVERSATION = frozenset({"open"})
CLOSED_WON, CLOSED_LOST = "closedwon", "closedlost"
HISTORY_SHOWN = 20


def number(value: Any) -> float | None:
    """A float from whatever a tool stored (number, numeric string, empty); None when it is not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(result) else result


def json_value(value: Any) -> Any:
    """A value safe for a JSON column: times as ISO strings, NaN as None, numpy scalars as Python ones."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:  # what stored JSON holds: by far the most often
        return value
    if kind is float:
        return None if math.isnan(value) else value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return json_value(value.item())
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_value(item) for item in value]
    try:
        if value != value:  # pandas NA / NaT
            return None
    except (TypeError, ValueError):
        return None
    return value


Grouped = Mapping[tuple[str, str], Sequence[Mapping[str, Any]]]
"""A customer's records by tool and object: each part of a view reads one or two objects, so the records are
grouped once rather than scanned again for each."""


def _by_object(records: Iterable[Mapping[str, Any]]) -> Grouped:
    """`records` grouped by (source_system, source_object), in their order."""
    grouped: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for record in records:
        grouped[(record.get("source_system"), record.get("source_object"))].append(record)
    return grouped


def _of(records: Grouped, tool: str, obj: str) -> Sequence[Mapping[str, Any]]:
    return records.get((tool, obj), ())


def _present(values: Iterable[Any]) -> list[Any]:
    """`values` made JSON-safe, without the empty ones."""
    return [value for value in map(json_value, values) if value is not None and value != ""]


def _latest(values: Iterable[Any]) -> Any:
    present = _present(values)
    return max(present, key=str) if present else None


def _earliest(values: Iterable[Any]) -> str | None:
    """The earliest of ISO dates or times (as text, which orders them: the hub writes them all in UTC)."""
    present = [str(value) for value in _present(values)]
    return min(present) if present else None


def display_name(fields: Mapping[str, Any]) -> str | None:
    """What to call a golden customer: the company, else the person, else the domain or email."""
    person = " ".join(str(fields[key]) for key in ("first_name", "last_name") if fields.get(key))
    for value in (fields.get("company_name"), fields.get("full_name"), person, fields.get("company_domain")):
        if value:
            return str(value)
    return str(fields["email"]) if fields.get("email") else None


def subscriptions_of(records: Iterable[Mapping[str, Any]] | Grouped) -> list[dict[str, Any]]:
    """The customer's Stripe subscriptions, active ones first (`records`: its records, or them `_by_object`)."""
    records = records if isinstance(records, Mapping) else _by_object(records)
    subscriptions = [
        {
            "record_id": record["record_id"],
            "source_id": record.get("source_id"),
            "product": record.get("product_id") or record.get("product"),
            "product_name": record.get("product_name"),
            "status": record.get("subscription_status") or record.get("status"),
            "mrr": number(record.get("mrr")),
            "currency": str(record["currency"]).upper() if record.get("currency") else None,
            "next_billing_date": json_value(record.get("next_billing_date")),
            "started_at": json_value(record.get("started_at") or record.get("created_at")),
        }
        for record in _of(records, "stripe", "subscriptions")
    ]
    subscriptions.sort(
        key=lambda sub: (sub["status"] not in ACTIVE_SUBSCRIPTION, str(sub["product"]), sub["record_id"])
    )
    return subscriptions


def mrr_by_currency(subscriptions: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """MRR of the billing subscriptions per currency code ('' where Stripe gave none): amounts in different
    currencies cannot be added up without exchange rates, so a customer paying in two shows both."""
    totals: dict[str, float] = defaultdict(float)
    for sub in subscriptions:
        if sub["status"] in ACTIVE_SUBSCRIPTION and sub.get("mrr"):
            totals[sub.get("currency") or ""] += sub["mrr"]
    return {currency: round(total, 2) for currency, total in sorted(totals.items())}


def _overdue(due: Any, today: date) -> bool:
    """An unpaid invoice is overdue from the day after its due date on: the only part of a view the calendar moves."""
    return bool(due) and str(due)[:10] < today.isoformat()


def _calendar_moved(engine: Engine, built: date, today: date) -> set[str]:
    """The customers whose views a change of day from `built` to `today` moves: those holding an unpaid invoice that
    is overdue on one day and not on the other."""
    start, end = min(built, today), max(built, today)
    return {
        golden_id
        for golden_id, due, balance in golden_store.invoices_due_between(engine, start, end)
        if (number(balance) or 0) > 0 and _overdue(json_value(due), built) != _overdue(json_value(due), today)
    }


def _accounting(records: Grouped, today: date) -> dict[str, Any]:
    customers = _of(records, "quickbooks", "customers")
    balances = [b for b in (number(record.get("balance")) for record in customers) if b is not None]
    unpaid = []
    for record in _of(records, "quickbooks", "invoices"):
        balance = number(record.get("balance"))
        if balance and balance > 0:
            due = json_value(record.get("due_date"))
            unpaid.append(
                {
                    "source_id": record.get("source_id"),
                    "balance": balance,
                    "total_amount": number(record.get("total_amount")),
                    "due_date": due,
                    "overdue": _overdue(due, today),
                }
            )
    unpaid.sort(key=lambda invoice: str(invoice["due_date"] or ""))
    stripe_open = [record for record in _of(records, "stripe", "invoices") if record.get("invoice_status") == "open"]
    return {
        "stripe_open_invoices": len(stripe_open),
        "stripe_open_total": round(sum(number(record.get("amount_remaining")) or 0.0 for record in stripe_open), 2),
        # since when the oldest open invoice is owed: its due date, or (charged automatically) its creation day
        "stripe_open_since": _earliest(
            json_value(record.get("due_date")) or json_value(record.get("created_at")) for record in stripe_open
        ),
        "balance": round(sum(balances), 2) if balances else None,
        "unpaid_invoices": len(unpaid),
        "unpaid_total": round(sum(invoice["balance"] for invoice in unpaid), 2),
        "overdue_invoices": sum(invoice["overdue"] for invoice in unpaid),
        "invoices": unpaid,
    }


def _support(records: Grouped) -> dict[str, Any]:
    conversations = _of(records, "intercom", "conversations")
    intercom = [record for (tool, _), held in records.items() if tool == "intercom" for record in held]
    open_conversations = [
        record for record in conversations if str(record.get("state") or "").lower() in OPEN_CONVERSATION
    ]
    return {
        "open_conversations": len(open_conversations),
        "open_since": _earliest(record.get("created_at") for record in open_conversations),
        "conversations": len(conversations),
        "last_conversation_at": _latest(record.get("last_conversation_at") for record in intercom),
    }


def _deals(records: Grouped) -> dict[str, Any]:
    deals = [
        {
            "source_id": record.get("source_id"),
            "name": record.get("deal_name") or record.get("company_name"),
            "stage": record.get("deal_stage"),
            "amount": number(record.get("amount")),
        }
        for record in _of(records, "hubspot", "deals")
    ]
    open_deals = [deal for deal in deals if deal["stage"] not in (CLOSED_WON, CLOSED_LOST)]
    won = [deal for deal in deals if deal["stage"] == CLOSED_WON]
    return {
        "open": open_deals,
        "open_amount": round(sum(deal["amount"] or 0.0 for deal in open_deals), 2),
        "closed_won": won,
        "closed_won_amount": round(sum(deal["amount"] or 0.0 for deal in won), 2),
    }


def _projects(records: Grouped) -> list[dict[str, Any]]:
    return [
        {
            "source_id": record.get("source_id"),
            "name": record.get("project_name") or record.get("name") or record.get("company_name"),
            "status": record.get("project_status") or record.get("status"),
        }
        for record in _of(records, "asana", "projects")
    ]


def _go_live_date(sheet_rows: Sequence[Mapping[str, Any]], status_record: str | None) -> str | None:
    """The go-live date as typed in the sheet row the implementation status came from (else any row's): the
    customer's health judges an implementation against it."""
    rows = sorted(sheet_rows, key=lambda row: (row.get("record_id") != status_record, str(row.get("record_id"))))
    return next((str(row["go_live_date"]) for row in rows if row.get("go_live_date")), None)


def _fields_with_sources(golden: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    sources = golden.get("field_sources") or {}
    fields = {}
    for field, value in sorted((golden.get("fields") or {}).items()):
        if value in (None, ""):
            continue
        record = sources.get(field)
        fields[field] = {
            "value": json_value(value),
            "source": record.split(":", 1)[0] if record else None,
            "record": record,
        }
    return fields


def customer_view(
    golden: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    xref: Sequence[Mapping[str, Any]],
    persons: Sequence[Mapping[str, Any]] = (),
    history: Sequence[Mapping[str, Any]] = (),
    today: date | None = None,
    duplicates: Sequence[Mapping[str, Any]] = (),
    free_mail_domains: Container[str] = FREE_MAIL_DOMAINS,
) -> dict[str, Any]:
    """The 360 view of one golden customer.

    `golden` is its golden_customers row (fields, field_sources), `records` the flat attributes of its live source
    records, `xref` their cross-reference rows, `persons` the golden person rows under it, `history` its events and
    `duplicates` the within-tool duplicate entries about it (see `customer_hub.golden.duplicates`). An email at one
    of `free_mail_domains` never gives the customer a domain: gmail.com is nobody's company. `mrr` adds up the
    billing subscriptions as Stripe states them; when `mrr_by_currency` holds more than one currency, read that.
    """
    today = today or datetime.now(UTC).date()
    fields = golden.get("fields") or {}
    grouped = _by_object(records)
    subscriptions = subscriptions_of(grouped)
    active = [sub for sub in subscriptions if sub["status"] in ACTIVE_SUBSCRIPTION]
    sheet_rows = _of(grouped, "sheets", "implementations")
    shown = _fields_with_sources(golden)
    implementation = dict(shown.get("implementation_status") or {}) or {
        "value": _latest(record.get("implementation_status") for record in sheet_rows),
        "source": "sheets",
    }
    implementation["go_live_date"] = _go_live_date(sheet_rows, implementation.get("record"))
    sources: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for link in sorted(xref, key=lambda row: row["record_id"]):
        sources[link["source_system"]].append(
            {
                "record_id": link["record_id"],
                "object": link["source_object"],
                "source_id": link["source_id"],
                "match_rule": link["match_rule"],
                "confidence": json_value(link["confidence"]),
                "linked_to": link.get("linked_to"),
                "evidence": link.get("match_scores"),
            }
        )
    email = fields.get("email")
    email_domain = bare_domain(email)
    domain = bare_domain(fields.get("company_domain")) or (
        email_domain if email_domain not in free_mail_domains else None
    )
    return {
        "golden_customer_id": golden["golden_id"],
        "name": display_name(fields),
        "domain": domain,
        "email": str(email).lower() if email else None,
        "fields": shown,
        "mrr": round(float(sum(sub["mrr"] or 0.0 for sub in active)), 2),
        "mrr_by_currency": mrr_by_currency(subscriptions),
        "subscriptions": subscriptions,
        "active_subscriptions": len(active),
        "double_billing": double_billed(subscriptions),
        "within_tool_duplicates": [
            {
                "tool": entry["tool"],
                "object": group["object"],
                "level": group["level"],
                "count": len(group["records"]),
                "records": list(group["records"]),
            }
            for entry in duplicates
            for group in entry["duplicates"]
        ],  # fmt: skip
        "support": _support(grouped),
        "accounting": _accounting(grouped, today),
        "implementation_status": implementation if implementation.get("value") else None,
        "deals": _deals(grouped),
        "projects": _projects(grouped),
        "persons": [
            {
                "golden_person_id": person["golden_id"],
                "name": display_name({k: v for k, v in (person.get("fields") or {}).items() if k != "company_name"}),
                "email": json_value((person.get("fields") or {}).get("email")),
                "phone": json_value((person.get("fields") or {}).get("phone")),
            }
            for person in sorted(persons, key=lambda row: row["golden_id"])
        ],
        "last_activity_at": _latest(record.get("source_updated_at") for record in records),
        "sources": dict(sorted(sources.items())),
        "record_count": len(xref),
        "history": [
            {"event": event["event"], "at": json_value(event["recorded_at"]), "detail": json_value(event["detail"])}
            for event in list(history)[-HISTORY_SHOWN:]
        ],
    }


def lookup_key_rows(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What else finds this customer: each of its people's names (`contact_name`, as `name_key` folds them) and
    every phone of the customer and its people (`phone`, the digits of the E.164 number the golden record holds)."""
    golden_id = view["golden_customer_id"]
    keys = {("contact_name", name_key(person.get("name"))) for person in view.get("persons") or []}
    phones = [((view.get("fields") or {}).get("phone") or {}).get("value")]
    phones += [person.get("phone") for person in view.get("persons") or []]
    keys |= {("phone", re.sub(r"\D", "", str(phone))) for phone in phones if phone}
    return [{"kind": kind, "key": key[:255], "golden_customer_id": golden_id} for kind, key in sorted(keys) if key]


def view_row(view: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The customer_360 row of a view: the indexed search columns beside the whole view."""
    return {
        "golden_customer_id": view["golden_customer_id"],
        "name": view["name"],
        "name_lc": name_key(view["name"]) or None,
        "domain": view["domain"],
        "email": view["email"],
        "view": view,
        "updated_at": now,
        "mrr": view["mrr"],
        "open_conversations": view["support"]["open_conversations"],
        "unpaid_invoices": view["accounting"]["unpaid_invoices"],
        "duplicate_records": duplicate_records(view["within_tool_duplicates"]),
        "double_billing": view["double_billing"] or None,
    }


def _history_by_id(engine: Engine, golden_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Identity events (created, merged, split, retired) of `golden_ids`; field updates stay in golden_history."""
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in golden_store.history_for(engine, golden_ids, events=("created", "merged", "split", "retired")):
        events[event["golden_id"]].append(event)
    return events


def _free_mail_domains(emails: Iterable[Any]) -> frozenset[str]:
    """The mailbox-provider domains among `emails`, by the resolution's rules (country variants such as
    yahoo.co.uk included); whether a domain is one depends on that domain alone."""
    domains = pd.Series(sorted({bare_domain(email) for email in emails} - {None}), dtype="str")
    return FREE_MAIL_DOMAINS | frozenset(domains[free_mail_mask(domains)]) if len(domains) else FREE_MAIL_DOMAINS


STEP = "customer_360"


_BATCH = 2_000
"""Customers built at a time: memory holds one batch's records and views however large the hub."""


def build_customer_360(engine: Engine, now: datetime | None = None, *, full: bool = False) -> int:
    """Bring customer_360 (and the lookup keys built with it) up to date; returns how many views were written.

    Only the golden customers the golden runs touched since the last build are rebuilt (`golden_touched`: their
    records, links, fields or history moved); the rest keep their rows. A view also reads the calendar (an unpaid
    invoice becomes overdue), so the first build of a day also rebuilds the customers holding an unpaid invoice
    that fell due since the last build's day (`_calendar_moved`). The first build ever and `full` rebuild every
    customer. Either way customers are built `_BATCH` at a time, each batch written by key."""
    now = now or datetime.now(UTC)
    state = keyed.read_state(engine, STEP)
    generation = golden_store.read_generation(engine)
    built = state.detail.get("day") if state is not None else None
    everything = full or built is None
    if everything:
        ids = golden_store.active_customer_ids(engine)
    else:
        ids = golden_store.touched_customers(engine, after=state.revision)
        if built != now.date().isoformat():
            moved = _calendar_moved(engine, date.fromisoformat(built), now.date())
            log.info("a new day: %d customers hold an invoice that fell due since the last build", len(moved))
            ids = sorted(set(ids) | moved)
    written = 0
    for batch in keyed.chunks(ids, _BATCH):
        views = _views(engine, batch, now)
        golden_store.save_360(engine, [view_row(view, now) for view in views],
                              [row for view in views for row in lookup_key_rows(view)])  # fmt: skip
        written += len(views)
    golden_store.finish_360(
        engine, keyed.StepState(generation, "", {"day": now.date().isoformat()}), ids=None if everything else ids
    )
    return written


def _views(engine: Engine, golden_ids: Sequence[str], now: datetime) -> list[dict[str, Any]]:
    """The 360 views of those of `golden_ids` that are active golden customers."""
    golden = golden_store.read_golden(engine, kind="customer", golden_ids=golden_ids)
    active = sorted(golden_id for golden_id, row in golden.items() if row["status"] == "active")
    xref = golden_store.read_xref(engine, golden_customer_ids=active)
    person_ids = {link["golden_person_id"] for link in xref if link["golden_person_id"]}
    persons = golden_store.read_golden(engine, kind="person", golden_ids=person_ids)
    flat = {}
    for row in golden_store.records_of_customers(engine, active):
        flat[row["record_id"]] = {
            **row["attributes"],
            "record_id": row["record_id"],
            "source_system": row["source_system"],
            "source_object": row["source_object"],
            "source_id": row["source_id"],
            "source_updated_at": row["source_updated_at"],
        }
    links: dict[str, list[dict[str, Any]]] = defaultdict(list)
    person_of: dict[str, set[str]] = defaultdict(set)
    for link in xref:
        links[link["golden_customer_id"]].append(link)
        if link["golden_person_id"]:
            person_of[link["golden_customer_id"]].add(link["golden_person_id"])
    absorbed = golden_store.absorbed_into(engine, active)
    history = _history_by_id(engine, [*active, *(gid for ids in absorbed.values() for gid in ids)])
    free_mail = _free_mail_domains(golden[golden_id]["fields"].get("email") for golden_id in active)
    duplicates: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in duplicate_groups(xref):
        duplicates[entry["golden_customer_id"]].append(entry)
    views = []
    for golden_id in active:
        customer_links = links.get(golden_id, [])
        events = sorted(
            [event for gid in (golden_id, *absorbed.get(golden_id, [])) for event in history.get(gid, [])],
            key=lambda event: event["id"],
        )
        views.append(
            customer_view(
                golden[golden_id],
                [flat[link["record_id"]] for link in customer_links if link["record_id"] in flat],
                customer_links,
                [persons[pid] for pid in sorted(person_of.get(golden_id, ())) if pid in persons],
                events,
                today=now.date(),
                duplicates=duplicates.get(golden_id, ()),
                free_mail_domains=free_mail,
            )
        )
    return views
