"""Which person records are the same person.

The same personal address is the same person. Otherwise two records must agree on the name and be compared at all:
only pairs sharing an account (or account name) and an initial, a phone number and an initial, or the full name
and a postcode or city are scored (`scoring.score_person_pairs`). Clusters are guarded: two clusters whose names
clearly differ are never joined by fuzzy links, so 'J Smith' cannot chain John Smith and Jane Smith into one person.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from customer_hub.resolution.blocking import combine_codes, pairs_in_blocks, star_edges, unique_pairs
from customer_hub.resolution.clustering import Clustering, Links, cluster
from customer_hub.resolution.prepare import Features
from customer_hub.resolution.scoring import describe_person_scores, score_person_pairs
from customer_hub.resolution.settings import ResolutionSettings
from customer_hub.resolution.union_find import connected_components


def _by_initials(features: Features, prefix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Block keys `prefix + initial` for the first letters of both the first and the last name, in one key space
    (records appear twice), so 'Smith John' and 'John Smith' share both keys."""
    records = np.arange(features.size, dtype=np.int64)
    initials = np.concatenate([features.first_initial, features.last_initial])
    initials = np.where(initials > 0, initials, -1)
    return np.concatenate([records, records]), combine_codes(np.concatenate([prefix, prefix]), initials)


def candidate_pairs(
    features: Features, account: np.ndarray, account_names: np.ndarray, settings: ResolutionSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Record pairs worth scoring as possibly one person."""
    blocking = settings.blocking
    named = features.is_person & features.full_name.present()
    records = np.arange(features.size, dtype=np.int64)
    blocks: list[tuple[np.ndarray, np.ndarray]] = []
    if blocking.by_account:
        blocks.append(_by_initials(features, np.where(named & features.has_account_evidence, account, -1)))
        blocks.append(_by_initials(features, np.where(named, account_names, -1)))
    if blocking.by_phone:
        blocks.append(_by_initials(features, np.where(named, features.phone.codes, -1)))
    if blocking.by_place:
        for place in (features.postcode, features.city):
            blocks.append((records, np.where(named, combine_codes(features.name_key.codes, place.codes), -1)))
    lefts, rights = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for block_records, keys in blocks:
        left, right = pairs_in_blocks(block_records, keys, blocking.max_block_size)
        lefts.append(left)
        rights.append(right)
    return unique_pairs(np.concatenate(lefts), np.concatenate(rights))


class PersonGuard:
    """Refuses fuzzy merges between person clusters that cannot hold one person: one cluster has a name clearly
    different from a name in the other (under different addresses), or the two hold different personal addresses
    at the same company domain (two people at one company, however alike their names)."""

    def __init__(self, features: Features, labels: np.ndarray, touched: np.ndarray, threshold: float):
        self._threshold = threshold
        members = np.flatnonzero(
            np.isin(labels, touched) & (features.full_name.present() | features.person_email.present())
        )
        work_domain = np.where(features.email_is_free, -1, features.email_domain.codes)
        frame = pd.DataFrame(
            {
                "label": labels[members],
                "email": features.person_email.codes[members],
                "domain": np.where(features.person_email.present(), work_domain, -1)[members],
                "name": features.full_name.codes[members],
            }
        ).drop_duplicates()
        names = np.append(features.full_name.values, "").astype(object)
        self._identities: dict[int, list[tuple[int, int, str]]] = {}
        for label, email, domain, name in frame.itertuples(index=False):
            self._identities.setdefault(int(label), []).append((int(email), int(domain), names[name]))

    def allows(self, root_a: int, root_b: int) -> bool:
        """Merge allowed unless some identity in one cluster rules out some identity in the other."""
        for email_a, domain_a, name_a in self._identities.get(root_a, ()):
            for email_b, domain_b, name_b in self._identities.get(root_b, ()):
                if email_a >= 0 and email_a == email_b:
                    continue
                if domain_a >= 0 and domain_a == domain_b:
                    return False
                if name_a and name_b and fuzz.token_sort_ratio(name_a, name_b) < self._threshold:
                    return False
        return True

    def merged(self, kept: int, absorbed: int) -> None:
        """Carry the absorbed cluster's names over."""
        if absorbed in self._identities:
            self._identities.setdefault(kept, []).extend(self._identities.pop(absorbed))


def link_people(
    features: Features,
    account: np.ndarray,
    account_names: np.ndarray,
    settings: ResolutionSettings,
    *,
    keep_apart: Sequence[tuple[int, int]] = (),
    merges: Sequence[tuple[int, int]] = (),
) -> tuple[Clustering, Links]:
    """Person clusters over all records (labels of non-person records are meaningless), and scored pairs between
    the review and auto-merge thresholds."""
    emails = np.where(features.is_person, features.person_email.codes, -1)
    email_hub, email_member = star_edges(np.arange(features.size), emails)
    exact = Links.of(email_hub, email_member, 1.0, "exact_email")
    by_email = connected_components(features.size, email_hub, email_member)

    left, right = candidate_pairs(features, account, account_names, settings)
    open_pair = by_email[left] != by_email[right]
    left, right = left[open_pair], right[open_pair]
    scores = score_person_pairs(features, account, account_names, left, right, settings.weights)
    worth_keeping = (scores["confidence"] >= settings.review_threshold).to_numpy()
    left, right, scores = left[worth_keeping], right[worth_keeping], scores[worth_keeping].reset_index(drop=True)
    rule = np.select(
        [scores["account"].to_numpy() > 0, scores["phone"].to_numpy() == 1],
        ["fuzzy_name_company", "fuzzy_name_phone"],
        "fuzzy_name_place",
    )
    scored = Links.of(left, right, scores["confidence"].to_numpy(), rule, describe_person_scores(scores))
    automatic = scored.confidence >= settings.auto_merge_threshold
    clustering = cluster(
        features.size,
        exact,
        scored.take(automatic),
        keep_apart=keep_apart,
        merges=merges,
        guard=lambda labels, touched: PersonGuard(features, labels, touched, settings.guard_name_similarity),
    )
    return clustering, scored.take(~automatic)
