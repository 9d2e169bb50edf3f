"""The Fellegi-Sunter model: how much each comparison level proves, learnt from the records being resolved.

For every comparison level two probabilities matter: m, how often two records of one person are at that level,
and u, how often two records of different people are. A pair's match weight is the sum of log2(m / u) over its
comparisons plus the prior log-odds that two records are one person; its match probability follows.

- u comes from random record pairs (nearly all of them are different people), counted per level.
- m comes from expectation maximisation, no labels needed, in training sessions (Splink's recipe): each session
  takes the pairs of one blocking key (same full name, same postcode, same phone...) and estimates m for every
  comparison *except* those the key fixes, since pairs chosen for sharing a postcode say nothing about how often
  true matches share one. Each comparison's m is the mean over the sessions that estimated it.
- The prior is the share of all pairs that match, found as a fixed point over the candidate pairs.
- Exact levels get a term-frequency adjustment: for a value held by a share f of records, agreement on it has
  u = f, not the average u, so a rare surname counts for more than 'smith'. The shares are counted when the model
  is trained and kept with it, as m and u are; only a value new since is counted on the records of each run.

Every estimate is smoothed towards the comparison's priors by pseudo-counts, so a handful of records gives the
priors' answers and a large table gives the data's. Sampling uses a fixed seed: the same records always give the
same model, which keeps golden ids stable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_hub.resolution.blocking import pairs_in_blocks
from customer_hub.resolution.comparisons import Comparison, RecordContext, comparison_levels
from customer_hub.resolution.settings import ModelSettings

log = logging.getLogger(__name__)

ESTIMATOR = 2
"""How this release estimates m, u and the prior. A stored model from another estimator is trained again, not
reused: estimator 2's prior counts the matches blocking did not propose, and a model kept from estimator 1 would
keep the prior too low until the records drifted."""

_M_PSEUDO_PAIRS = 20.0
_U_PSEUDO_PAIRS = 2000.0


@dataclass(frozen=True)
class TrainingSession:
    """Pairs sharing `key` (per-record codes, -1 none) train m for every comparison not in `fixes`."""

    name: str
    key: Callable[[RecordContext], np.ndarray]
    fixes: frozenset[str]


_NAME_PARTS = ("first_name", "last_name")
"""The comparisons whose values trade places when a pair's names are read swapped."""


@dataclass(frozen=True)
class MatchModel:
    """Estimated m and u per comparison level (arrays indexed by level, entry 0 unused), the prior match
    probability, each comparison's per-record term frequencies (None where not adjusted), and what training
    saw (`trained_by`: comparison -> sessions that estimated its m)."""

    comparisons: tuple[Comparison, ...]
    m: tuple[np.ndarray, ...]
    u: tuple[np.ndarray, ...]
    prior: float
    term_frequency: tuple[np.ndarray | None, ...]
    trained_by: dict[str, list[str]]
    term_totals: tuple[float | None, ...] = ()
    """Per comparison with term frequencies, the number of values they are shares of: the population the model was
    trained on, kept with it so that a value's weight moves only when that value's own count does."""
    term_counts: tuple[Mapping[str, int] | None, ...] = ()
    """Per comparison with term frequencies of lasting values (`Comparison.tf`), how many of the people the model
    was trained on held each value held by more than one; kept with it, so those values weigh what they weighed
    then (see `term_frequencies`)."""

    def weights(
        self, levels: np.ndarray, left: np.ndarray, right: np.ndarray | None = None, swapped: np.ndarray | None = None
    ) -> np.ndarray:
        """Match weight in bits of every comparison for every pair (pairs x comparisons); 0 where a record does
        not say. `left` gives each pair's first record, whose value frequency adjusts exact agreements. Where a
        pair's names were read `swapped`, an exact first name is the `right` record's last name: it weighs as the
        more common of the two uses, or a surname written in the first-name field ('Yoshizawa Hideo') would count
        as a rare first name."""
        weights = np.zeros(levels.shape, dtype=np.float32)  # ten weights a pair, millions of pairs: 0.01 bit is plenty
        names = [comparison.name for comparison in self.comparisons]
        partner: dict[int, int] = {}
        if all(part in names for part in _NAME_PARTS):
            first, last = (names.index(part) for part in _NAME_PARTS)
            partner = {first: last, last: first}
        for column in range(len(self.comparisons)):
            table = self.level_weights(column)
            weights[:, column] = table[levels[:, column]]
            frequency = self.term_frequency[column]
            if frequency is not None:
                exact = np.flatnonzero(levels[:, column] == 1)
                used = frequency[left[exact]]
                other = self.term_frequency[partner[column]] if column in partner else None
                if other is not None and swapped is not None and right is not None:
                    crossed = swapped[exact]
                    used = np.where(crossed, np.maximum(used, other[right[exact]]), used)
                weights[exact, column] += np.log2(self.u[column][1]) - np.log2(used)
        return weights

    def level_weights(self, column: int) -> np.ndarray:
        """log2(m / u) per level of one comparison (0 for 'does not say'), no partial agreement weighing more than
        the exact one: a level random pairs never reached in training has u at its floor, and an address one
        typo from another would otherwise prove more than the same address."""
        table = np.log2(self.m[column]) - np.log2(self.u[column])
        table[0] = 0.0
        table[2:-1] = np.minimum(table[2:-1], table[1])
        return table

    @property
    def prior_weight(self) -> float:
        """The prior log2-odds that two records are one person."""
        return float(np.log2(self.prior / (1.0 - self.prior)))

    def probability(self, weights: np.ndarray) -> np.ndarray:
        """Match probability from per-comparison weights (pairs x comparisons)."""
        total = self.prior_weight + weights.sum(axis=1, dtype=np.float64)
        return 1.0 / (1.0 + np.exp2(-np.clip(total, -200, 200)))

    def explain(self, levels: np.ndarray, weights: np.ndarray, swapped: np.ndarray) -> np.ndarray:
        """JSON per pair: each comparison that said something with its level and weight in bits, the prior, the
        total and the probability - the waterfall behind the decision. Built column by column (a run explains
        hundreds of thousands of links)."""
        evidence = np.full(len(levels), "", dtype=object)
        for column, comparison in enumerate(self.comparisons):
            said = levels[:, column] > 0
            if not said.any():
                continue
            names = np.array(["", *comparison.levels], dtype=object)[levels[:, column]]
            piece = f'"{comparison.name}": ["' + names + '", ' + _numbers(weights[:, column], 2) + "]"
            evidence = np.where(said, np.where(evidence == "", piece, evidence + ", " + piece), evidence)
        evidence = np.where(swapped, np.where(evidence == "", "", evidence + ", ") + '"names_swapped": true', evidence)
        totals = self.prior_weight + weights.sum(axis=1, dtype=np.float64)
        return (
            '{"evidence": {'
            + evidence
            + f'}}, "prior": {round(self.prior_weight, 2)}, "match_weight": '
            + _numbers(totals, 2)
            + ', "probability": '
            + _numbers(self.probability(weights), 4)
            + "}"
        ).astype(object)

    def estimates(self) -> dict[str, object]:
        """What training estimated (m, u, the prior and what trained each m), exactly and as plain data: a later
        run given these back (`train(..., estimated=...)`) scores pairs with the same model, so confidences do not
        move with every small change to the records. Term frequencies are shares of the population the model was
        trained on (`term_totals`, kept here): were they shares of today's count, one new record would shift every
        adjusted weight a little and rewrite every probabilistic link. The values counted then keep their counts
        (`term_counts`, kept here too); only values new since are counted on the records each time."""
        return {
            "comparisons": [comparison.name for comparison in self.comparisons],
            "m": [values.tolist() for values in self.m],
            "u": [values.tolist() for values in self.u],
            "prior": self.prior,
            "trained_by": self.trained_by,
            "term_totals": list(self.term_totals),
            "term_counts": [None if counts is None else dict(counts) for counts in self.term_counts],
        }

    def parameters(self) -> dict[str, object]:
        """The model as plain data: m, u and match weight per level, the prior and what trained each m."""
        return {
            "prior": self.prior,
            "comparisons": {
                comparison.name: {
                    level: {
                        "m": round(float(self.m[column][index]), 6),
                        "u": round(float(self.u[column][index]), 8),
                        "weight": round(float(self.level_weights(column)[index]), 2),
                    }
                    for index, level in enumerate(comparison.levels, start=1)
                }
                | {"_trained_by": self.trained_by.get(comparison.name, [])}
                for column, comparison in enumerate(self.comparisons)
            },
        }


def _numbers(values: np.ndarray, decimals: int) -> np.ndarray:
    """Numbers as JSON text, rounded."""
    rounded = np.round(values.astype(np.float64), decimals)  # in float32, 8.7 would print as 8.699999809265137
    return np.array([repr(value) for value in rounded.tolist()], dtype=object)


def _normalised(counts: np.ndarray, prior: Sequence[float], pseudo: float) -> np.ndarray:
    """Level probabilities (entry 0 unused) from counts per level, smoothed towards `prior`."""
    probabilities = np.ones(len(prior) + 1, dtype=np.float64)
    smoothed = counts[1:] + pseudo * np.asarray(prior, dtype=np.float64)
    probabilities[1:] = np.maximum(smoothed / smoothed.sum(), 1e-12)
    return probabilities


def _random_pairs(size: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    total = size * (size - 1) // 2
    if total <= count:
        left, right = np.triu_indices(size, k=1)
        return left.astype(np.int64), right.astype(np.int64)
    left = rng.integers(0, size, count)
    right = rng.integers(0, size - 1, count)
    right = np.where(right >= left, right + 1, right)
    return left, right


def estimate_u(
    comparisons: tuple[Comparison, ...], context: RecordContext, people: np.ndarray, settings: ModelSettings
) -> tuple[np.ndarray, ...]:
    """u per comparison level from random pairs of the records in `people` (positions)."""
    rng = np.random.default_rng(settings.seed)
    left, right = _random_pairs(len(people), settings.random_pairs, rng)
    levels, _ = comparison_levels(comparisons, context, people[left], people[right])
    return tuple(
        _normalised(
            np.bincount(levels[:, column], minlength=len(comparison.levels) + 1).astype(np.float64),
            comparison.u_prior,
            _U_PSEUDO_PAIRS,
        )
        for column, comparison in enumerate(comparisons)
    )


def expectation_maximisation(
    levels: np.ndarray,
    comparisons: tuple[Comparison, ...],
    trained: np.ndarray,
    m: list[np.ndarray],
    u: tuple[np.ndarray, ...],
    settings: ModelSettings,
) -> tuple[list[np.ndarray], float]:
    """m for the `trained` comparisons (boolean per comparison) over these pairs, with u fixed; returns the new
    m arrays and the share of pairs that match."""
    m = [array.copy() for array in m]
    share = 0.1
    columns = np.flatnonzero(trained)
    for _ in range(settings.em_iterations):
        log_odds = np.full(len(levels), np.log(share / (1.0 - share)))
        for column in columns:
            table = np.log(m[column]) - np.log(u[column])
            table[0] = 0.0
            log_odds += table[levels[:, column]]
        posterior = 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))
        share = float(np.clip(posterior.mean(), 1e-6, 1 - 1e-6))
        change = 0.0
        for column in columns:
            counts = np.bincount(levels[:, column], weights=posterior, minlength=len(m[column]))
            updated = _normalised(counts, comparisons[column].m_prior, _M_PSEUDO_PAIRS)
            change = max(change, float(np.abs(updated - m[column]).max()))
            m[column] = updated
        if change < settings.em_tolerance:
            break
    return m, share


_TRAINING_BLOCK_SIZE = 30
"""Blocks larger than this teach EM little that smaller ones do not, and cost pairs quadratically."""


def _session_pairs(
    keys: np.ndarray, people: np.ndarray, max_block_size: int, limit: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    left, right = pairs_in_blocks(people, keys[people], min(max_block_size, _TRAINING_BLOCK_SIZE))
    if len(left) > limit:
        chosen = np.sort(rng.choice(len(left), limit, replace=False))
        left, right = left[chosen], right[chosen]
    return left, right


def estimate_m(
    comparisons: tuple[Comparison, ...],
    sessions: Sequence[TrainingSession],
    context: RecordContext,
    people: np.ndarray,
    u: tuple[np.ndarray, ...],
    settings: ModelSettings,
    max_block_size: int,
) -> tuple[tuple[np.ndarray, ...], dict[str, list[str]]]:
    """m per comparison level: the mean of the training sessions that estimated it, the prior where none did."""
    rng = np.random.default_rng(settings.seed + 1)
    start = [_normalised(np.zeros(len(c.m_prior) + 1), c.m_prior, 1.0) for c in comparisons]
    estimates: list[list[np.ndarray]] = [[] for _ in comparisons]
    trained_by: dict[str, list[str]] = {}
    names = [comparison.name for comparison in comparisons]
    for session in sessions:
        left, right = _session_pairs(session.key(context), people, max_block_size, settings.training_pairs, rng)
        if len(left) < settings.min_training_pairs:
            continue
        levels, _ = comparison_levels(comparisons, context, left, right)
        trained = np.array([name not in session.fixes for name in names]) & (levels > 0).any(axis=0)
        m, share = expectation_maximisation(levels, comparisons, trained, start, u, settings)
        matches = share * len(left)
        log.info("training session %s: %d pairs, %.0f estimated matches", session.name, len(left), matches)
        if matches < settings.min_training_matches:
            continue
        for column in np.flatnonzero(trained):
            estimates[column].append(m[column])
            trained_by.setdefault(names[column], []).append(session.name)
    m_final = tuple(np.mean(found, axis=0) if found else start[column] for column, found in enumerate(estimates))
    return m_final, trained_by


_STEPS_PER_BIT = 4


def _in_steps(counts: np.ndarray) -> np.ndarray:
    """Value counts rounded to quarter-bit steps (1, 2, 2.8, 3.4, 4, 4.8...). A common value's count moves with every
    record added or edited, and its exact match's weight with it by a few hundredths of a bit: shown in the
    evidence of every link it helped make, that rewrote thousands of links (and their customers' views) after any
    small change. In steps, the weight moves only when the count crosses one, by at most an eighth of a bit, which
    decides nothing a whole bit would not."""
    stepped = np.exp2(np.round(np.log2(np.maximum(counts, 1.0)) * _STEPS_PER_BIT) / _STEPS_PER_BIT)
    return np.where(counts > 0, stepped, 0.0)


def term_frequencies(
    comparisons: tuple[Comparison, ...],
    context: RecordContext,
    people: np.ndarray,
    u: tuple[np.ndarray, ...],
    totals: Sequence[float | None] = (),
    kept: Sequence[Mapping[str, int] | None] = (),
) -> tuple[tuple[np.ndarray | None, ...], tuple[float | None, ...], tuple[dict[str, int] | None, ...]]:
    """Per comparison with a `tf`, each record's value frequency among the people's records, smoothed towards the
    comparison's exact-level u (so a value seen twice in a tiny table is not taken for a rarity), and the number of
    values it is a share of: `totals` where given (a kept model's), else the records' own count. Counts are taken
    in quarter-bit steps (`_in_steps`).

    A value in `kept` (a kept model's `term_counts`) counts as often as it did when the model was trained. Counted
    afresh, a common value's count crosses a step every few changes and moves the weight of every pair agreeing on
    it: after a 1% change at scale 20, 18k unchanged records were scored with another frequency, nearly four for
    each changed one, and their links' evidence was written again. A value new since is counted on the records.
    Also returns, per comparison, the count of every lasting value more than one person holds: what a model
    trained here keeps."""
    size = context.features.size
    smoothing = 1000.0
    frequencies: list[np.ndarray | None] = []
    used: list[float | None] = []
    counted: list[dict[str, int] | None] = []
    for column, comparison in enumerate(comparisons):
        if comparison.tf is None:
            frequencies.append(None)
            used.append(None)
            counted.append(None)
            continue
        codes, values = comparison.tf(context)
        mine = codes[people]
        present = mine[mine >= 0]
        held = np.bincount(present, minlength=int(codes.max(initial=-1)) + 1 if values is None else len(values))
        counts = held.astype(np.float64)
        trained = kept[column] if column < len(kept) else None
        if trained and values is not None:
            at = pd.Index(list(trained), dtype=object).get_indexer(pd.Index(values, dtype=object))
            counts = np.where(at >= 0, np.fromiter(trained.values(), dtype=np.float64, count=len(trained))[at], counts)
        counts = _in_steps(counts)
        kept_total = totals[column] if column < len(totals) else None
        total = float(len(present)) if kept_total is None else float(kept_total)
        per_value = (counts + smoothing * u[column][1]) / (total + smoothing)
        frequency = np.full(size, u[column][1])
        has = codes >= 0
        frequency[has] = per_value[codes[has]]
        frequencies.append(frequency)
        used.append(total)
        shared = np.flatnonzero(held > 1)
        counted.append(None if values is None or trained else {str(values[code]): int(held[code]) for code in shared})
    return tuple(frequencies), tuple(used), tuple(counted)


def estimate_prior(
    model: MatchModel,
    weights: np.ndarray,
    people: int,
    settings: ModelSettings,
    unscored: np.ndarray | None = None,
    unscored_pairs: float = 0.0,
) -> float:
    """The share of all person pairs that match: a fixed point of (expected matches) / (all pairs), smoothed
    towards `prior_match_probability` so a handful of records keeps the configured prior.

    `weights` are the scored (candidate) pairs'. Matches blocking did not propose count too: `unscored` holds the
    total weights of a random sample of `unscored_pairs` pairs that were not scored, and their expected matches are
    the sample's mean probability times `unscored_pairs`. Counting the candidates alone caps the prior at their
    share of all pairs, which is far too low where blocks over their size cap hide many pairs of one person (an
    inventor on a thousand patents), and a prior too low keeps apart people whose every field agrees."""
    all_pairs = max(people * (people - 1) / 2.0, 1.0)
    pseudo = 10_000.0
    totals = weights.sum(axis=1, dtype=np.float64)
    sample = unscored if unscored is not None and len(unscored) and unscored_pairs > 0 else None
    prior = settings.prior_match_probability

    def probability(bits: np.ndarray, prior_odds: float) -> np.ndarray:
        return 1.0 / (1.0 + np.exp2(-np.clip(bits + prior_odds, -200, 200)))

    for _ in range(50):
        prior_odds = float(np.log2(prior / (1.0 - prior)))
        expected = float(probability(totals, prior_odds).sum())
        if sample is not None:
            expected += unscored_pairs * float(probability(sample, prior_odds).mean())
        updated = (expected + pseudo * settings.prior_match_probability) / (all_pairs + pseudo)
        updated = float(np.clip(updated, 1e-12, 0.5))
        if abs(updated - prior) <= 1e-3 * prior:
            prior = updated
            break
        prior = updated
    return prior


def estimates_fit(estimated: Mapping[str, Any], comparisons: tuple[Comparison, ...]) -> bool:
    """Whether a stored model's `estimates()` were made for these comparisons, level for level: a release that adds
    a level to a comparison (an email one typo apart) cannot score with m and u estimated without it."""
    names = [comparison.name for comparison in comparisons]
    levels = [len(comparison.levels) for comparison in comparisons]
    return list(estimated.get("comparisons") or ()) == names and [len(m) for m in estimated.get("m") or ()] == [
        count + 1 for count in levels
    ]


def train(
    comparisons: tuple[Comparison, ...],
    sessions: Sequence[TrainingSession],
    context: RecordContext,
    people: np.ndarray,
    settings: ModelSettings,
    max_block_size: int,
    estimated: Mapping[str, Any] | None = None,
) -> MatchModel:
    """Estimate u, m and term frequencies over the records at `people`; the prior is set by `with_prior`. With
    `estimated` (a model's `estimates()` for the same comparisons) m, u and the prior are taken from it and only
    the term frequencies are counted."""
    if estimated is not None:
        if not estimates_fit(estimated, comparisons):
            raise ValueError("the stored match model compares other things than this one; train it again")
        u = tuple(np.asarray(values, dtype=np.float64) for values in estimated["u"])
        m = tuple(np.asarray(values, dtype=np.float64) for values in estimated["m"])
        trained_by = {name: list(sessions_) for name, sessions_ in dict(estimated["trained_by"]).items()}
        prior = float(estimated["prior"])
        totals = tuple(estimated.get("term_totals") or ())
        kept = tuple(estimated.get("term_counts") or ())
    else:
        u = estimate_u(comparisons, context, people, settings)
        m, trained_by = estimate_m(comparisons, sessions, context, people, u, settings, max_block_size)
        prior = settings.prior_match_probability
        totals, kept = (), ()
    frequencies, totals, counted = (
        term_frequencies(comparisons, context, people, u, totals, kept)
        if settings.term_frequency
        else ((None,) * len(u), (None,) * len(u), (None,) * len(u))
    )
    # a model kept without counts (an earlier release's) keeps this run's from now on
    return MatchModel(comparisons, m, u, prior, frequencies, trained_by, totals, kept or counted)
