"""Turning scored links into clusters while honouring steward decisions and guards.

Exact links are joined in bulk. Everything that needs a check (fuzzy links, steward merges, any link touching a
record a steward kept apart) is applied best-first by `ClusterMerger`, so the strongest evidence claims a record
before a weaker chain can drag it elsewhere. Refused links are returned for the review queue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from customer_hub.resolution.sorted_values import sorted_unique
from customer_hub.resolution.union_find import ClusterMerger, MergeGuard, connected_components

RULES = (
    "steward_merge",
    "exact_email",
    "shared_key",
    "company_domain",
    "company_name",
    "company_name_domain",
    "same_person_company",
    "company_name_corroborated",
    "company_name_fuzzy",
    "company_name_spacing",
    "named_after_person",
    "probabilistic",
)
"""Every `match_rule`, most specific first: between links of equal confidence the earlier rule explains a record
better."""

_CONSTANT_SCORES = {
    "steward_merge": '{"steward": "merge"}',
    "exact_email": '{"email": 100}',
    "shared_key": '{"shared_key": 100}',
    "company_domain": '{"domain": 100}',
    "company_name": '{"company": 100}',
    "company_name_domain": '{"company": 100, "domain": 100}',
    "named_after_person": '{"named_after_person": 100}',
}


@dataclass(frozen=True)
class Links:
    """Links `a[i]`-`b[i]` between record positions, with confidence (0..1), rule (index into RULES) and, for rules
    whose evidence varies, the JSON of the scores behind each link (None for rules with constant evidence)."""

    a: np.ndarray
    b: np.ndarray
    confidence: np.ndarray
    rule: np.ndarray
    scores: np.ndarray | None = None

    @classmethod
    def of(
        cls,
        a: np.ndarray,
        b: np.ndarray,
        confidence: float | np.ndarray,
        rule: str | np.ndarray,
        scores: np.ndarray | None = None,
    ) -> Links:
        """Links from parallel arrays; `rule` is one rule name for all or an array of names."""
        size = len(a)
        rules = (
            np.full(size, RULES.index(rule), dtype=np.int8)
            if isinstance(rule, str)
            else np.array([RULES.index(name) for name in rule], dtype=np.int8)
        )
        return cls(
            np.asarray(a, dtype=np.int32),
            np.asarray(b, dtype=np.int32),
            np.broadcast_to(np.asarray(confidence, dtype=np.float64), size).copy(),
            rules,
            None if scores is None else np.asarray(scores, dtype=object),
        )

    @classmethod
    def empty(cls) -> Links:
        """No links."""
        return cls.of(np.zeros(0, np.int32), np.zeros(0, np.int32), 1.0, "exact_email")

    @classmethod
    def concat(cls, *parts: Links) -> Links:
        """All links of `parts`, in order."""
        scores = None
        if any(part.scores is not None for part in parts):
            scores = np.concatenate(
                [part.scores if part.scores is not None else np.full(len(part), None, dtype=object) for part in parts]
            )
        return cls(
            np.concatenate([part.a for part in parts]),
            np.concatenate([part.b for part in parts]),
            np.concatenate([part.confidence for part in parts]),
            np.concatenate([part.rule for part in parts]),
            scores,
        )

    def __len__(self) -> int:
        return len(self.a)

    def take(self, rows: np.ndarray) -> Links:
        """The links at `rows` (positions or a boolean mask)."""
        return Links(
            self.a[rows],
            self.b[rows],
            self.confidence[rows],
            self.rule[rows],
            None if self.scores is None else self.scores[rows],
        )

    def rule_names(self) -> np.ndarray:
        """Rule name of each link."""
        return np.array(RULES, dtype=object)[self.rule]

    def describe(self) -> np.ndarray:
        """JSON of the evidence behind each link."""
        constant = np.array([_CONSTANT_SCORES.get(rule, "{}") for rule in RULES], dtype=object)[self.rule]
        if self.scores is None:
            return constant
        return np.where(pd.isna(self.scores), constant, self.scores)


@dataclass(frozen=True)
class Clustering:
    """Cluster label per record (its smallest member's position), the links that hold each cluster together, and
    links refused by a keep-apart decision or a guard with the reason ("keep_apart" or "guard")."""

    labels: np.ndarray
    links: Links
    refused: Links
    refused_reason: np.ndarray


def cluster(
    size: int,
    exact: Links,
    checked: Links,
    *,
    keep_apart: Sequence[tuple[int, int]] = (),
    merges: Sequence[tuple[int, int]] = (),
    guard: Callable[[np.ndarray, np.ndarray], MergeGuard] | None = None,
    initial: np.ndarray | None = None,
) -> Clustering:
    """Cluster `size` records from exact links (joined unless a keep-apart decision is involved) and checked links
    (applied best-first, each subject to keep-apart decisions and the `guard`, built from the bulk labels and the
    component labels the checked links touch). `initial` continues from an earlier clustering's labels."""
    constrained = np.zeros(size, dtype=bool)
    for record_a, record_b in keep_apart:
        constrained[[record_a, record_b]] = True
    touches_constrained = constrained[exact.a] | constrained[exact.b]
    bulk = exact.take(~touches_constrained)
    labels = connected_components(size, bulk.a, bulk.b, initial)
    del bulk

    forced = Links.of(
        np.array([a for a, _ in merges], dtype=np.int32),
        np.array([b for _, b in merges], dtype=np.int32),
        1.0,
        "steward_merge",
    )
    pending = Links.concat(forced, exact.take(touches_constrained), checked)
    guarded = np.concatenate(
        [np.zeros(len(forced) + int(touches_constrained.sum()), dtype=bool), np.ones(len(checked), dtype=bool)]
    )
    still_apart = labels[pending.a] != labels[pending.b]
    order = np.flatnonzero(still_apart)[np.argsort(-pending.confidence[still_apart], kind="stable")]
    pending, guarded = pending.take(order), guarded[order]

    touched = sorted_unique(np.concatenate([labels[pending.a], labels[pending.b]]))
    merger = ClusterMerger(labels, keep_apart, guard(labels, touched) if guard is not None else None)
    outcome = np.array(
        [
            merger.merge(a, b, guarded=g)
            for a, b, g in zip(pending.a.tolist(), pending.b.tolist(), guarded.tolist(), strict=True)
        ],
        dtype=object,
    )
    final = merger.labels()

    holding = Links.concat(*(part.take(final[part.a] == final[part.b]) for part in (exact, checked, forced)))
    refused = (outcome == "keep_apart") | (outcome == "guard")
    return Clustering(final, holding, pending.take(refused), outcome[refused].astype(str))
