"""Which records belong to one account (a company, or an individual customer).

Evidence, strongest first: a shared key (one tool storing another's id, an invoice naming its customer), a company
domain (website or work address), one personal address, the exact normalised company name, a name no record gives a
domain for and the one domain that spells it, then a close company-name spelling (linked when very close, or when
the two names' records share a phone number; the rest, and names spaced otherwise, 'AcmeCorp' and 'Acme Corp', go
to review). A company name is only trusted while it points at one company: when records with the same name carry
domains of different, unlinked companies, the name is read together with the city or not at all, and a fuzzy name
match never joins two clusters that each have their own domains.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from customer_hub.resolution.blocking import combine_codes, pairs_in_blocks, star_edges
from customer_hub.resolution.clustering import Clustering, Links, cluster
from customer_hub.resolution.companies import (
    a_doubtful_slip_apart,
    a_word_put_in,
    company_similarity,
    one_word_apart,
    spacing_keys,
)
from customer_hub.resolution.domains import registrable_domains
from customer_hub.resolution.prepare import Features
from customer_hub.resolution.settings import ResolutionSettings
from customer_hub.resolution.text import Coded
from customer_hub.resolution.union_find import connected_components

_NO_DOMAIN = -1


def _shared_key_edges(features: Features) -> Links:
    hub, member = star_edges(features.shared_keys.records, features.shared_keys.codes)
    return Links.of(hub, member, 1.0, "shared_key")


def _address_edges(features: Features) -> Links:
    """Records carrying one personal address (not a role mailbox) belong to one customer: an invoice or a
    spreadsheet row keyed by a buyer's gmail address is that buyer's, whatever else it names."""
    hub, member = star_edges(np.arange(features.size), features.personal_email.codes)
    return Links.of(hub, member, 1.0, "exact_email")


def _domain_edges(features: Features) -> Links:
    hub, member = star_edges(np.arange(features.size), features.company_domain.codes)
    return Links.of(hub, member, 0.99, "company_domain")


def _domain_anchors(features: Features, anchor_links: Links) -> np.ndarray:
    """For records with a company domain, the cluster formed by domains and shared keys alone; -1 for the others.
    Two different anchors under one company name mean two companies share the name."""
    labels = connected_components(features.size, anchor_links.a, anchor_links.b)
    return np.where(features.company_domain.present(), labels, _NO_DOMAIN)


def _ambiguous(keys: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """The keys whose records carry more than one domain anchor."""
    frame = pd.DataFrame({"key": keys, "anchor": anchors})
    counts = frame[(frame["key"] >= 0) & (frame["anchor"] != _NO_DOMAIN)].groupby("key")["anchor"].nunique()
    return counts.index[counts > 1].to_numpy()


def _first_records(coded: Coded, size: int) -> np.ndarray:
    """Per value of `coded`, the first record holding it (`size` for a value no record holds): one record to link a
    value through, since the records sharing it are linked already."""
    first = np.full(len(coded.values), size, dtype=np.int64)
    held = np.flatnonzero(coded.present())
    np.minimum.at(first, coded.codes[held], held)
    return first


def _company_name_edges(features: Features, anchors: np.ndarray, individual: np.ndarray) -> Links:
    """Records giving one company name are one account, unless the name is also held under different domains
    (then name and city together). A name that is an individual's (`_individual_names`) links nothing here: two
    individuals may share it, and `accounts_named_after_people` places such records once people are known."""
    company = np.where(individual[features.company_as_name.codes], -1, features.company.codes)  # -1: trailing False
    by_name = np.where(np.isin(company, _ambiguous(company, anchors)), -1, company)
    with_city = combine_codes(company, features.city.codes)
    with_city = np.where((by_name < 0) & ~np.isin(with_city, _ambiguous(with_city, anchors)), with_city, -1)
    keys = np.where(by_name >= 0, by_name, np.where(with_city >= 0, with_city + len(features.company.values), -1))
    hub, member = star_edges(np.arange(features.size), keys)
    return Links.of(hub, member, 0.95, "company_name")


def _name_in_domain_edges(features: Features, settings: ResolutionSettings, individual: np.ndarray) -> Links:
    """A company name no record gives a domain for, and the one company domain that spells it ('Thompson Analytics
    Co.' and 'lthompson@thompsonanalytics.com', 'Acme Inc' and acme.com): one account. A CRM company filed without
    its website and its contacts' work addresses otherwise meet only through a person both name, and a person is
    told apart from a namesake by her account. Left out: a name that is an individual's (`_individual_names`) or
    has fewer than `company_name_min_length` letters, and a spelling two domains share ('acme.com', 'acme.co.uk'):
    which one the name means is not known. One link per name, between a record of it and a record of the domain,
    applied under the domain guard."""
    company, domain = features.company, features.company_domain
    if not company.present().any() or not domain.present().any():
        return Links.empty()
    named_after = individual[features.company_as_name.codes]  # -1 takes the trailing False
    with_domain = np.zeros(len(company.values) + 1, dtype=bool)
    with_domain[company.codes[domain.present() | named_after]] = True
    letters = pd.Series(company.values, dtype="str").str.replace(r"[^a-z0-9]", "", regex=True)
    usable = ~with_domain[:-1] & (letters.str.len() >= settings.company_name_min_length).to_numpy()
    registered = registrable_domains(pd.Series(domain.values, dtype="str"))
    spelt = registered.str.split(".").str[0].str.replace(r"[^a-z0-9]", "", regex=True)
    spelt = spelt.where(~spelt.duplicated(keep=False), "")
    names = pd.DataFrame({"letters": letters[usable], "name": np.flatnonzero(usable)})
    pairs = names.merge(pd.DataFrame({"letters": spelt, "domain": np.arange(len(spelt))}), on="letters")
    pairs = pairs[pairs["letters"] != ""]
    if not len(pairs):
        return Links.empty()
    left = _first_records(company, features.size)[pairs["name"].to_numpy(np.int64)]
    right = _first_records(domain, features.size)[pairs["domain"].to_numpy(np.int64)]
    return Links.of(left, right, 0.95, "company_name_domain")


def _block_keys(names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each name under a key per ordered pair of its first three words: one word whole, the other by its initial.
    A typo in one word leaves the key that spells the other word out, so 'royal tavel' meets 'royal travel'."""
    positions: list[int] = []
    keys: list[str] = []
    for position, name in enumerate(names):
        words = name.split()[:3]
        name_keys = [f"{a}|{b[0]}" for i, a in enumerate(words) for j, b in enumerate(words) if i != j]
        if len(words) == 1:
            name_keys = ["1|" + name[:4], "1|" + name[-4:]]
        positions += [position] * len(name_keys)
        keys += name_keys
    return np.array(positions, dtype=np.int64), pd.factorize(np.array(keys, dtype=object))[0]


def _fuzzy_company_pairs(
    features: Features, anchors: np.ndarray, settings: ResolutionSettings, individual: np.ndarray
) -> tuple[Links, np.ndarray]:
    """Close spellings of different company names, as links between a representative record of each name, and which
    of them are one name with a word put in (`companies.a_word_put_in`): neither merged nor queued on the names
    alone, and one company when their records share a phone (`_corroborated`)."""
    codes, names = features.company.codes, features.company.values
    present = np.flatnonzero(codes >= 0)
    representative = _first_records(features.company, features.size)
    anchor = np.full(len(names), _NO_DOMAIN, dtype=np.int64)
    np.maximum.at(anchor, codes[present], anchors[present])
    usable = ~np.isin(np.arange(len(names)), _ambiguous(codes, anchors)) & (representative < features.size)
    lengths = np.fromiter((len(name) for name in names), dtype=np.int64, count=len(names))
    eligible = np.flatnonzero(usable & (lengths >= settings.company_name_min_length))
    positions, keys = _block_keys(names[eligible])
    left, right = pairs_in_blocks(positions, keys, settings.blocking.company_max_block_size)
    spaced_left, spaced_right = _spaced_alike(names, np.flatnonzero(usable))
    left, right = eligible[left], eligible[right]
    within_left, within_right = _names_within(names, eligible, (left, right))
    kind = np.repeat([0, 1, 2], [len(left), len(spaced_left), len(within_left)])  # blocks, spacing, leading words
    spaced, within = kind == 1, kind == 2
    left = np.concatenate([left, spaced_left, within_left])
    right = np.concatenate([right, spaced_right, within_right])
    compatible = (anchor[left] == _NO_DOMAIN) | (anchor[right] == _NO_DOMAIN) | (anchor[left] == anchor[right])
    left, right, spaced, within = left[compatible], right[compatible], spaced[compatible], within[compatible]
    similarity = company_similarity(names[left], names[right])
    named_alike = (similarity >= settings.review_threshold * 100) | spaced | within
    apart = one_word_apart(names[left], names[right]) | _two_individuals(features, individual, left, right)
    keep = named_alike & ~apart
    similarity, spaced, within = similarity[keep], spaced[keep], within[keep]
    slip = a_doubtful_slip_apart(names[left[keep]], names[right[keep]])
    put_in = a_word_put_in(names[left[keep]], names[right[keep]])
    scores = np.array(
        [json.dumps({"company": round(value), **({"spacing": 100} if alike else {}),
                     **({"leading_words": 100} if leads else {}), **({"short_word_letter": 0} if doubtful else {}),
                     **({"word_put_in": 100} if added else {})})
         for value, alike, leads, doubtful, added in zip(similarity.tolist(), spaced.tolist(), within.tolist(),
                                                        slip.tolist(), put_in.tolist(), strict=True)],
        dtype=object,
    )  # fmt: skip
    # names spaced otherwise, one name leading another, or a letter apart in a short word, are a steward's question
    # (at most just below the fuzzy threshold), never a merge on the name alone, and a word put in is not even that
    # (`link_accounts` leaves it out of the queue); a shared phone still links them (`_corroborated`)
    below_fuzzy = (settings.company_name_fuzzy_threshold - 1) / 100.0
    confidence = np.where(spaced, settings.review_threshold, similarity / 100.0)
    confidence = np.where(within, np.clip(confidence, settings.review_threshold, below_fuzzy), confidence)
    confidence = np.where(slip | put_in, np.minimum(confidence, below_fuzzy), confidence)
    rule = np.where(spaced, "company_name_spacing", "company_name_fuzzy")
    return Links.of(representative[left[keep]], representative[right[keep]], confidence, rule, scores), put_in


_KNOWN_NAME_HOLDERS = 2
"""Person records that must state a given name or a surname before a company name made of it reads as an
individual's: a value one record holds may be a company typed into a name field."""


def _individual_names(features: Features) -> np.ndarray:
    """Per value of `Features.company_as_name`, whether it is an individual's name, and False once more at the end
    (for records without one): a given name and a surname the hub's person records state (`_KNOWN_NAME_HOLDERS`
    each), with no legal form. 'Jordan Logistics' has no surname. Asana projects and accounting customers named
    after the customer carry such names."""
    given = _held_names(features.first, features.is_person)
    surnames = _held_names(features.last, features.is_person)
    parts = [name.split() for name in features.company_as_name.values.tolist()]
    return np.array([words[0] in given and words[-1] in surnames for words in parts] + [False], dtype=bool)


def _two_individuals(features: Features, individual: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Pairs of company names (codes) that are both individuals' names (`_individual_names`: 'Erin Brooks' and
    'Erik Brooks', 'Miller, Priya' and 'Priya Miller'). Company names are few and far apart, so two that are spelt
    alike are one company misspelt; people's names are many and close together, so two individuals' names a letter
    apart are two people far more often than a typo, one name may be two namesakes', and as a hub grows such pairs
    grow with the square of its people. Such a pair is left to the evidence people are told apart by (addresses,
    phones, `accounts_named_after_people`), neither merged nor queued on the spelling."""
    as_name = features.company_as_name
    held = np.flatnonzero(as_name.present())
    if not len(held) or not len(left):
        return np.zeros(len(left), dtype=bool)
    name_of = np.full(len(features.company.values), -1, dtype=np.int64)
    name_of[features.company.codes[held]] = as_name.codes[held]
    return individual[name_of[left]] & individual[name_of[right]]  # -1 takes the trailing False


def _held_names(names: Coded, is_person: np.ndarray) -> frozenset[str]:
    """The name values (given names or surnames) at least `_KNOWN_NAME_HOLDERS` person records state."""
    codes = names.codes[is_person & names.present()]
    counts = np.bincount(codes, minlength=len(names.values))
    return frozenset(names.values[counts >= _KNOWN_NAME_HOLDERS].tolist())


_LED_NAMES = 3
"""Longer company names one name may lead before it pairs with none of them: a name leading many is a common word
('global', 'united') rather than one company."""


def _names_within(
    names: np.ndarray, candidates: np.ndarray, compared: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of the `candidates` names (codes) where one is the other's leading words ('initech' and 'initech
    software', 'brightforge analytics' and 'brightforge analytics group'), left out when the blocks already
    `compared` them: a company and its name with a line of business, a region or an office after it, a misspelt
    legal form the normaliser kept ('jubilantwharf lllc'), or two companies that share their first words ('sushi',
    'sushi aka'). Blocks pair names by two of their words, so a one-word name never meets a longer one. Such a pair
    is a steward's question, however alike as strings, and a shared phone links it (`_corroborated`). A name
    leading more than `_LED_NAMES` others pairs with none."""
    text = names[candidates].tolist()
    leading = [
        (" ".join(words[:count]), code)
        for code, name in zip(candidates.tolist(), text, strict=True)
        for words in [name.split()]
        for count in range(1, len(words))
    ]
    if not leading:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    led = pd.DataFrame(leading, columns=["name", "longer"])
    pairs = pd.DataFrame({"name": text, "code": candidates}).merge(led, on="name")
    pairs = pairs[pairs.groupby("code")["longer"].transform("size") <= _LED_NAMES]
    left, right = pairs["code"].to_numpy(np.int64), pairs["longer"].to_numpy(np.int64)
    span = np.int64(len(names))
    seen = np.minimum(*compared).astype(np.int64) * span + np.maximum(*compared)
    new = ~np.isin(np.minimum(left, right) * span + np.maximum(left, right), seen)
    return left[new], right[new]


def _spaced_alike(names: np.ndarray, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of the `candidates` names (codes) that are the same letters spaced otherwise ('datadog', 'data dog'),
    or one with a legal form glued to its end ('acmecorp', 'acme' from 'Acme Corp'), each paired with the first of
    its kind. Such names are at least a steward's question, however far apart as strings; they are not merged on
    the name alone ('Pen Island', 'Penis Land')."""
    keys = spacing_keys(pd.Series(names[candidates], dtype="str"))
    usable = np.flatnonzero(keys != "")
    groups = pd.factorize(keys[usable])[0]
    first = np.full(groups.max() + 1 if len(groups) else 0, len(usable), dtype=np.int64)
    np.minimum.at(first, groups, np.arange(len(usable)))
    others = np.flatnonzero(first[groups] != np.arange(len(usable)))
    return candidates[usable[first[groups[others]]]], candidates[usable[others]]


_SHARED_NUMBER_NAMES = 3
"""Company names one phone number may be held under before it corroborates none of them: a number on many
companies' records is an office's, an accountant's or a reseller's."""


def _corroborated(features: Features, fuzzy: Links) -> Links:
    """Close company names whose records share a phone number, marked as such (`company_name_corroborated`, the
    number in the evidence): 'Brightforge Analytics Group' and 'Brightforge Analytics' on one number are one
    company, where the names alone go to a steward. Every record under either name counts, so a contact's direct
    line on the CRM side meets the same number in the books. A street address does not count: a group and its
    subsidiary, or every company a registered agent serves, share one."""
    if not len(fuzzy):
        return fuzzy
    company, phone = features.company.codes, features.phone.codes
    held = np.flatnonzero((company >= 0) & (phone >= 0))
    numbers = pd.DataFrame({"name": company[held], "value": phone[held]}).drop_duplicates()
    numbers = numbers[numbers.groupby("value")["name"].transform("size") <= _SHARED_NUMBER_NAMES]
    wanted = pd.DataFrame({"left": company[fuzzy.a], "right": company[fuzzy.b], "link": np.arange(len(fuzzy))})
    joined = wanted.merge(numbers, left_on="left", right_on="name").merge(
        numbers, left_on=["right", "value"], right_on=["name", "value"]
    )
    shared = np.zeros(len(fuzzy), dtype=bool)
    shared[joined["link"].to_numpy()] = True
    if not shared.any():
        return fuzzy
    scores = [
        json.dumps({**json.loads(text), "phone": 100}) if corroborated else text
        for corroborated, text in zip(shared.tolist(), fuzzy.describe().tolist(), strict=True)
    ]
    rule = np.where(shared, "company_name_corroborated", fuzzy.rule_names())
    return Links.of(fuzzy.a, fuzzy.b, fuzzy.confidence, rule, np.array(scores, dtype=object))


class DomainGuard:
    """Refuses fuzzy merges between account clusters that each carry domains and share none."""

    def __init__(self, anchors: np.ndarray, labels: np.ndarray, touched: np.ndarray):
        anchored = np.isin(labels, touched) & (anchors != _NO_DOMAIN)
        frame = pd.DataFrame({"label": labels[anchored], "anchor": anchors[anchored]}).drop_duplicates()
        self._anchors: dict[int, set[int]] = {
            int(label): set(group.tolist()) for label, group in frame.groupby("label")["anchor"]
        }

    def allows(self, root_a: int, root_b: int) -> bool:
        """Merge allowed unless both clusters have domain anchors and none in common."""
        anchors_a, anchors_b = self._anchors.get(root_a), self._anchors.get(root_b)
        return not anchors_a or not anchors_b or bool(anchors_a & anchors_b)

    def merged(self, kept: int, absorbed: int) -> None:
        """Carry the absorbed cluster's anchors over."""
        if absorbed in self._anchors:
            self._anchors.setdefault(kept, set()).update(self._anchors.pop(absorbed))


def account_names(features: Features, labels: np.ndarray) -> np.ndarray:
    """Each record's account name, as a code into `features.company.values` (-1 if none): the most common company
    name in its account, so a contact known only by a work address still carries its company's name when compared
    with a record that has only the name."""
    frame = pd.DataFrame({"label": labels, "company": features.company.codes})
    counts = frame[frame["company"] >= 0].value_counts().reset_index(name="count")
    counts = counts.sort_values(["label", "count", "company"], ascending=[True, False, True])
    name = counts.drop_duplicates("label").set_index("label")["company"]
    return name.reindex(labels, fill_value=-1).to_numpy(dtype=np.int64)


@dataclass(frozen=True)
class AccountLinks:
    """Account clusters from company evidence, fuzzy name pairs below the auto-merge bar (for review), each
    record's domain anchor (see `_domain_anchors`), which later merges must respect, and each record's account
    name (see `account_names`)."""

    clustering: Clustering
    review: Links
    anchors: np.ndarray
    names: np.ndarray


def link_accounts(
    features: Features,
    settings: ResolutionSettings,
    *,
    keep_apart: Sequence[tuple[int, int]] = (),
    merges: Sequence[tuple[int, int]] = (),
) -> AccountLinks:
    """Account clusters from company evidence alone.

    Records without any company evidence stay singletons here; `link_accounts_through_people` and `attach_people`
    place them once people are known.
    """
    anchor_links = Links.concat(_shared_key_edges(features), _domain_edges(features))
    anchors = _domain_anchors(features, anchor_links)
    individual = _individual_names(features)
    exact = Links.concat(anchor_links, _address_edges(features), _company_name_edges(features, anchors, individual))
    named_alike, put_in = _fuzzy_company_pairs(features, anchors, settings, individual)
    fuzzy = _corroborated(features, named_alike)
    rule = fuzzy.rule_names()
    close = (rule == "company_name_fuzzy") & (fuzzy.confidence >= settings.company_name_fuzzy_threshold / 100.0)
    automatic = close | (rule == "company_name_corroborated")
    unasked = put_in & ~automatic  # one name with a word put in and nothing else in common: two firms
    clustering = cluster(
        features.size,
        exact,
        Links.concat(_name_in_domain_edges(features, settings, individual), fuzzy.take(automatic)),
        keep_apart=keep_apart,
        merges=merges,
        guard=lambda labels, touched: DomainGuard(anchors, labels, touched),
    )
    return AccountLinks(
        clustering, fuzzy.take(~automatic & ~unasked), anchors, account_names(features, clustering.labels)
    )


def link_accounts_through_people(
    features: Features,
    accounts: AccountLinks,
    person: np.ndarray,
    settings: ResolutionSettings,
    *,
    keep_apart: Sequence[tuple[int, int]] = (),
) -> Clustering:
    """Join account clusters that one person's records place at the same customer.

    A typo can make 'Lunar Games Ic' its own account; the same person appearing under it and under 'Lunar Games'
    shows it is one company. An account held together only by ids the tools share (a contact and its deals, a
    Stripe customer and its invoices) names no company at all: it is the person's own, so it joins the person's
    other account whatever that is called. Named companies that are not similar (a person who changed jobs) stay
    separate accounts, and clusters with different domains are never joined.
    """
    labels = accounts.clustering.labels
    evidence = np.flatnonzero(features.is_person & features.has_account_evidence)
    named = np.zeros(features.size, dtype=bool)
    named[labels[features.company.present() | features.company_domain.present()]] = True
    members = pd.DataFrame(
        {
            "person": person[evidence],
            "account": labels[evidence],
            "record": evidence,
            "company": accounts.names[evidence],
            "named": named[labels[evidence]],
        }
    ).drop_duplicates(["person", "account"])
    members = members[members["person"].duplicated(keep=False)]
    pairs = members.merge(members, on="person", suffixes=("_a", "_b"))
    pairs = pairs[pairs["account_a"] < pairs["account_b"]]
    names = np.append(features.company.values, "").astype(object)
    similarity = company_similarity(names[pairs["company_a"].to_numpy()], names[pairs["company_b"].to_numpy()])
    personal = ~(pairs["named_a"].to_numpy() & pairs["named_b"].to_numpy())
    similarity = np.where(personal, 100.0, similarity)
    keep = similarity >= settings.similar_company_score
    scores = np.array(
        [
            '{"same_person": 1}' if own else f'{{"company": {round(value)}, "same_person": 1}}'
            for value, own in zip(similarity[keep], personal[keep], strict=True)
        ],
        dtype=object,
    )
    links = Links.of(
        pairs["record_a"].to_numpy()[keep],
        pairs["record_b"].to_numpy()[keep],
        similarity[keep] / 100.0,
        "same_person_company",
        scores,
    )
    return cluster(
        features.size,
        Links.empty(),
        links,
        keep_apart=keep_apart,
        guard=lambda labels, touched: DomainGuard(accounts.anchors, labels, touched),
        initial=accounts.clustering.labels,
    )


def attach_people(
    account: np.ndarray,
    anchored: np.ndarray,
    person: np.ndarray,
    is_person: np.ndarray,
    keep_apart: Sequence[tuple[int, int]] = (),
) -> np.ndarray:
    """Final account labels.

    A person record not `anchored` in an account (a Stripe customer with a gmail address) belongs to the account its
    person's other records point at, the most common one if several; a person with no company anywhere is an
    individual customer whose account is the person. A steward's customer-level keep-apart decision undoes an
    inherited account that would break it: the person's inheriting records then form an account of their own,
    labelled by the first of them (an unanchored record is a singleton, so no other account carries its label,
    whereas the person's label may be that of the very account being left).
    """
    final = account.copy()
    inherits = is_person & ~anchored
    people = pd.DataFrame({"person": person, "account": account})
    votes = people[is_person & anchored].value_counts().reset_index(name="count")
    votes = votes.sort_values(["person", "count", "account"], ascending=[True, False, True])
    majority = votes.drop_duplicates("person").set_index("person")["account"]
    inherited = majority.reindex(person[inherits], fill_value=-1).to_numpy(dtype=np.int64)
    final[inherits] = np.where(inherited < 0, person[inherits], inherited)
    for record_a, record_b in keep_apart:
        if final[record_a] == final[record_b]:
            for record in (record_a, record_b):
                if inherits[record]:
                    own = inherits & (person == person[record])
                    final[own] = np.flatnonzero(own)[0]
    return final


def accounts_named_after_people(
    features: Features,
    person: np.ndarray,
    account: np.ndarray,
    keep_apart: Sequence[tuple[int, int]] = (),
) -> Links:
    """Links from accounts nothing places (no record of them names a person or gives a company domain) whose
    records' company name is an individual customer's full name to a record of that person: an Asana project
    'Priya Miller' or a QuickBooks customer 'Miller, Priya' is the account of Priya Miller, whose own records carry
    no company name. Such names link nothing by themselves (`_company_name_edges`), but such a record may share an
    account with others through ids the tools share, so the whole account moves, and only when every record in it
    that gives a company name is named after the same person (records giving none, such as invoices, go with it). Only
    individuals count (people in an account no record gives a company name or domain, `account` being each
    record's account label): a company's projects and books are named after the company, so a contact at one is
    not who they are for. Two individual Priya Millers leave the account alone, and so does a steward's
    customer-level keep-apart naming one of its records. Apply with `move_named_accounts`."""
    full_name = features.full_name
    named = np.zeros(features.size, dtype=bool)
    named[account[features.company.present() | features.company_domain.present()]] = True
    holders = np.flatnonzero(features.is_person & features.states_name & full_name.present() & ~named[account])
    people = pd.DataFrame({"name": full_name.text(holders), "person": person[holders], "record": holders})
    per_name = people.groupby("name").agg(people=("person", "nunique"), record=("record", "min"))
    partner_of = per_name.loc[per_name["people"] == 1, "record"]
    placed = np.zeros(features.size, dtype=bool)
    placed[account[features.is_person | features.company_domain.present()]] = True
    placed[account[[record for pair in keep_apart for record in pair]]] = True
    candidates = np.flatnonzero(~placed[account] & features.company_as_name.present())
    partner = partner_of.reindex(features.company_as_name.text(candidates)).to_numpy(dtype=np.float64)
    found = ~np.isnan(partner)
    candidates, partner = candidates[found], partner[found].astype(np.int64)
    moves = pd.DataFrame({"from": account[candidates], "to": account[partner]})
    agreed = (moves.groupby("from")["to"].transform("nunique") == 1).to_numpy(dtype=bool)
    named_records = np.bincount(account[~placed[account] & features.company.present()], minlength=features.size)
    pointing = np.bincount(account[candidates[agreed]], minlength=features.size)
    whole = agreed & (pointing[account[candidates]] == named_records[account[candidates]])
    return Links.of(candidates[whole], partner[whole], 0.95, "named_after_person")


def move_named_accounts(account: np.ndarray, named_after: Links) -> np.ndarray:
    """Account labels with each account `accounts_named_after_people` links moved, every record of it, to the
    person's account."""
    relabel = np.arange(len(account))
    relabel[account[named_after.a]] = account[named_after.b]
    return relabel[account]
