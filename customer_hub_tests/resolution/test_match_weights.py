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
