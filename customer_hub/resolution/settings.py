"""What a deployment can tune about matching, and the data stewards' decisions the engine must honour."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Decision(BaseModel):
    """A steward's verdict on two records.

    `keep_apart` holds even against an exact key (same email, same shared id); `merge` links the two as if a rule had
    matched. `level` says what the verdict is about: `person`, `customer` (the account), or None to let the engine
    pick `person` when both records name a person and `customer` otherwise. Where the two conflict, keep_apart wins.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_a: str
    record_b: str
    action: Literal["merge", "keep_apart"]
    level: Literal["person", "customer"] | None = None


class MatchWeights(BaseModel):
    """Log-odds evidence weights for scoring two person records (Fellegi-Sunter style).

    A candidate pair starts at `prior` (most pairs that share a block are different people) and each agreement or
    disagreement adds its weight; the confidence is the logistic of the total. Names must agree at least to
    `name_close_score` or the pair is not scored at all: nothing else makes two people one.

    A shared name is weaker evidence the more people carry it: outside a shared account the name weight is reduced
    by ln(records with that name / `common_name_baseline`), at most `common_name_cap`, so two 'John Smith' records
    in one postcode are not enough on their own.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    prior: float = -5.0
    name_exact: float = 6.0
    name_strong: float = 4.5
    name_close: float = 2.5
    name_exact_score: float = 97.0
    name_strong_score: float = 90.0
    name_close_score: float = 85.0
    first_name_min: float = 60.0
    last_name_min: float = 80.0
    same_account: float = 3.5
    similar_company: float = 2.0
    similar_company_score: float = 85.0
    different_account: float = -5.0
    email_conflict_same_domain: float = -5.0
    email_conflict_personal: float = -2.0
    email_conflict_other: float = -0.5
    phone_agrees: float = 4.5
    shared_phone_agrees: float = 0.5
    phone_differs: float = -0.5
    postcode_agrees: float = 2.0
    city_agrees: float = 0.5
    place_differs: float = -1.0
    common_name_baseline: float = 3.0
    common_name_cap: float = 2.5


class BlockingSettings(BaseModel):
    """Which record pairs are compared at all: only pairs sharing a block key, and no block larger than
    `max_block_size` (a block that big is a common value such as a switchboard number, not evidence)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_block_size: int = Field(default=150, ge=2)
    by_account: bool = True
    by_phone: bool = True
    by_place: bool = True
    company_max_block_size: int = Field(default=60, ge=2)


class ResolutionSettings(BaseModel):
    """Thresholds and rules for `resolve`. Confidences are 0..1, similarity scores 0..100."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auto_merge_threshold: float = Field(default=0.92, gt=0, le=1)
    review_threshold: float = Field(default=0.80, gt=0, le=1)
    weights: MatchWeights = MatchWeights()
    blocking: BlockingSettings = BlockingSettings()
    company_name_fuzzy_threshold: float = Field(default=90.0, ge=0, le=100)
    company_name_min_length: int = Field(default=5, ge=1)
    guard_name_similarity: float = Field(
        default=70.0,
        ge=0,
        le=100,
        description="Two different email addresses whose names score below this are different people, whatever "
        "chain of fuzzy matches would join them.",
    )
    default_phone_region: str = "US"
    free_mail_domains: frozenset[str] = frozenset()
    role_mailboxes: frozenset[str] = frozenset()
    decisions: tuple[Decision, ...] = ()

    @field_validator("decisions", mode="before")
    @classmethod
    def _read_decisions(cls, value: Any) -> Any:
        """Accept decisions as (a, b, action[, level]) tuples as well as mappings, the forms stewards export."""
        if not isinstance(value, Sequence) or isinstance(value, str):
            return value
        return tuple(
            dict(zip(("record_a", "record_b", "action", "level"), item, strict=False))
            if isinstance(item, Sequence) and not isinstance(item, str)
            else item
            for item in value
        )

    @field_validator("default_phone_region")
    @classmethod
    def _upper_region(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> ResolutionSettings:
        if self.review_threshold > self.auto_merge_threshold:
            raise ValueError("review_threshold must not exceed auto_merge_threshold")
        return self


def coerce_settings(settings: ResolutionSettings | Mapping[str, Any] | None) -> ResolutionSettings:
    """Settings from a model, a plain mapping (e.g. a YAML section) or None for the defaults."""
    if settings is None:
        return ResolutionSettings()
    if isinstance(settings, ResolutionSettings):
        return settings
    return ResolutionSettings.model_validate(dict(settings))
