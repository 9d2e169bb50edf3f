"""Duplicates inside one tool: the golden customers that one tool holds several times.

Resolution already merges them across tools; this report is for cleaning the tools themselves, e.g. the three
HubSpot company records that all turn out to be 'Acme Corp'.
"""

from __future__ import annotations

import pandas as pd


def within_tool_duplicates(
    records: pd.DataFrame, resolved: pd.DataFrame, key: str = "golden_customer_id"
) -> pd.DataFrame:
    """Golden ids holding more than one record of the same `source_system` and `source_object`.

    Columns: `key`, source_system, source_object, record_count, record_ids (sorted list), largest groups first.
    """
    sources = records[["record_id", "source_system", "source_object"]].astype({"record_id": "str"})
    joined = sources.merge(resolved[["record_id", key]].astype({"record_id": "str"}), on="record_id")
    grouping = [key, "source_system", "source_object"]
    joined = joined.dropna(subset=[key])
    joined = joined[joined.duplicated(grouping, keep=False)].sort_values("record_id")  # only groups of two or more
    groups = joined.groupby(grouping, dropna=False)["record_id"].agg(record_count="size", record_ids=list)
    groups = groups.reset_index()
    return groups.sort_values(["record_count", key], ascending=[False, True], ignore_index=True)
