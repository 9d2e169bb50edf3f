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


class ModelSettings(BaseModel):
    """How the Fellegi-Sunter model learns from the records (see `fellegi_sunter.py`).

    `prior_match_probability` is the share of record pairs that match assumed before any data is seen; with
    thousands of records the data overrides it. `random_pairs` sizes the sample u is counted on, `training_pairs`
    caps each expectation-maximisation session; a session whose pairs hold fewer than `min_training_matches`
    estimated matches teaches nothing and is left out. `seed` fixes the sampling, so the same records always give
    the same model (and the same golden ids).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    prior_match_probability: float = Field(default=1e-4, gt=0, lt=0.5)
    random_pairs: int = Field(default=150_000, ge=1_000)
    training_pairs: int = Field(default=60_000, ge=1_000)
    min_training_pairs: int = Field(default=50, ge=1)
    min_training_matches: float = Field(default=10.0, ge=0)
    em_iterations: int = Field(default=30, ge=1, le=1000)
    em_tolerance: float = Field(default=1e-4, gt=0)
    term_frequency: bool = True
    seed: int = 20_261_204


class BlockingSettings(BaseModel):
    """Which record pairs are compared at all: pairs sharing a key of any blocking rule (a union designed for
    recall). A block larger than `max_block_size` (a common value such as a switchboard number, or one prolific
    customer) is not compared pair by pair: each member meets only its `oversized_block_window` neighbours in
    place order (0 skips such blocks), and the run reports how many there were. `sorted_neighbourhood_window`
    pairs each record with the next records in name order, which catches typos no key shares."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_block_size: int = Field(default=150, ge=2)
    by_account: bool = True
    by_phone: bool = True
    by_place: bool = True
    by_name: bool = True
    sorted_neighbourhood_window: int = Field(default=2, ge=0)
    oversized_block_window: int = Field(default=2, ge=0)
    company_max_block_size: int = Field(default=60, ge=2)


class ResolutionSettings(BaseModel):
    """Thresholds and rules for `resolve`. Confidences are match probabilities (0..1): a person pair at or above
    `auto_merge_threshold` is linked, one between `review_threshold` and it goes to the review queue. Similarity
    scores are 0..100."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auto_merge_threshold: float = Field(default=0.92, gt=0, le=1)
    review_threshold: float = Field(default=0.80, gt=0, le=1)
    model: ModelSettings = ModelSettings()
    blocking: BlockingSettings = BlockingSettings()
    company_name_fuzzy_threshold: float = Field(default=90.0, ge=0, le=100)
    company_name_min_length: int = Field(default=5, ge=1)
    guard_probability: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="Two records the model scores below this match probability never end up in one person, "
        "whatever chain of links would join them.",
    )
    similar_company_score: float = Field(
        default=85.0,
        ge=0,
        le=100,
        description="Company names at least this similar (0-100) count as one company split by a typo when one "
        "person's records sit under both.",
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
