"""Small canonical record sets for the resolution tests."""

from __future__ import annotations

from typing import Any

import pandas as pd

COLUMNS = (
    "record_id",
    "source_system",
    "source_object",
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
    "shared_keys",
    "is_account_only",
)


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    """Canonical records with every column present (empty where a row does not give it)."""
    table = pd.DataFrame(list(rows)).reindex(columns=list(COLUMNS))
    table["is_account_only"] = table["is_account_only"].astype("boolean").fillna(False).astype(bool)
    return table


def acme_records() -> pd.DataFrame:
    """Acme as five tools see it: three HubSpot company records, billing records, two colleagues."""
    return frame(
        {
            "record_id": "hs-co-1",
            "source_system": "hubspot",
            "source_object": "company",
            "company_name": "Acme Corp",
            "company_domain": "https://www.acme.com",
            "phone": "(415) 555-0100",
            "is_account_only": True,
        },
        {
            "record_id": "hs-co-2",
            "source_system": "hubspot",
            "source_object": "company",
            "company_name": "ACME Corporation",
            "is_account_only": True,
        },
        {
            "record_id": "hs-co-3",
            "source_system": "hubspot",
            "source_object": "company",
            "company_name": "Acme Corp.",
            "is_account_only": True,
        },
        {
            "record_id": "stripe-1",
            "source_system": "stripe",
            "source_object": "customer",
            "company_name": "Acme Corp",
            "email": "billing@acme.com",
            "shared_keys": "hubspot_company:hs-co-1",
        },
        {
            "record_id": "qbo-1",
            "source_system": "quickbooks",
            "source_object": "customer",
            "company_name": "Acme Corp.",
            "email": "Accounts@ACME.com",
            "shared_keys": "quickbooks_customer:7",
            "is_account_only": True,
        },
        {
            "record_id": "hs-ct-1",
            "source_system": "hubspot",
            "source_object": "contact",
            "first_name": "John",
            "last_name": "Smith",
            "email": "john.smith@acme.com",
            "phone": "(415) 555-0100",
        },
        {
            "record_id": "hs-ct-2",
            "source_system": "hubspot",
            "source_object": "contact",
            "first_name": "Jane",
            "last_name": "Doe",
            "email": "jane.doe@acme.com",
            "phone": "(415) 555-0100",
        },
    )


def by_id(resolved: pd.DataFrame) -> pd.DataFrame:
    """Resolved rows indexed by record_id."""
    return resolved.set_index("record_id")
