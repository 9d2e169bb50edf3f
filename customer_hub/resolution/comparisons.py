"""The comparisons a person match is judged on, as data: each names its levels, strongest first, and how to tell
which level a record pair is at.

Level 0 always means "one of the two records does not say" and carries no weight; the last level is "they say
different things". Everything in between is a degree of agreement (exact, a typo away, sounds alike, a nickname,
the first and last name entered the other way round...). How much each level proves is not written here: the
Fellegi-Sunter model (`fellegi_sunter.py`) estimates it from the data being resolved. The priors given here are
only where estimation starts, and what a handful of records falls back on: they describe a hub of about ten
thousand people.

A comparison whose `tf` names a per-record value code gets a term-frequency adjustment on its exact level: sharing
a rare surname or a small company says more than sharing 'smith' or a 500-person account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from customer_hub.resolution.blocking import pairs_in_blocks
from customer_hub.resolution.companies import one_word_apart
from customer_hub.resolution.emails import one_typo_apart
from customer_hub.resolution.pair_similarity import (
    damerau_levenshtein,
    distinct_pairs,
    jaro_winkler,
    nicknames_agree,
    phonetic_codes,
    word_contained,
)
from customer_hub.resolution.prepare import UNREAD_PHONE, Features
from customer_hub.resolution.sorted_values import sorted_unique
from customer_hub.resolution.text import Coded

CLOSE_JARO_WINKLER = 0.92
FUZZY_JARO_WINKLER = 0.80
SIMILAR_COMPANY = 85.0
"""Edit similarity (0-100) at which two accounts' names count as one company spelt two ways."""
_NAMES_COMPARED = 50
"""Names on one address or phone beyond which it is a shared one without comparing them pair by pair."""
_GIVEN_NAME_LEVELS = ("exact", "close", "nickname", "fuzzy", "initial", "different")
"""The first-name comparison's levels, as `_name_levels` numbers them from 1 (0: a name missing)."""
HOUSE_NUMBER = r"(?<!\S)(?!\d+(?:st|nd|rd|th)(?!\S))\S*\d\S*(?!\S)"
"""A word of a normalised street address that holds a digit and is no ordinal ('15', '15a', not '5th')."""
BOX_ADDRESS = r"^(?:p ?o|gpo|pmb|locked bag|box)\b"
"""Normalised addresses whose number is the address itself: post office boxes and private mailbags."""
SWAP_MARGIN = 0.05
"""How much better the crossed orientation must score before first and last name are read as swapped."""


@dataclass(frozen=True)
class RecordContext:
    """What comparisons read about every record: the normalised features and the accounts already resolved."""

    features: Features
    account: np.ndarray
    account_names: np.ndarray

    @cached_property
    def name_vocabulary(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """First and last names coded into one shared vocabulary (so a first name can be compared with a last
        name), plus the Metaphone code of every vocabulary entry."""
        first, last = self.features.first, self.features.last
        joint, vocabulary = pd.factorize(np.concatenate([first.values, last.values]).astype(object))
        joint = np.append(joint, -1)
        first_codes = joint[np.where(first.codes >= 0, first.codes, len(joint) - 1)]
        last_codes = joint[np.where(last.codes >= 0, last.codes + len(first.values), len(joint) - 1)]
        vocabulary = np.asarray(vocabulary, dtype=object)
        return vocabulary, first_codes, last_codes, phonetic_codes(vocabulary)

    @cached_property
    def email_local(self) -> Coded:
        """The local part of each person's own address when it says more than their name: 'jsmith1980' of
        jsmith1980@gmail.com and jsmith1980@acme.com is a shared habit, while 'james.smith' is what every James
        Smith picks, already counted by the name comparisons."""
        features = self.features
        email = features.person_email
        rows = np.flatnonzero(email.present())
        local = pd.Series(email.text(rows), dtype="str").str.replace(r"@.*$|[._+-]", "", regex=True)
        first = pd.Series(features.first.text(rows), dtype="str").str.replace(" ", "", regex=False)
        last = pd.Series(features.last.text(rows), dtype="str").str.replace(" ", "", regex=False)
        name_only = local.str.len() < 4
        for form in (first + last, last + first, first.str[:1] + last, first + last.str[:1], first, last):
            name_only |= local == form
        codes = np.full(features.size, -1, dtype=np.int64)
        distinct, values = pd.factorize(local.where(~name_only))
        codes[rows] = distinct
        return Coded(codes, np.asarray(values, dtype=object))

    @cached_property
    def street_parts(self) -> tuple[Coded, Coded]:
        """Each street address split into its street name and its house numbers (`HOUSE_NUMBER`): '15 tubb pl' is
        'tubb pl' and '15', so 'tubb pl' is the same street with its number left out. An ordinal is part of the
        name ('123 5th ave' is '5th ave' and '123'), and a box address is all name ('po box 12'): its number is
        the address."""
        street = self.features.street
        values = pd.Series(street.values, dtype="str")
        box = values.str.contains(BOX_ADDRESS, regex=True).to_numpy(dtype=bool)
        name = values.str.replace(HOUSE_NUMBER, " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
        number = values.str.findall(HOUSE_NUMBER).str.join(" ").astype("str")
        parts = []
        for part in (name.where(~box, values), number.where(~box, "")):
            codes, distinct = pd.factorize(part.where(part != "", None))
            parts.append(Coded(np.append(codes, -1)[street.codes], np.asarray(distinct, dtype=object)))
        return parts[0], parts[1]

    @cached_property
    def shared_mailbox(self) -> np.ndarray:
        """True for records whose personal address is a mailbox two people use ('robert@flint.example' for Robert
        Petrov and Robert Nguyen), which proves nothing about either person (`held_by_two_people`)."""
        return self.held_by_two_people(self.features.person_email.codes)

    @cached_property
    def shared_phone(self) -> np.ndarray:
        """True for person records whose phone is a line two people use (a company's switchboard on Nadia Müller
        and on Nadia O'Brien), which proves nothing about either person (`held_by_two_people`)."""
        features = self.features
        return self.held_by_two_people(np.where(features.is_person, features.phone.codes, -1))

    @cached_property
    def unread_phone(self) -> np.ndarray:
        """True for records whose phone is compared as written, libphonenumber having rejected it
        (`prepare.UNREAD_PHONE`); worked out once, not for every chunk of pairs scored."""
        phone = self.features.phone
        unread = pd.Series(phone.values, dtype="str").str.startswith(UNREAD_PHONE).to_numpy(bool)
        return np.append(unread, False)[phone.codes]

    def held_by_two_people(self, codes: np.ndarray) -> np.ndarray:
        """True for records whose value (`codes`, -1 where none) is also on a record that names someone else: a
        clearly different surname (Robert Petrov and Robert Nguyen), or the same surname with a clearly different
        given name (John and Jane Smith on a household's mailbox or landline). A typo, a nickname ('Bill' for
        'William'), an initial or a middle name is the same name, and so are two names entered swapped. Only names
        the records state count: a name read from an address ('michaell.ee+billing@' reads as Michaell Ee) is the
        address's own spelling, not a second holder. A value held under more than `_NAMES_COMPARED` names is shared
        without comparing them."""
        vocabulary, first, last, _ = self.name_vocabulary
        holders = np.flatnonzero((codes >= 0) & (last >= 0) & self.features.states_name)
        frame = pd.DataFrame({"key": codes[holders], "first": first[holders], "last": last[holders]})
        frame = frame.drop_duplicates(["key", "first", "last"])
        names = frame.groupby("key")["last"].transform("size").to_numpy()
        crowded = frame["key"].to_numpy(np.int64)[names > _NAMES_COMPARED]
        frame = frame[(names > 1) & (names <= _NAMES_COMPARED)]
        rows = np.arange(len(frame), dtype=np.int64)
        left, right = pairs_in_blocks(rows, frame["key"].to_numpy(np.int64), _NAMES_COMPARED)
        lasts, firsts = frame["last"].to_numpy(np.int64), frame["first"].to_numpy(np.int64)
        same_surname = np.nan_to_num(jaro_winkler(vocabulary, lasts[left], lasts[right])) >= FUZZY_JARO_WINKLER
        same_surname |= word_contained(vocabulary, lasts[left], lasts[right])  # 'roe' and 'michael roe'
        last_first = jaro_winkler(vocabulary, lasts[left], firsts[right])
        first_last = jaro_winkler(vocabulary, firsts[left], lasts[right])
        swapped = np.nan_to_num(np.fmin(last_first, first_last)) >= FUZZY_JARO_WINKLER  # 'Smith John', 'John Smith'
        # a surname typed as the other's given name is the same surname
        surname_alike = same_surname | (np.nan_to_num(np.fmax(last_first, first_last)) >= FUZZY_JARO_WINKLER)
        given_a, given_b = firsts[left], firsts[right]
        given = _name_levels(self, given_a, given_b, jaro_winkler(vocabulary, given_a, given_b), given_name=True)
        # 'John Michael Roe' splits as john | michael roe: his records saying 'Michael Roe' use his middle name
        lead_word = np.append(np.array([value.split(" ", 1)[0] for value in vocabulary], dtype=object), "")
        words = np.append(np.array([" " in value for value in vocabulary], dtype=bool), False)
        texts = np.append(vocabulary.astype(object), "")
        goes_by_middle_name = (words[lasts[left]] & (lead_word[lasts[left]] == texts[given_b])) | (
            words[lasts[right]] & (lead_word[lasts[right]] == texts[given_a])
        )
        # a typo, a nickname or an initial is one given name: any level of the given-name comparison but the last
        one_given_name = (given != len(_GIVEN_NAME_LEVELS)) | goes_by_middle_name
        someone_else = ~surname_alike | (same_surname & ~one_given_name & ~swapped)
        different = frame["key"].to_numpy(np.int64)[left[someone_else]]
        return (codes >= 0) & np.isin(codes, sorted_unique(np.concatenate([crowded, different])))

    @cached_property
    def account_size(self) -> np.ndarray:
        """Person records per account, per record: the term frequency of 'same account'."""
        labels = np.where(self.features.is_person & self.features.has_account_evidence, self.account, -1)
        counts = np.bincount(labels[labels >= 0], minlength=self.features.size)
        return np.where(labels >= 0, counts[np.maximum(labels, 0)], 0)


class PairView:
    """Record pairs `left[i]`-`right[i]` as comparisons see them; caches what several comparisons share (the
    orientation of the names)."""

    def __init__(self, context: RecordContext, left: np.ndarray, right: np.ndarray):
        self.context, self.left, self.right = context, left, right

    @cached_property
    def names(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """First and last name codes of both sides in the better orientation, whether that was crossed, and the
        Jaro-Winkler similarity of the first names and of the last names in that orientation."""
        vocabulary, first, last, _ = self.context.name_vocabulary
        fa, la, fb, lb = first[self.left], last[self.left], first[self.right], last[self.right]
        first_first, last_last = jaro_winkler(vocabulary, fa, fb), jaro_winkler(vocabulary, la, lb)
        first_last, last_first = jaro_winkler(vocabulary, fa, lb), jaro_winkler(vocabulary, la, fb)
        straight = np.nan_to_num(first_first) + np.nan_to_num(last_last)
        crossed = np.nan_to_num(first_last) + np.nan_to_num(last_first)
        swapped = crossed > straight + SWAP_MARGIN
        fb, lb = np.where(swapped, lb, fb), np.where(swapped, fb, lb)
        jw_first = np.where(swapped, first_last, first_first)
        jw_last = np.where(swapped, last_first, last_last)
        # One full name split differently between the two fields ('Suman Preet Singh | Khanuja' and 'Suman Preet |
        # Singh Khanuja') is the same name.
        resplit = self.context.features.full_name.same(self.left, self.right) & ((fa != fb) | (la != lb))
        fb, lb = np.where(resplit, fa, fb), np.where(resplit, la, lb)
        jw_first, jw_last = np.where(resplit, 1.0, jw_first), np.where(resplit, 1.0, jw_last)
        return fa, la, fb, lb, swapped & ~resplit, jw_first, jw_last


def _name_levels(
    context: RecordContext, a: np.ndarray, b: np.ndarray, jw: np.ndarray, *, given_name: bool
) -> np.ndarray:
    """Levels of one name part: 1 exact, 2 close (Jaro-Winkler >= 0.92, or one edit in a name of 4+ letters; for
    surnames also one being the other's first or last words, whole: 'John Michael Roe' splits as John | Michael Roe);
    then for given names nickname, fuzzy (Jaro-Winkler >= 0.80), an initial against a name with that initial;
    for surnames phonetic (Metaphone), fuzzy; last, different. Given names get no phonetic level: Metaphone
    drops vowels, so 'john' and 'jane' would sound alike."""
    vocabulary, _, _, phonetic = context.name_vocabulary
    lengths = np.append(np.fromiter((len(v) for v in vocabulary), dtype=np.int64, count=len(vocabulary)), 0)
    shortest = np.minimum(lengths[a], lengths[b])
    present = (a >= 0) & (b >= 0)
    undecided = present & (a != b) & ~(jw >= CLOSE_JARO_WINKLER) & (shortest >= 4)
    one_edit = np.zeros(len(a), dtype=bool)
    one_edit[undecided] = damerau_levenshtein(vocabulary, a[undecided], b[undecided]) <= 1
    close = (jw >= CLOSE_JARO_WINKLER) | one_edit
    if not given_name:
        close |= present & word_contained(vocabulary, a, b)
    conditions = [~present, a == b, close]
    if given_name:
        first_letters = np.append(np.array([v[:1] for v in vocabulary], dtype=object), "")
        conditions += [
            nicknames_agree(vocabulary, a, b),
            jw >= FUZZY_JARO_WINKLER,
            (shortest == 1) & (first_letters[a] == first_letters[b]),
        ]
    else:
        phonetic = np.append(phonetic, -1)
        conditions += [(phonetic[a] >= 0) & (phonetic[a] == phonetic[b]), jw >= FUZZY_JARO_WINKLER]
    return np.select(conditions, np.arange(len(conditions)), len(conditions)).astype(np.int8)


def first_name_levels(view: PairView) -> np.ndarray:
    fa, _, fb, _, _, jw, _ = view.names
    return _name_levels(view.context, fa, fb, jw, given_name=True)


def last_name_levels(view: PairView) -> np.ndarray:
    _, la, _, lb, _, _, jw = view.names
    return _name_levels(view.context, la, lb, jw, given_name=False)


def _exact_levels(coded: Coded, view: PairView) -> np.ndarray:
    """1 same value, 2 different values, 0 where either is empty."""
    agreement = coded.agreement(view.left, view.right)
    return np.select([agreement == 1, agreement == -1], [1, 2], 0).astype(np.int8)


def phone_levels(view: PairView) -> np.ndarray:
    """1 same number, 2 different numbers, 0 where either is empty, a line two people use
    (`RecordContext.shared_phone`), or only one of the two could be read as E.164: a number as written cannot be
    told apart from a read one that is the same number in another format."""
    context = view.context
    shared, unread = context.shared_phone, context.unread_phone
    levels = np.where(shared[view.left] | shared[view.right], 0, _exact_levels(context.features.phone, view))
    return np.where((levels == 2) & (unread[view.left] != unread[view.right]), 0, levels).astype(np.int8)


def _close_levels(coded: Coded, view: PairView, *, jaro_winkler_min: float = 0.0, edits_max: int = -1) -> np.ndarray:
    """1 same value, 2 close (Jaro-Winkler at least `jaro_winkler_min`, or at most `edits_max` edits), 3 different,
    0 where either is empty."""
    a, b = coded.codes[view.left], coded.codes[view.right]
    close = np.zeros(len(a), dtype=bool)
    if jaro_winkler_min:
        close |= jaro_winkler(coded.values, a, b) >= jaro_winkler_min
    if edits_max >= 0:
        close |= damerau_levenshtein(coded.values, a, b) <= edits_max
    present = (a >= 0) & (b >= 0)
    return np.select([~present, a == b, close], [0, 1, 2], 3).astype(np.int8)


def street_levels(view: PairView) -> np.ndarray:
    """1 same street address, 2 close (Jaro-Winkler at least 0.90 with the same house numbers, a typo; or the same
    name and numbers in another order, 'tubb pl 15'), 3 the same street with another house number or none ('15 tubb
    pl' / 'tubb pl', `RecordContext.street_parts`), 4 different; 0 where either is empty. Neighbours share a street
    too, so a number that differs is a level of its own, not a typo: Jaro-Winkler reads '9 norton st' and '54 norton
    st' as close, and '15 tubb pl' and 'tubb pl' as different."""
    levels = _close_levels(view.context.features.street, view, jaro_winkler_min=0.90)
    name, number = view.context.street_parts
    left, right = view.left, view.right
    same_name = (levels >= 2) & (name.codes[left] >= 0) & (name.codes[left] == name.codes[right])
    same_number = number.codes[left] == number.codes[right]
    typo = ((levels == 2) & same_number) | (same_name & same_number & (number.codes[left] >= 0))
    return np.select([levels <= 1, typo, same_name], [levels, 2, 3], 4).astype(np.int8)


def email_levels(view: PairView) -> np.ndarray:
    """1 same personal address, 2 one typo apart (`emails.one_typo_apart`), 3 same local part where one address is
    at a free-mail provider (jane.doe@gmail.com / jane.doe@acme.com), 4 different addresses; 0 (says nothing) where
    either address is a shared mailbox. Two work addresses at different companies sharing 'john.smith' say only
    that the names agree, which the name comparisons already count."""
    features = view.context.features
    shared = view.context.shared_mailbox
    exact = np.where(shared[view.left] | shared[view.right], 0, _exact_levels(features.person_email, view))
    apart = np.flatnonzero(exact == 2)
    typo = np.zeros(len(exact), dtype=bool)
    codes_a, codes_b, index = distinct_pairs(
        features.person_email.codes[view.left[apart]], features.person_email.codes[view.right[apart]]
    )
    addresses = np.asarray(features.person_email.values, dtype=object)
    typo[apart] = np.append(one_typo_apart(addresses[codes_a], addresses[codes_b]), False)[index]
    free = features.email_is_free[view.left] | features.email_is_free[view.right]
    same_local = view.context.email_local.same(view.left, view.right) & free
    return np.select([exact != 2, typo, same_local], [exact, 2, 3], 4).astype(np.int8)


def account_levels(view: PairView) -> np.ndarray:
    """1 same account, 2 different accounts with similar company names (one company split by a typo), 3 different
    accounts; 0 where either record has no company evidence (an individual's personal address says nothing). Names
    the same words but one that cannot be the same word (`companies.one_word_apart`) are not similar: the account
    linker never joins them either."""
    context, left, right = view.context, view.left, view.right
    evidence = context.features.has_account_evidence
    both = evidence[left] & evidence[right]
    same = both & (context.account[left] == context.account[right])
    names = np.asarray(context.features.company.values, dtype=object)
    apart = np.flatnonzero(both & ~same)
    name_a, name_b = context.account_names[left[apart]], context.account_names[right[apart]]
    distinct_a, distinct_b, index = distinct_pairs(name_a, name_b)
    similar_names = np.zeros(len(distinct_a), dtype=bool)
    if len(distinct_a):
        ratio = process.cpdist(names[distinct_a], names[distinct_b], scorer=fuzz.ratio, workers=-1)
        similar_names = ratio >= SIMILAR_COMPANY
        close = np.flatnonzero(similar_names)  # 'evans technologies', 'mesa technologies': a shared word, two firms
        similar_names[close] = ~one_word_apart(names[distinct_a[close]], names[distinct_b[close]])
    similar = np.zeros(len(left), dtype=bool)
    similar[apart] = np.append(similar_names, False)[index] | ((name_a >= 0) & (name_a == name_b))
    return np.select([~both, same, similar], [0, 1, 2], 3).astype(np.int8)


@dataclass(frozen=True)
class Comparison:
    """One comparison: its `levels` (names of levels 1..k, the last one "different"), how to compute them, where
    the m and u estimates start (`m_prior`, `u_prior`, one per level), and the per-record value whose frequency
    adjusts the exact level (`tf`, or None): each record's code, and the value each code stands for where values
    mean the same from run to run (None for this run's accounts), so a kept model can keep their counts."""

    name: str
    levels: tuple[str, ...]
    compute: Callable[[PairView], np.ndarray]
    m_prior: tuple[float, ...]
    u_prior: tuple[float, ...]
    tf: Callable[[RecordContext], tuple[np.ndarray, np.ndarray | None]] | None = None

    def __post_init__(self) -> None:
        if not len(self.levels) == len(self.m_prior) == len(self.u_prior):
            raise ValueError(f"comparison {self.name}: one m and one u prior per level")


def _codes(field: str) -> Callable[[RecordContext], tuple[np.ndarray, np.ndarray | None]]:
    def codes(context: RecordContext) -> tuple[np.ndarray, np.ndarray | None]:
        coded = getattr(context.features, field)
        return coded.codes, np.asarray(coded.values, dtype=object)

    return codes


PERSON_COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "first_name",
        _GIVEN_NAME_LEVELS,
        first_name_levels,
        m_prior=(0.80, 0.07, 0.03, 0.04, 0.02, 0.04),
        u_prior=(0.005, 0.003, 0.002, 0.03, 0.01, 0.95),
        tf=lambda context: (context.name_vocabulary[1], context.name_vocabulary[0]),
    ),
    Comparison(
        "last_name",
        ("exact", "close", "phonetic", "fuzzy", "different"),
        last_name_levels,
        m_prior=(0.86, 0.06, 0.02, 0.02, 0.04),
        u_prior=(0.001, 0.001, 0.002, 0.02, 0.976),
        tf=lambda context: (context.name_vocabulary[2], context.name_vocabulary[0]),
    ),
    Comparison(
        "email",
        ("exact", "one_typo", "same_local_part", "different"),
        email_levels,
        m_prior=(0.60, 0.05, 0.12, 0.23),
        u_prior=(0.00001, 0.00001, 0.0001, 0.99988),
    ),
    Comparison(
        "phone",
        ("exact", "different"),
        phone_levels,
        m_prior=(0.80, 0.20),
        u_prior=(0.0001, 0.9999),
        tf=_codes("phone"),
    ),
    Comparison(
        "account",
        ("same", "similar_company", "different"),
        account_levels,
        m_prior=(0.90, 0.04, 0.06),
        u_prior=(0.002, 0.002, 0.996),
        tf=lambda context: (context.account, None),  # this run's accounts: no value lasts
    ),
    Comparison(
        "street",
        ("exact", "close", "same_street", "different"),
        street_levels,
        m_prior=(0.78, 0.10, 0.04, 0.08),
        u_prior=(0.0001, 0.0005, 0.0005, 0.9989),
    ),
    Comparison(
        "city",
        ("exact", "close", "different"),
        lambda view: _close_levels(view.context.features.city, view, jaro_winkler_min=0.90),
        m_prior=(0.85, 0.05, 0.10),
        u_prior=(0.02, 0.005, 0.975),
        tf=_codes("city"),
    ),
    Comparison(
        "postcode",
        ("exact", "one_edit", "different"),
        lambda view: _close_levels(view.context.features.postcode, view, edits_max=1),
        m_prior=(0.85, 0.07, 0.08),
        u_prior=(0.002, 0.02, 0.978),
        tf=_codes("postcode"),
    ),
    Comparison(
        "birth_date",
        ("exact", "one_edit", "different"),
        lambda view: _close_levels(view.context.features.birth_date, view, edits_max=1),
        m_prior=(0.88, 0.08, 0.04),
        u_prior=(0.0001, 0.003, 0.9969),
    ),
    Comparison(
        "country",
        ("exact", "different"),
        lambda view: _exact_levels(view.context.features.country, view),
        m_prior=(0.97, 0.03),
        u_prior=(0.5, 0.5),
    ),
)
"""Every comparison for person records, in the order explanations list them."""


def comparison_levels(
    comparisons: tuple[Comparison, ...], context: RecordContext, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The level of every comparison for every pair (pairs x comparisons, int8) and whether the names were read
    swapped."""
    view = PairView(context, np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64))
    levels = np.zeros((len(view.left), len(comparisons)), dtype=np.int8)
    for column, comparison in enumerate(comparisons):
        levels[:, column] = comparison.compute(view)
    swapped = view.names[4]
    return levels, swapped
