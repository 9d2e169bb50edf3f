"""Which person records are the same person.

The same personal address is the same person. Every other pair is judged by the Fellegi-Sunter model
(`fellegi_sunter.py`) over the comparisons in `comparisons.py`, trained on the records being resolved - but only
pairs that share a key of some blocking rule are compared at all (`BLOCKING_RULES`, a union designed for recall:
a typo in one name, names entered swapped, a record with nothing but a name and a postcode still meet their
duplicates under some rule). Clusters are guarded: two clusters are never joined by probabilistic links when the
model scores some record of one and some record of the other as two people, so 'J Smith' cannot chain John Smith
and Jane Smith into one person, nor when they hold different addresses at one company: colleagues stay apart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from customer_hub.resolution.blocking import (
    BlockingReport,
    combine_codes,
    pairs_in_blocks,
    sorted_groups,
    star_edges,
    unique_pairs,
)
from customer_hub.resolution.clustering import Clustering, Links, cluster
from customer_hub.resolution.comparisons import (
    PERSON_COMPARISONS,
    Comparison,
    RecordContext,
    comparison_levels,
)
from customer_hub.resolution.emails import name_skeleton, one_typo_apart, spells_name
from customer_hub.resolution.fellegi_sunter import MatchModel, TrainingSession, estimate_prior, train
from customer_hub.resolution.pair_similarity import given_names_agree
from customer_hub.resolution.settings import ResolutionSettings
from customer_hub.resolution.sorted_values import sorted_unique
from customer_hub.resolution.union_find import connected_components

log = logging.getLogger(__name__)

_SCORING_CHUNK = 1_000_000
_GUARD_COMPONENT_LIMIT = 1000
"""Would-be clusters larger than this are not checked pair by pair (a million pairs); the address rule still
holds there."""

Keys = tuple[np.ndarray, np.ndarray]
"""Block keys: record positions and one key per position (a record may appear under several keys)."""


def _with_initials(context: RecordContext, prefix: np.ndarray) -> Keys:
    """Keys `prefix + initial` for the first letters of both the first and the last name, in one key space
    (records appear twice), so 'Smith John' and 'John Smith' share both keys."""
    features = context.features
    records = np.arange(features.size, dtype=np.int64)
    initials = np.concatenate([features.first_initial, features.last_initial])
    initials = np.where(initials > 0, initials, -1)
    return np.concatenate([records, records]), combine_codes(np.concatenate([prefix, prefix]), initials)


def _name_parts(context: RecordContext) -> tuple[np.ndarray, np.ndarray]:
    _, first, last, _ = context.name_vocabulary
    return first, last


def _part_with(context: RecordContext, other: np.ndarray) -> Keys:
    """Keys (one name part, `other`) for each of the two name parts, in one key space: a typo in the other part,
    or the parts entered swapped, still leaves one key shared."""
    first, last = _name_parts(context)
    records = np.arange(context.features.size, dtype=np.int64)
    return np.concatenate([records, records]), combine_codes(
        np.concatenate([first, last]), np.concatenate([other, other])
    )


def _part_and_initial(context: RecordContext) -> Keys:
    """Keys (one name part whole, the other's initial): a typo anywhere but the first letter of the other part."""
    features = context.features
    first, last = _name_parts(context)
    records = np.arange(features.size, dtype=np.int64)
    parts = np.concatenate([first, last])
    initials = np.concatenate([features.last_initial, features.first_initial])
    return np.concatenate([records, records]), combine_codes(parts, np.where(initials > 0, initials, -1))


def _sounds_like(context: RecordContext) -> Keys:
    """Key: the two name parts' Metaphone codes, in sorted order (typos in both parts that sound alike)."""
    _, first, last, phonetic = context.name_vocabulary
    phonetic = np.append(phonetic, -1)
    a, b = phonetic[first], phonetic[last]
    return np.arange(context.features.size, dtype=np.int64), combine_codes(np.minimum(a, b), np.maximum(a, b))


@dataclass(frozen=True)
class BlockingRule:
    """Records sharing a key under `keys` are compared; `enabled` reads the deployment's blocking switches."""

    name: str
    keys: Callable[[RecordContext], Keys]
    enabled: Callable[[ResolutionSettings], bool] = field(default=lambda settings: True)
    max_block_size: int | None = None
    """A cap below the deployment's for keys that are shared widely by nature (a postcode)."""


def _plain(codes: Callable[[RecordContext], np.ndarray]) -> Callable[[RecordContext], Keys]:
    return lambda context: (np.arange(context.features.size, dtype=np.int64), codes(context))


BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule(
        "account + initial",
        lambda c: _with_initials(c, np.where(c.features.has_account_evidence, c.account, -1)),
        lambda s: s.blocking.by_account,
    ),
    BlockingRule(
        "company name + initial", lambda c: _with_initials(c, c.account_names), lambda s: s.blocking.by_account
    ),
    BlockingRule("phone + initial", lambda c: _with_initials(c, c.features.phone.codes), lambda s: s.blocking.by_phone),
    BlockingRule(
        "full name", _plain(lambda c: c.features.name_key.codes), lambda s: s.blocking.by_name, max_block_size=40
    ),
    BlockingRule("name part + initial", _part_and_initial, lambda s: s.blocking.by_name, max_block_size=40),
    BlockingRule("names sound alike", _sounds_like, lambda s: s.blocking.by_name, max_block_size=20),
    BlockingRule(
        "full name + postcode",
        _plain(lambda c: combine_codes(c.features.name_key.codes, c.features.postcode.codes)),
        lambda s: s.blocking.by_place,
    ),
    BlockingRule(
        "full name + city",
        _plain(lambda c: combine_codes(c.features.name_key.codes, c.features.city.codes)),
        lambda s: s.blocking.by_place,
    ),
    BlockingRule(
        "name part + postcode", lambda c: _part_with(c, c.features.postcode.codes), lambda s: s.blocking.by_place
    ),
    BlockingRule("street", _plain(lambda c: c.features.street.codes), lambda s: s.blocking.by_place),
    BlockingRule(
        "street name + initial", lambda c: _with_initials(c, c.street_parts[0].codes), lambda s: s.blocking.by_place
    ),
    BlockingRule(
        "postcode", _plain(lambda c: c.features.postcode.codes), lambda s: s.blocking.by_place, max_block_size=40
    ),
    BlockingRule("birth date", _plain(lambda c: c.features.birth_date.codes)),
    BlockingRule("email local part", _plain(lambda c: c.email_local.codes)),
)
"""Every rule whose shared key makes two person records worth comparing."""

TRAINING_SESSIONS: tuple[TrainingSession, ...] = (
    TrainingSession("full name", lambda c: c.features.name_key.codes, frozenset({"first_name", "last_name"})),
    TrainingSession(
        "postcode", lambda c: c.features.postcode.codes, frozenset({"postcode", "city", "country", "street"})
    ),
    TrainingSession("street", lambda c: c.features.street.codes, frozenset({"street", "postcode", "city", "country"})),
    TrainingSession("phone", lambda c: c.features.phone.codes, frozenset({"phone"})),
    TrainingSession(
        "account",
        lambda c: np.where(c.features.has_account_evidence, c.account, -1),
        frozenset({"account", "email", "phone", "street", "postcode", "city", "country"}),
    ),
    TrainingSession("birth date", lambda c: c.features.birth_date.codes, frozenset({"birth_date"})),
)
"""Expectation-maximisation sessions: pairs of one key train m for the comparisons the key does not fix. A key fixes
what its non-matches share too: colleagues share an account and, at one office, its street, postcode and city, so
the account session trains names only (trained on places, its 'match' class became 'same office', and a different
surname weighed under two bits against a person)."""


def _sorted_neighbours(context: RecordContext, people: np.ndarray, window: int) -> Keys:
    """Pairs of records within `window` places of each other in full-name order, and again with each name read
    backwards (a typo in the first letters): as (left, right) arrays. Names are ranked once per distinct name."""
    names = context.features.full_name
    named = people[names.codes[people] >= 0]
    values = pd.Series(names.values, dtype="str")
    lefts, rights = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for spelled in (values, values.str[::-1]):
        rank = np.empty(len(values), dtype=np.int64)
        rank[np.argsort(spelled.to_numpy(dtype=object), kind="stable")] = np.arange(len(values))
        ordered = named[np.argsort(rank[names.codes[named]], kind="stable")]
        for offset in range(1, window + 1):
            lefts.append(ordered[:-offset])
            rights.append(ordered[offset:])
    return np.concatenate(lefts), np.concatenate(rights)


def candidate_pairs(
    context: RecordContext, people: np.ndarray, settings: ResolutionSettings, report: BlockingReport
) -> tuple[np.ndarray, np.ndarray]:
    """Record pairs among `people` worth scoring as possibly one person: the union of every enabled rule."""
    blocking = settings.blocking
    eligible = np.zeros(context.features.size, dtype=bool)
    eligible[people] = True
    features = context.features
    place = (features.email_domain.codes, context.account, features.city.codes, features.postcode.codes)
    rank = np.empty(features.size, dtype=np.int64)
    rank[np.lexsort((np.arange(features.size), *place))] = np.arange(features.size)
    size = np.int64(features.size)
    found = [np.zeros(0, np.int64)]  # each rule's pairs as one int64 (a * size + b): half the memory of two arrays
    for rule in BLOCKING_RULES:
        if not rule.enabled(settings):
            continue
        records, keys = rule.keys(context)
        keys = np.where(eligible[records], keys, -1)
        cap = min(blocking.max_block_size, rule.max_block_size or blocking.max_block_size)
        window = blocking.oversized_block_window
        left, right = report.pairs(rule.name, records, keys, cap, window=window, rank=rank)
        found.append(left * size + right)
    if blocking.sorted_neighbourhood_window and blocking.by_name:
        left, right = unique_pairs(*_sorted_neighbours(context, people, blocking.sorted_neighbourhood_window))
        report.add("sorted neighbourhood", len(left))
        found.append(left * size + right)
    del left, right
    encoded = sorted_unique(np.concatenate(found))
    return encoded // size, encoded % size


class PersonGuard:
    """Refuses probabilistic merges between person clusters that cannot hold one person: two records across them
    that the model itself scores as more likely two people (`pair_weights` below `floor`: 'J Smith' links to John
    Smith and to Jane Smith, but John and Jane score apart, so no chain joins them), or different personal
    addresses at the same company domain (colleagues, however alike their names), unless the two addresses are
    one person's aliases (`_aliases`)."""

    def __init__(
        self,
        context: RecordContext,
        labels: np.ndarray,
        touched: np.ndarray,
        pair_weights: dict[int, float],
        floor: float,
    ):
        features = context.features
        self._features, self._size, self._weights, self._floor = features, features.size, pair_weights, floor
        self._emails = np.asarray(features.person_email.values, dtype=object)
        members = np.flatnonzero(np.isin(labels, touched) & features.is_person)
        personal_work = features.person_email.present() & ~features.email_is_free
        work_domain = np.where(personal_work, features.email_domain.codes, -1)
        self._members: dict[int, list[int]] = {}
        self._addresses: dict[int, set[tuple[int, int, int]]] = {}
        for record, label in zip(members.tolist(), labels[members].tolist(), strict=True):
            self._members.setdefault(label, []).append(record)
            if work_domain[record] >= 0:
                address = (int(features.person_email.codes[record]), int(work_domain[record]), record)
                self._addresses.setdefault(label, set()).add(address)

    def allows(self, root_a: int, root_b: int) -> bool:
        """Merge allowed unless colleagues or a pair scored as two people would end up in one cluster. Addresses
        one slip of the keyboard apart (`one_typo_apart`) are one address mistyped, not two colleagues."""
        for email_a, domain_a, holder_a in self._addresses.get(root_a, ()):
            for email_b, domain_b, holder_b in self._addresses.get(root_b, ()):
                if domain_a != domain_b or email_a == email_b or self._mistyped(email_a, email_b):
                    continue
                if not self._aliases(holder_a, holder_b):
                    return False
        size, weights, floor = self._size, self._weights, self._floor
        for a in self._members.get(root_a, ()):
            for b in self._members.get(root_b, ()):
                weight = weights.get(min(a, b) * size + max(a, b))
                if weight is not None and weight < floor:
                    return False
        return True

    def _mistyped(self, email_a: int, email_b: int) -> bool:
        return bool(one_typo_apart(self._emails[[email_a]], self._emails[[email_b]])[0])

    def _aliases(self, holder_a: int, holder_b: int) -> bool:
        """Two addresses at one company that one person goes by ('john.smith@' in the CRM, 'jsmith@' on the
        invoices; 'william.brown@' and 'bill@'): both holders state one name (the same surname, the same given name
        or a nickname of it) and each address spells its holder's name, or the name its holder goes by ('bob.smith@'
        for Robert Smith; `spells_name`: no digit, which is how a company numbers a second John Smith). Namesake
        colleagues a company tells apart by letters alone ('john.smith@', 'johnsmith@') read as one person here;
        their pair still needs the model's score to merge."""
        features = self._features
        if not (features.states_name[holder_a] and features.states_name[holder_b]):
            return False
        first, last = features.first, features.last
        names = []
        for holder in (holder_a, holder_b):
            if first.codes[holder] < 0 or last.codes[holder] < 0:
                return False
            given, family = str(first.values[first.codes[holder]]), str(last.values[last.codes[holder]])
            local = str(self._emails[features.person_email.codes[holder]]).partition("@")[0]
            if not spells_name(local, given, family):
                return False
            names.append((given, family))
        (given_a, family_a), (given_b, family_b) = names
        return name_skeleton(family_a) == name_skeleton(family_b) and given_names_agree(given_a, given_b)

    def merged(self, kept: int, absorbed: int) -> None:
        """Carry the absorbed cluster's members and addresses over."""
        if absorbed in self._members:
            self._members.setdefault(kept, []).extend(self._members.pop(absorbed))
        if absorbed in self._addresses:
            self._addresses.setdefault(kept, set()).update(self._addresses.pop(absorbed))


def _pairs_within_components(
    model: MatchModel, context: RecordContext, components: np.ndarray, people: np.ndarray, limit: int
) -> dict[int, float]:
    """Total match weight (bits, prior included) of every pair of people inside each would-be cluster of three to
    `limit` records, keyed `a * size + b` (a < b): what the guard checks chains against."""
    size = context.features.size
    counts = np.bincount(components[people], minlength=size)
    chosen = people[(counts[components[people]] >= 3) & (counts[components[people]] <= limit)]
    left, right = pairs_in_blocks(chosen, components[chosen], limit)
    if not len(left):
        return {}
    _, weights, _ = score_pairs(model, context, left, right)
    totals = model.prior_weight + weights.sum(axis=1, dtype=np.float64)
    return dict(zip((left * size + right).tolist(), totals.tolist(), strict=True))


@dataclass(frozen=True)
class PeopleResult:
    """Person clusters over all records (labels of non-person records are meaningless), scored pairs between the
    review and auto-merge thresholds, the model that scored them and what blocking compared."""

    clustering: Clustering
    review: Links
    model: MatchModel | None
    blocking: BlockingReport
    review_reason: np.ndarray | None = None
    """Per review pair, why it was not merged: "below_auto_merge" or "surnames_differ" (`one_mailbox_two_surnames`)."""


def score_pairs(
    model: MatchModel, context: RecordContext, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Comparison levels, per-comparison weights and whether names were read swapped, for each pair. Pairs are
    compared a chunk at a time: the similarity arrays behind one chunk are several times its result's size."""
    levels, weights, swapped = [], [], []
    for start in range(0, max(len(left), 1), _SCORING_CHUNK):
        chunk_left, chunk_right = left[start : start + _SCORING_CHUNK], right[start : start + _SCORING_CHUNK]
        chunk_levels, chunk_swapped = comparison_levels(model.comparisons, context, chunk_left, chunk_right)
        levels.append(chunk_levels)
        weights.append(model.weights(chunk_levels, chunk_left, chunk_right, chunk_swapped))
        swapped.append(chunk_swapped)
    return np.concatenate(levels), np.concatenate(weights), np.concatenate(swapped)


def link_people(
    context: RecordContext,
    settings: ResolutionSettings,
    *,
    keep_apart: Sequence[tuple[int, int]] = (),
    merges: Sequence[tuple[int, int]] = (),
    estimated: Mapping[str, Any] | None = None,
) -> PeopleResult:
    """Cluster person records: exact personal addresses first (unless two people share the mailbox), then
    probabilistic links best first. With `estimated` (a stored model's `estimates()`) the model is not trained
    again."""
    features = context.features
    emails = np.where(features.is_person & ~context.shared_mailbox, features.person_email.codes, -1)
    email_hub, email_member = star_edges(np.arange(features.size), emails)
    exact = Links.of(email_hub, email_member, 1.0, "exact_email")
    by_email = connected_components(features.size, email_hub, email_member)

    people = np.flatnonzero(features.is_person & features.full_name.present())
    report = BlockingReport()
    left, right = candidate_pairs(context, people, settings, report)
    open_pair = by_email[left] != by_email[right]
    left, right = left[open_pair], right[open_pair]
    log.info("%d named person records, %d candidate pairs to score", len(people), len(left))
    if report.oversized_blocks:
        oversized = [
            f"{rule}: {fig['oversized_blocks']}" for rule, fig in report.rules.items() if fig["oversized_blocks"]
        ]
        log.info(
            "%d blocks over their size cap were compared within a window of %d only (%s)",
            report.oversized_blocks,
            settings.blocking.oversized_block_window,
            ", ".join(oversized),
        )
    model = None
    scored = Links.empty()
    if len(people) >= 2:
        model = train(
            PERSON_COMPARISONS,
            TRAINING_SESSIONS,
            context,
            people,
            settings.model,
            settings.blocking.max_block_size,
            estimated,
        )
        levels, weights, swapped = score_pairs(model, context, left, right)
        if estimated is None:
            model = _with_prior(model, context, people, (left, right, weights), settings)
        probability = model.probability(weights)
        log.info(
            "match model: prior %.2e, %d pairs at or above auto-merge %.2f, %d for review",
            model.prior,
            int((probability >= settings.auto_merge_threshold).sum()),
            settings.auto_merge_threshold,
            int(((probability >= settings.review_threshold) & (probability < settings.auto_merge_threshold)).sum()),
        )
        keep = probability >= settings.review_threshold
        scored = Links.of(
            left[keep],
            right[keep],
            probability[keep],
            "probabilistic",
            model.explain(levels[keep], weights[keep], swapped[keep]),
        )
        named_apart = other_names(model.comparisons, levels[keep])
    else:
        named_apart = np.zeros(0, dtype=bool)
    automatic = (scored.confidence >= settings.auto_merge_threshold) & ~named_apart
    pair_weights: dict[int, float] = {}
    if model is not None:
        linked = Links.concat(exact, scored.take(automatic))
        components = connected_components(features.size, linked.a, linked.b)
        pair_weights = _pairs_within_components(model, context, components, people, _GUARD_COMPONENT_LIMIT)
    floor = float(np.log2(settings.guard_probability / (1.0 - settings.guard_probability)))
    clustering = cluster(
        features.size,
        exact,
        scored.take(automatic),
        keep_apart=keep_apart,
        merges=merges,
        guard=lambda labels, touched: PersonGuard(context, labels, touched, pair_weights, floor),
    )
    review = scored.take(~automatic & ~named_apart)  # colleagues or a family (`other_names`), not a question
    reason = np.full(len(review), "below_auto_merge", dtype=object)
    if model is not None:
        mailbox_a, mailbox_b = one_mailbox_two_surnames(context)
        mailbox_levels, mailbox_weights, mailbox_swapped = score_pairs(model, context, mailbox_a, mailbox_b)
        probability = model.probability(mailbox_weights)
        unqueued = probability < settings.review_threshold  # a pair the model queued keeps its own reason
        evidence = model.explain(mailbox_levels[unqueued], mailbox_weights[unqueued], mailbox_swapped[unqueued])
        review = Links.concat(
            review,
            Links.of(mailbox_a[unqueued], mailbox_b[unqueued], probability[unqueued], "probabilistic", evidence),
        )
        reason = np.concatenate([reason, np.full(int(unqueued.sum()), "surnames_differ", dtype=object)])
    return PeopleResult(clustering, review, model, report, reason)


def one_mailbox_two_surnames(context: RecordContext) -> tuple[np.ndarray, np.ndarray]:
    """Record pairs that hold one personal mailbox under one given name and two surnames ('mary@acme.com' for Mary
    Jones and for Mary Smith): a surname that changed, or two people on one address. Such a mailbox proves nothing
    (`RecordContext.shared_mailbox`), so the names alone score the pair far apart; it goes to a steward rather than
    splitting unseen. A mailbox held under more than two names is a team's, and left out. One pair per mailbox: the
    first record of each name."""
    features = context.features
    vocabulary, first, last, _ = context.name_vocabulary
    holders = np.flatnonzero(
        context.shared_mailbox & features.is_person & features.states_name & (first >= 0) & (last >= 0)
    )
    named = pd.DataFrame(
        {"record": holders, "key": features.person_email.codes[holders], "first": first[holders], "last": last[holders]}
    ).drop_duplicates(["key", "first", "last"])
    named = named[named.groupby("key")["key"].transform("size") == 2].sort_values(["key", "record"], kind="stable")
    one, other = named.iloc[0::2], named.iloc[1::2]
    given = vocabulary.astype(object)
    agree = np.fromiter(
        (
            given_names_agree(str(given[a]), str(given[b]))
            for a, b in zip(one["first"].to_numpy(), other["first"].to_numpy(), strict=True)
        ),
        dtype=bool,
        count=len(one),
    )
    agree &= one["last"].to_numpy() != other["last"].to_numpy()
    return one["record"].to_numpy(np.int64)[agree], other["record"].to_numpy(np.int64)[agree]


_IDENTIFIERS = {"email": ("exact", "one_typo"), "phone": ("exact",), "birth_date": ("exact",)}
"""Comparison levels that identify a person whatever the names say."""


def other_names(comparisons: Sequence[Comparison], levels: np.ndarray) -> np.ndarray:
    """Pairs (rows of `levels`) of one account, or with no street address to compare, whose given names or surnames are
    clearly different ('Ben' and 'Tariq': no typo, nickname or initial; 'Tariq Weber' and 'Tariq Langford') and that
    share no identifier (`_IDENTIFIERS`): however well the rest agrees, such a pair is two people, neither merged
    nor queued. An account, a surname or a given name and a city are what colleagues share, and a surname, a city
    and a postcode what a family or neighbours share; the model, reading each comparison as independent evidence,
    adds them up past the bar: a small account's 'same' weighs as much as a phone. Queued, they were most of a
    steward's queue: at one account, for given names 713 of 776 review pairs on 10,000 synthetic records and 18 of
    62 on the sandbox (seed 31, scale 5), none one person; for surnames 31 of 59 and 17 of 42 after that; with no
    street, 738 of 1,032 person review pairs on 100,000 synthetic records (seed 123), none one person (the whole
    queue held 1,549 pairs at 100,000 records, seed 7, against 25 at 10,000). People precision and recall stayed or
    rose on every set but FEBRL 3 and 4 (recall 0.9802 and 0.9848 to 0.9793 and 0.9844), whose duplicates replace a
    given name ('Max Morrison' and 'Riley Morrison' at one postcode, one with no street). Merged, two colleagues
    named Tariq became one person at 0.99 (sandbox seed 77, scale 20). At one stated street the model decides: a
    household, or one person entered under two names."""
    names = [comparison.name for comparison in comparisons]
    if "account" not in names:
        return np.zeros(len(levels), dtype=bool)
    account = comparisons[names.index("account")]
    apart = np.zeros(len(levels), dtype=bool)
    for part in ("first_name", "last_name"):
        if part in names:
            comparison = comparisons[names.index(part)]
            apart |= levels[:, names.index(part)] == comparison.levels.index("different") + 1
    at_one_account = levels[:, names.index("account")] == account.levels.index("same") + 1
    no_street = levels[:, names.index("street")] == 0 if "street" in names else np.zeros(len(levels), dtype=bool)
    apart &= at_one_account | no_street
    for name, identifying in _IDENTIFIERS.items():
        if name in names:
            comparison = comparisons[names.index(name)]
            codes = [comparison.levels.index(level) + 1 for level in identifying]
            apart &= ~np.isin(levels[:, names.index(name)], codes)
    return apart


def _with_prior(
    model: MatchModel,
    context: RecordContext,
    people: np.ndarray,
    scored: tuple[np.ndarray, np.ndarray, np.ndarray],
    settings: ResolutionSettings,
) -> MatchModel:
    """The model with the prior estimated over every pair of `people`: the `scored` candidate pairs (left, right,
    weights), and the unscored pairs of records that share a last name, counted exactly and represented by a sample
    of `model.random_pairs` of them scored like the candidates. That is where the matches blocking missed are
    (a name block over its cap, a pair already joined by its address); a uniform sample of all pairs would hold a
    handful of them at best at scale, and the prior would swing with the draw."""
    left, right, weights = scored
    size = np.int64(context.features.size)
    last = context.features.last.codes
    members, start_of, size_of = sorted_groups(people, last[people])
    starts, first_member = np.unique(start_of, return_index=True)
    sizes = size_of[first_member]
    pairs = sizes * (sizes - 1) // 2
    shared = int(pairs.sum())
    same_scored = int(((last[left] == last[right]) & (last[left] >= 0)).sum())
    if shared - same_scored <= 0:
        return replace(model, prior=estimate_prior(model, weights, len(people), settings.model))
    rng = np.random.default_rng(settings.model.seed + 1)  # not the pairs u was counted on
    draw = min(settings.model.random_pairs, shared)
    group = np.searchsorted(np.cumsum(pairs), rng.integers(0, shared, draw), side="right")
    first = rng.integers(0, sizes[group])
    second = rng.integers(0, sizes[group] - 1)
    second = np.where(second >= first, second + 1, second)
    a, b = members[starts[group] + first], members[starts[group] + second]
    low, high = np.minimum(a, b), np.maximum(a, b)
    proposed = np.minimum(left, right) * size + np.maximum(left, right)
    outside = ~np.isin(low * size + high, proposed)
    _, sample, _ = score_pairs(model, context, low[outside], high[outside])
    unscored = sample.sum(axis=1, dtype=np.float64)
    prior = estimate_prior(model, weights, len(people), settings.model, unscored, float(shared - same_scored))
    return replace(model, prior=prior)
