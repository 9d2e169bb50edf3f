"""`resolve`: canonical records in, golden person and customer ids out, with the evidence behind each link.

Order matters: accounts are linked first from company evidence, people are then matched using those accounts as
evidence, accounts that one person places at similarly named companies are joined, and finally records with no
company of their own join their person's account (or become an individual customer). Output ids are derived from
the data ('P-'/'C-' plus the smallest record_id in the cluster); ids that stay stable across runs come from
`stable_ids.assign_stable_ids`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from customer_hub.resolution.accounts import (
    accounts_named_after_people,
    attach_people,
    link_accounts,
    link_accounts_through_people,
    move_named_accounts,
)
from customer_hub.resolution.blocking import BlockingReport
from customer_hub.resolution.clustering import Links
from customer_hub.resolution.comparisons import RecordContext
from customer_hub.resolution.fellegi_sunter import MatchModel
from customer_hub.resolution.people import link_people, score_pairs
from customer_hub.resolution.prepare import Features, prepare
from customer_hub.resolution.settings import ResolutionSettings, coerce_settings

OUTPUT_COLUMNS = (
    "record_id",
    "golden_person_id",
    "golden_customer_id",
    "confidence",
    "match_rule",
    "match_scores",
    "linked_to",
)
REVIEW_COLUMNS = (
    "record_id_a",
    "record_id_b",
    "level",
    "confidence",
    "match_rule",
    "match_scores",
    "reason",
)


@dataclass(frozen=True)
class Resolution:
    """Everything one resolution run produces.

    `records`: one row per input record, in input order, with OUTPUT_COLUMNS.
    `review`: record pairs a steward should look at (REVIEW_COLUMNS), best first: pairs scored between
    `review_threshold` and `auto_merge_threshold` (reason "below_auto_merge"), pairs that scored above it but
    were refused by a guard (reason "guard") and pairs holding one mailbox under one given name and two surnames
    (reason "surnames_differ", `people.one_mailbox_two_surnames`). Pairs that ended up in one cluster anyway, and
    pairs of one account whose given names or surnames differ with no identifier in common (`people.other_names`),
    are left out.
    `model`: the Fellegi-Sunter model trained on these records (None with fewer than two named people), whose
    `parameters()` show what each comparison level proved; `blocking`: pairs and blocks over their cap per rule;
    `context`: the normalised records the model compares, for `explain`.
    """

    records: pd.DataFrame
    review: pd.DataFrame
    model: MatchModel | None = None
    blocking: BlockingReport | None = None
    context: RecordContext | None = None

    def explain(self, record_a: str, record_b: str) -> dict[str, Any]:
        """Why two records are or are not one person and one customer: the model's evidence for the pair
        (each comparison's level and weight, the prior, the total and the probability), where each record ended
        up, and the link that placed each one. Raises KeyError naming a record id that is not in the run."""
        ids = self.records["record_id"]
        positions = pd.Index(ids).get_indexer([record_a, record_b])
        for record, position in zip((record_a, record_b), positions, strict=True):
            if position < 0:
                raise KeyError(record)
        a, b = self.records.iloc[positions[0]], self.records.iloc[positions[1]]
        explained: dict[str, Any] = {
            "same_person": a["golden_person_id"] is not None and a["golden_person_id"] == b["golden_person_id"],
            "same_customer": a["golden_customer_id"] == b["golden_customer_id"],
            "placed_by": {
                row["record_id"]: {"rule": row["match_rule"], "linked_to": row["linked_to"] or None} for row in (a, b)
            },
        }
        if self.model is not None and self.context is not None:
            left, right = np.array([positions[0]]), np.array([positions[1]])
            levels, weights, swapped = score_pairs(self.model, self.context, left, right)
            explained["pair"] = json.loads(self.model.explain(levels, weights, swapped)[0])
        return explained


@dataclass(frozen=True)
class _Decisions:
    person_apart: list[tuple[int, int]] = field(default_factory=list)
    person_merge: list[tuple[int, int]] = field(default_factory=list)
    customer_apart: list[tuple[int, int]] = field(default_factory=list)
    customer_merge: list[tuple[int, int]] = field(default_factory=list)


def _decisions(features: Features, settings: ResolutionSettings) -> _Decisions:
    """Steward decisions as record positions; decisions naming records not in this run are moot and skipped.

    Without a level, a merge joins both the records' customers and (when both name a person) their people: a
    steward who says "these are one" means the customer too. A keep-apart without a level separates people when
    both records name one (colleagues stay one customer) and customers otherwise; two individuals (people at no
    company) are their own customers, so keeping them apart separates their customers as well."""
    index = pd.Index(features.record_id)
    decisions = _Decisions()
    for decision in settings.decisions:
        positions = index.get_indexer([decision.record_a, decision.record_b])
        if (positions < 0).any():
            continue
        pair = (int(positions[0]), int(positions[1]))
        both_people = bool(features.is_person[positions].all())
        if decision.action == "keep_apart":
            level = decision.level or ("person" if both_people else "customer")
            getattr(decisions, f"{level}_apart").append(pair)
            at_company = features.company.present() | features.company_domain.present()
            if decision.level is None and both_people and not at_company[positions].any():
                decisions.customer_apart.append(pair)
            continue
        if decision.level in (None, "customer"):
            decisions.customer_merge.append(pair)
        if decision.level == "person" or (decision.level is None and both_people):
            decisions.person_merge.append(pair)
    return decisions


def _cluster_ids(prefix: str, labels: np.ndarray, record_id: pd.Series, order: np.ndarray) -> pd.Series:
    """`prefix` + the smallest record_id of each record's cluster; `order` sorts record ids ascending."""
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    smallest = np.full(len(order), len(order), dtype=np.int64)
    np.minimum.at(smallest, labels, rank)
    return prefix + record_id.take(order[smallest[labels]]).reset_index(drop=True)


def _explanations(size: int, person_links: Links, account_links: Links, is_person: np.ndarray) -> Links:
    """For each record, the link that best explains its place: its strongest person link if it names a person,
    otherwise its strongest account link. One link per record with `a` the record; `b` is -1 for singletons."""
    person_links = person_links.take(is_person[person_links.a] & is_person[person_links.b])
    links = Links.concat(person_links, account_links, Links.of([0], [-1], 1.0, "exact_email"))
    level = np.concatenate([np.zeros(len(person_links)), np.ones(len(account_links) + 1)])
    preference = level * 4.0 + (1.0 - links.confidence) * 2.0 + links.rule * 1e-3
    record = np.concatenate([links.a[:-1], links.b[:-1]])
    other = np.concatenate([links.b[:-1], links.a[:-1]])
    row = np.tile(np.arange(len(links) - 1), 2)
    order = np.lexsort((np.tile(preference[:-1], 2), record))
    first = order[np.r_[True, record[order][1:] != record[order][:-1]]] if len(order) else order
    chosen = np.full(size, len(links) - 1, dtype=np.int64)  # the placeholder link marks singletons
    chosen[record[first]] = row[first]
    partner = np.full(size, -1, dtype=np.int32)
    partner[record[first]] = other[first]
    best = links.take(chosen)
    return Links(np.arange(size, dtype=np.int32), partner, best.confidence, best.rule, best.scores)


def resolve_with_review(
    records: pd.DataFrame,
    settings: ResolutionSettings | Mapping[str, Any] | None = None,
    estimated: Mapping[str, Any] | None = None,
) -> Resolution:
    """Resolve `records` (canonical columns, `record_id` required) and collect the steward review queue. With
    `estimated` (an earlier run's `model.estimates()`) the match model is reused rather than trained again."""
    config = coerce_settings(settings)
    features = prepare(records, config)
    size = features.size
    decisions = _decisions(features, config)
    is_person = features.is_person

    accounts = link_accounts(features, config, keep_apart=decisions.customer_apart, merges=decisions.customer_merge)
    context = RecordContext(features, accounts.clustering.labels, accounts.names)
    linked_people = link_people(
        context, config, keep_apart=decisions.person_apart, merges=decisions.person_merge, estimated=estimated
    )
    people, person_review = linked_people.clustering, linked_people.review
    joined = link_accounts_through_people(
        features, accounts, people.labels, config, keep_apart=decisions.customer_apart
    )
    clustered = np.bincount(joined.labels, minlength=size)[joined.labels] > 1
    account_labels = attach_people(
        joined.labels, features.has_account_evidence | clustered, people.labels, is_person, decisions.customer_apart
    )
    named_after = accounts_named_after_people(features, people.labels, account_labels, decisions.customer_apart)
    account_labels = move_named_accounts(account_labels, named_after)

    record_id = features.record_id
    order = record_id.argsort().to_numpy()
    best = _explanations(
        size, people.links, Links.concat(accounts.clustering.links, joined.links, named_after), is_person
    )
    linked = best.b >= 0
    output = pd.DataFrame(
        {
            "record_id": record_id,
            "golden_person_id": _cluster_ids("P-", people.labels, record_id, order)
            .astype(object)
            .where(is_person, None),
            "golden_customer_id": _cluster_ids("C-", account_labels, record_id, order),
            "confidence": np.round(best.confidence, 4),
            "match_rule": pd.Series(np.where(linked, best.rule_names(), "singleton"), dtype="str"),
            "match_scores": pd.Series(np.where(linked, best.describe(), "{}"), dtype="str"),
            "linked_to": record_id.take(np.maximum(best.b, 0)).reset_index(drop=True).where(linked, ""),
        }
    )
    review = _review_queue(
        record_id,
        [
            (person_review, linked_people.review_reason, "person", people.labels),
            (people.refused, people.refused_reason, "person", people.labels),
            (accounts.review, None, "customer", account_labels),
            (accounts.clustering.refused, accounts.clustering.refused_reason, "customer", account_labels),
            (joined.refused, joined.refused_reason, "customer", account_labels),
        ],
    )
    return Resolution(output, review, linked_people.model, linked_people.blocking, context)


def _review_queue(record_id: pd.Series, parts: list[tuple[Links, np.ndarray | None, str, np.ndarray]]) -> pd.DataFrame:
    frames = []
    for links, reasons, level, labels in parts:
        reason = np.full(len(links), "below_auto_merge", dtype=object) if reasons is None else reasons
        keep = (reason != "keep_apart") & (labels[links.a] != labels[links.b])
        kept = links.take(keep)
        frames.append(
            pd.DataFrame(
                {
                    "record_id_a": record_id.take(kept.a).to_numpy(dtype=object),
                    "record_id_b": record_id.take(kept.b).to_numpy(dtype=object),
                    "level": level,
                    "confidence": np.round(kept.confidence, 4),
                    "match_rule": kept.rule_names(),
                    "match_scores": kept.describe(),
                    "reason": reason[keep],
                },
                columns=list(REVIEW_COLUMNS),
            )
        )
    review = pd.concat(frames, ignore_index=True).astype(
        {
            "record_id_a": "str",
            "record_id_b": "str",
            "level": "str",
            "match_rule": "str",
            "match_scores": "str",
            "reason": "str",
            "confidence": "float64",
        }
    )
    review = review.sort_values(["confidence", "record_id_a", "record_id_b"], ascending=[False, True, True])
    return review.drop_duplicates(["record_id_a", "record_id_b", "level"]).reset_index(drop=True)


def resolve(records: pd.DataFrame, settings: ResolutionSettings | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One row per record, same order: record_id, golden_person_id (None where the record names no person),
    golden_customer_id, confidence (0..1), match_rule, match_scores (JSON of the evidence) and linked_to (the
    record it was linked through, '' for singletons)."""
    return resolve_with_review(records, settings).records


def find_candidates(
    records: pd.DataFrame, settings: ResolutionSettings | Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The steward review queue for `records`; see `Resolution.review`."""
    return resolve_with_review(records, settings).review
