"""Entity resolution for customer records from many tools: a library with no pipeline or storage dependencies.

`resolve` links records into golden people and customers, `find_candidates` / `resolve_with_review` add the pairs a
data steward should decide, `survive` builds one golden row per cluster from the systems that own each field,
`assign_stable_ids` keeps golden ids stable across runs, `within_tool_duplicates` lists clusters holding several
records of one tool object, and `normalize_records` shows each record's identity fields in the normalised forms
matching compares (for stewards and stored customer records).
"""

from customer_hub.resolution.duplicates import within_tool_duplicates
from customer_hub.resolution.engine import Resolution, find_candidates, resolve, resolve_with_review
from customer_hub.resolution.normalized import (
    NORMALIZED_COLUMNS,
    NameUses,
    name_parts,
    normalize_records,
    record_name_parts,
)
from customer_hub.resolution.settings import BlockingSettings, Decision, ModelSettings, ResolutionSettings
from customer_hub.resolution.stable_ids import StableIdResult, assign_stable_ids
from customer_hub.resolution.survivorship import DEFAULT_OWNERSHIP, survive

__all__ = [
    "DEFAULT_OWNERSHIP",
    "NORMALIZED_COLUMNS",
    "BlockingSettings",
    "Decision",
    "ModelSettings",
    "NameUses",
    "Resolution",
    "ResolutionSettings",
    "StableIdResult",
    "assign_stable_ids",
    "find_candidates",
    "name_parts",
    "normalize_records",
    "record_name_parts",
    "resolve",
    "resolve_with_review",
    "survive",
    "within_tool_duplicates",
]
