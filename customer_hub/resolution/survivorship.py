"""One golden row per cluster, each field taken from the system that owns it.

Each tool is the authority for some fields (HubSpot for contact details, Stripe for billing, QuickBooks for the
balance...). A field takes its value from the owning systems in their listed order; where none of them has a value
it falls back to the most recent non-empty value from any system. Every golden field records which record it came
from in `<field>__source`, so a surprising value can be traced back to its tool.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

DEFAULT_OWNERSHIP: Mapping[str, tuple[str, ...]] = {
    "first_name": ("hubspot",),
    "last_name": ("hubspot",),
    "email": ("hubspot",),
    "company_name": ("hubspot",),
    "phone": ("hubspot",),
    "payment_method": ("stripe",),
    "subscription_status": ("stripe",),
    "next_billing_date": ("stripe",),
    "support_history": ("intercom",),
    "last_conversation_at": ("intercom",),
    "balance": ("quickbooks",),
    "invoices": ("quickbooks",),
    "implementation_status": ("sheets",),
}
"""Which system owns which field; `survive` uses it when no ownership is given."""

BOOKKEEPING_COLUMNS = frozenset(
    {"record_id", "source_system", "source_object", "source_id", "source_updated_at", "shared_keys", "is_account_only"}
)
"""Columns describing where a record came from rather than the customer; never golden fields."""


def _owners(ownership: Mapping[str, str | Sequence[str]], field: str) -> list[str]:
    owners = ownership.get(field, ())
    return [owners.lower()] if isinstance(owners, str) else [owner.lower() for owner in owners]


def _present(values: pd.Series) -> np.ndarray:
    """Non-empty values: not missing, not blank text, not an empty list. A text column is checked as a whole;
    only columns of mixed values are walked value by value."""
    if isinstance(values.dtype, pd.StringDtype):
        return (values.notna() & (values.str.strip() != "")).to_numpy(dtype=bool)

    def filled(value: object) -> bool:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return False
        if isinstance(value, str):
            return value.strip() != ""
        if isinstance(value, Iterable):
            return len(list(value)) > 0
        return not pd.isna(value)

    return np.fromiter((filled(value) for value in values.to_numpy(dtype=object)), dtype=bool, count=len(values))


def survive(
    records: pd.DataFrame,
    resolved: pd.DataFrame,
    ownership: Mapping[str, str | Sequence[str]] | None = None,
    key: str = "golden_customer_id",
    fields: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per golden id in `resolved[key]` with each field's surviving value and `<field>__source`.

    `ownership` maps a field to its owning system or ordered list of systems (default `DEFAULT_OWNERSHIP`).
    `fields` defaults to every column of `records` except bookkeeping ones. "Most recent" reads
    `source_updated_at` when present; records without a timestamp, or all records when the column is absent,
    rank after timestamped ones in input order. Records whose `key` is empty (e.g. no person) are ignored.
    """
    owned = DEFAULT_OWNERSHIP if ownership is None else ownership
    chosen_fields = (
        [column for column in records.columns if column not in BOOKKEEPING_COLUMNS] if fields is None else list(fields)
    )
    data = records.reset_index(drop=True).assign(record_id=lambda frame: frame["record_id"].astype("str"))
    golden = resolved[["record_id", key]].astype({"record_id": "str"})
    data = data.merge(golden, on="record_id", how="inner").dropna(subset=[key])
    data = data[data[key].astype("str") != ""].reset_index(drop=True)
    system = (
        data["source_system"].astype("str").str.lower()
        if "source_system" in data.columns
        else pd.Series("", index=data.index, dtype="str")
    )
    if "source_updated_at" in data.columns:
        updated = pd.to_datetime(data["source_updated_at"], utc=True, errors="coerce", format="mixed")
    else:
        updated = pd.Series(pd.NaT, index=data.index, dtype="datetime64[ns, UTC]")
    # Newest first; undated records after dated ones, in input order.
    recency = (-updated.astype("int64")).where(updated.notna(), np.iinfo(np.int64).max).to_numpy()

    result = pd.DataFrame({key: pd.unique(data[key])})
    for field in chosen_fields:
        if field not in data.columns:
            continue
        owners = _owners(owned, field)
        priority = system.map({owner: rank for rank, owner in enumerate(owners)}).fillna(len(owners)).to_numpy()
        candidates = pd.DataFrame(
            {
                key: data[key],
                "value": data[field],
                "source": data["record_id"],
                "priority": priority,
                "recency": recency,
                "position": np.arange(len(data)),
            }
        )[_present(data[field])]
        best = candidates.sort_values(["priority", "recency", "position"], kind="stable").drop_duplicates(key)
        best = best.set_index(key)
        result[field] = result[key].map(best["value"])
        result[f"{field}__source"] = result[key].map(best["source"])
    return result
