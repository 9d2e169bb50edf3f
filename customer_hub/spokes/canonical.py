"""The canonical record every tool's objects are mapped to before resolution.

Names are shared by the connectors, the resolution engine and the golden record, so they are defined once here.
Values are raw (as the tool holds them); normalisation happens in `customer_hub.resolution`.
"""

from __future__ import annotations

from typing import Any

IDENTITY_FIELDS = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "company_name",
    "company_domain",
    "street",
    "city",
    "postcode",
    "country",
)
"""Fields that identify a person or an account, present (possibly empty) on every canonical record."""

LINK_FIELDS = ("shared_keys", "is_account_only")
"""`shared_keys`: `;`-separated keys such as `stripe_customer:cus_1;hubspot_company:42` that several records carry
when they belong to one account (a tool storing another's id, an invoice naming its customer).
`is_account_only`: the record describes an account (company, invoice, subscription), not a person."""


def shared_key(kind: str, value: Any) -> str:
    """One shared key, e.g. shared_key("stripe_customer", "cus_1") -> "stripe_customer:cus_1"."""
    return f"{kind}:{value}"


def join_keys(*keys: str | None) -> str:
    """Shared keys joined for the `shared_keys` field, empty ones dropped, order kept, no repeats."""
    return ";".join(dict.fromkeys(key for key in keys if key))


def canonical(**values: Any) -> dict[str, Any]:
    """A canonical record with every identity field present, so DataFrames built from records have all columns."""
    record: dict[str, Any] = dict.fromkeys(IDENTITY_FIELDS)
    record.update({"shared_keys": "", "is_account_only": False})
    record.update(values)
    return record
