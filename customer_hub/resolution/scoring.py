"""How likely two person records are the same person, from the evidence they share.

Each agreement or disagreement carries a log-odds weight (`MatchWeights`): names must agree for a pair to count at
all; a shared account, a personal phone number or a postcode then push it up; a different account or two different
work addresses at one company push it down. Colleagues share a company and often a switchboard number but not a
name, and namesakes share a name but not an account, so neither reaches the auto-merge threshold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customer_hub.resolution.companies import company_similarity
from customer_hub.resolution.names import compare_name_arrays
from customer_hub.resolution.prepare import Features
from customer_hub.resolution.settings import MatchWeights


def shared_phones(features: Features) -> np.ndarray:
    """True where a record's phone is a shared line: it is on an account-only record (a company's main number) or
    on records of more than one name (a switchboard). Agreeing on such a number says little about the person."""
    phone = features.phone.codes
    listed = phone >= 0
    named = listed & features.name_key.present()
    frame = pd.DataFrame({"phone": phone[named], "name": features.name_key.codes[named]})
    names_per_phone = frame.groupby("phone")["name"].nunique()
    shared = np.union1d(names_per_phone.index[names_per_phone > 1].to_numpy(), phone[listed & ~features.is_person])
    return listed & np.isin(phone, shared)


def name_commonness(features: Features, weights: MatchWeights) -> np.ndarray:
    """Per record, how much less its name proves because many records carry it (see `MatchWeights`)."""
    codes = features.name_key.codes
    counts = np.bincount(codes[codes >= 0], minlength=len(features.name_key.values))
    per_name = np.clip(np.log(np.maximum(counts, 1) / weights.common_name_baseline), 0.0, weights.common_name_cap)
    return np.append(per_name, 0.0)[codes]


def _account_agreement(
    features: Features,
    account: np.ndarray,
    account_names: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    similar_score: float,
) -> np.ndarray:
    """+1 same account, 0.5 different accounts with similar names (usually one company split by a typo), -1 different
    accounts, 0 where either record has no company evidence."""
    both = features.has_account_evidence[left] & features.has_account_evidence[right]
    agreement = np.where(both, np.where(account[left] == account[right], 1.0, -1.0), 0.0)
    apart = np.flatnonzero((agreement == -1) & (account_names[left] >= 0) & (account_names[right] >= 0))
    names = features.company.values
    similar = company_similarity(names[account_names[left[apart]]], names[account_names[right[apart]]])
    agreement[apart[similar >= similar_score]] = 0.5
    return agreement


def score_person_pairs(
    features: Features,
    account: np.ndarray,
    account_names: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    weights: MatchWeights,
) -> pd.DataFrame:
    """Evidence and confidence (0..1) for each pair `left[i]`-`right[i]`.

    Columns: confidence, name, swapped, account, email, phone, place (each evidence column is +1 agree, 0 unknown,
    -1 disagree; account is 0.5 for different accounts with similar company names; email is 0 unless both
    records carry different personal addresses, then -1).
    """
    names = compare_name_arrays(
        features.first.text(left), features.last.text(left), features.first.text(right), features.last.text(right)
    )
    score = names["score"].to_numpy()
    first, last = names["first"].to_numpy(), names["last"].to_numpy()
    names_agree = (
        (score >= weights.name_close_score)
        & (np.isnan(first) | (first >= weights.first_name_min))
        & (np.isnan(last) | (last >= weights.last_name_min))
    )
    total = weights.prior + np.select(
        [score >= weights.name_exact_score, score >= weights.name_strong_score],
        [weights.name_exact, weights.name_strong],
        weights.name_close,
    )

    account_agreement = _account_agreement(features, account, account_names, left, right, weights.similar_company_score)
    total += np.select(
        [account_agreement == 1, account_agreement == 0.5, account_agreement == -1],
        [weights.same_account, weights.similar_company, weights.different_account],
        0.0,
    )
    commonness = name_commonness(features, weights)
    total -= np.where(account_agreement <= 0, np.maximum(commonness[left], commonness[right]), 0.0)

    email = np.minimum(features.person_email.agreement(left, right), 0)
    same_domain = features.email_domain.same(left, right)
    both_free = features.email_is_free[left] & features.email_is_free[right]
    total += np.where(
        email == -1,
        np.select(
            [same_domain & ~both_free, both_free],
            [weights.email_conflict_same_domain, weights.email_conflict_personal],
            weights.email_conflict_other,
        ),
        0.0,
    )

    phone = features.phone.agreement(left, right)
    shared_line = shared_phones(features)
    shared_line = shared_line[left] | shared_line[right]
    total += np.select(
        [(phone == 1) & ~shared_line, phone == 1, phone == -1],
        [weights.phone_agrees, weights.shared_phone_agrees, weights.phone_differs],
        0.0,
    )

    postcode = features.postcode.agreement(left, right)
    city = features.city.agreement(left, right)
    place = np.where(postcode != 0, postcode, city)
    total += np.select(
        [postcode == 1, (postcode == 0) & (city == 1), place == -1],
        [weights.postcode_agrees, weights.city_agrees, weights.place_differs],
        0.0,
    )

    confidence = np.where(names_agree, 1.0 / (1.0 + np.exp(-total)), 0.0)
    return pd.DataFrame(
        {
            "confidence": confidence,
            "name": np.round(score).astype(int),
            "swapped": names["swapped"].to_numpy(dtype=bool),
            "account": account_agreement,
            "email": email,
            "phone": phone,
            "place": place,
        }
    )


def describe_person_scores(scores: pd.DataFrame) -> np.ndarray:
    """Compact JSON of the evidence behind each scored pair, for `match_scores`."""
    account = np.where(scores["account"] == 0.5, "0.5", scores["account"].astype(int).astype(str))
    text = (
        '{"name": '
        + scores["name"].astype(str)
        + ', "account": '
        + pd.Series(account, index=scores.index, dtype="str")
        + ', "phone": '
        + scores["phone"].astype(str)
        + ', "place": '
        + scores["place"].astype(str)
        + ', "email": '
        + scores["email"].astype(str)
        + pd.Series(np.where(scores["swapped"], ', "swapped": true', ""), index=scores.index, dtype="str")
        + "}"
    )
    return text.to_numpy(dtype=object)
