"""What each comparison level weighs in a match: log2(m / u), kept in order."""

from __future__ import annotations

import numpy as np

from customer_hub.resolution.comparisons import PERSON_COMPARISONS
from customer_hub.resolution.fellegi_sunter import MatchModel


def test_no_partial_agreement_weighs_more_than_the_same_value():
    """A level random pairs never reached in training keeps u at its floor: an address one typo from another must
    still not prove more than the same address."""
    email = next(comparison for comparison in PERSON_COMPARISONS if comparison.name == "email")
    m = np.array([1.0, 0.80, 0.05, 0.05, 0.10])  # no data, exact, one_typo, same_local_part, different
    u = np.array([1.0, 2e-4, 1.6e-7, 1e-4, 0.9997])
    model = MatchModel((email,), (m,), (u,), 0.001, (None,), {}, ())
    weights = model.weights(np.array([[1], [2], [3], [4]], dtype=np.int8), np.zeros(4, dtype=np.int64))[:, 0]
    assert weights[1] == weights[0] > weights[2] > 0 > weights[3]
    assert model.parameters()["comparisons"]["email"]["one_typo"]["weight"] == round(float(weights[0]), 2)


def test_the_prior_counts_the_matches_blocking_did_not_propose():
    """One person on many records fills a block past its cap, so most of their pairs are never scored: the prior
    must count them through the sample of unscored pairs, or it stays capped at the candidates' share of all
    pairs and keeps apart records whose every field agrees."""
    from customer_hub.resolution.fellegi_sunter import estimate_prior
    from customer_hub.resolution.settings import ModelSettings

    settings = ModelSettings()
    scored = np.full((100, 1), 30.0)  # 100 candidate pairs, all certain matches
    sample = np.where(np.arange(1_000) < 10, 30.0, -30.0)  # 1% of the unscored pairs are matches too
    model = MatchModel((), (), (), settings.prior_match_probability, (), {}, ())
    candidates_only = estimate_prior(model, scored, 1_000, settings)
    everything = estimate_prior(model, scored, 1_000, settings, sample, 1_000 * 999 / 2 - 100)
    # 100 + 1% of the 499,400 unscored pairs, over 499,500 pairs (and a little smoothing)
    assert 0.009 < everything < 0.011
    assert everything > 20 * candidates_only


def test_a_surname_written_as_a_first_name_weighs_as_the_surname_it_is():
    """'Yoshizawa Hideo' against 'Hideo Yoshizawa': names read swapped agree exactly, and the agreement on
    'Yoshizawa' must weigh what a common surname weighs, not what a first name nobody else has would."""
    first = next(comparison for comparison in PERSON_COMPARISONS if comparison.name == "first_name")
    last = next(comparison for comparison in PERSON_COMPARISONS if comparison.name == "last_name")
    m, u = np.array([1.0, 0.9, 0.02, 0.02, 0.02, 0.02, 0.02]), np.array([1.0, 0.005, 0.01, 0.01, 0.01, 0.01, 0.955])
    m_last, u_last = np.array([1.0, 0.9, 0.025, 0.025, 0.025, 0.025]), np.array([1.0, 0.001, 0.01, 0.01, 0.01, 0.978])
    # record 0 holds 'Yoshizawa' in its first-name field (rare there), record 1 in its last-name field (common there)
    first_frequency = np.array([1e-5, 1e-2])
    last_frequency = np.array([1e-2, 1e-2])
    model = MatchModel((first, last), (m, m_last), (u, u_last), 0.001, (first_frequency, last_frequency), {}, ())
    levels = np.array([[1, 1]], dtype=np.int8)
    left, right = np.array([0]), np.array([1])

    crossed = model.weights(levels, left, right, np.array([True]))[0]
    straight = model.weights(levels, left, right, np.array([False]))[0]

    assert crossed[0] == model.weights(levels, right, left, np.array([True]))[0][0]  # whichever record is left
    assert crossed[0] < straight[0] - 9  # 1e-5 against 1e-2: about ten bits fewer
