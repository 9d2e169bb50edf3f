"""Reports over the golden records for the people who clean the tools: customers a tool holds several times, and
customers billed twice for one product.

Both read the stored cross-reference and customer records, so the quality checks can call them without running
resolution again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, select

from customer_hub.golden.double_billing import double_billed
from customer_hub.golden.duplicates import duplicate_groups
from customer_hub.golden.view360 import subscriptions_of
from customer_hub.store import golden_store
from customer_hub.store.schema import customer_360, customer_records, customer_xref


def _names(engine: Engine, golden_ids: Iterable[str]) -> dict[str, str | None]:
    ids = list(set(golden_ids))
    if not ids:
        return {}
    query = select(customer_360.c.golden_customer_id, customer_360.c.name).where(
        customer_360.c.golden_customer_id.in_(ids)
    )
    with engine.connect() as conn:
        return {row[0]: row[1] for row in conn.execute(query)}


def duplicate_report(engine: Engine) -> list[dict[str, Any]]:
    """Within-tool duplicates over the whole hub (see `customer_hub.golden.duplicates`), each entry with the
    customer's name: golden_customer_id, name, tool, count, records (every account and person record the tool holds
    for the customer) and duplicates (level, object, golden_person_id, records). Largest first."""
    report = duplicate_groups(golden_store.read_xref(engine))
    names = _names(engine, (entry["golden_customer_id"] for entry in report))
    return [{**entry, "name": names.get(entry["golden_customer_id"])} for entry in report]


def double_billing(engine: Engine) -> list[dict[str, Any]]:
    """Golden customers with more than one billing Stripe subscription to the same product.

    Each entry: golden_customer_id, name, product, product_name, subscriptions (Stripe ids), records, mrr (of the
    duplicated subscriptions together). Reads only Stripe subscription records and their cross-reference rows.
    """
    query = (
        select(customer_records.c.attributes, customer_xref.c.golden_customer_id)
        .join(customer_xref, customer_xref.c.record_id == customer_records.c.record_id)
        .where(
            customer_records.c.source_system == "stripe",
            customer_records.c.source_object == "subscriptions",
            customer_records.c.deleted_at.is_(None),
        )
    )
    by_customer: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    with engine.connect() as conn:
        for attributes, golden_id in conn.execute(query):
            by_customer[golden_id].append(attributes)
    found = [
        {"golden_customer_id": golden_id, **problem}
        for golden_id, subscriptions in sorted(by_customer.items())
        for problem in double_billed(subscriptions_of(subscriptions))
    ]
    names = _names(engine, (entry["golden_customer_id"] for entry in found))
    return [{**entry, "name": names.get(entry["golden_customer_id"])} for entry in found]


def double_billing_in(views: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The double billings listed in already-built 360 views, one entry per customer and product."""
    return [
        {"golden_customer_id": view["golden_customer_id"], "name": view["name"], **problem}
        for view in views
        for problem in view["double_billing"]
    ]
