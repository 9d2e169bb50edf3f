"""Candidate pairs and key groups as integer arrays.

Comparing every record with every other is quadratic; only records sharing a block key (same account and initial,
same phone and initial, same name and postcode...) are compared. Blocks above a size cap are not compared pair by
pair: a key shared by hundreds of records is a switchboard number, a placeholder or one very busy customer, so
each member meets only a few neighbours. Keys are integer codes (-1 for "no key"), so grouping is a sort of
integers rather than of strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def combine_codes(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """One code per distinct (left, right) pair of codes; -1 where either is -1."""
    valid = (left >= 0) & (right >= 0)
    combined = np.full(len(left), -1, dtype=np.int64)
    if valid.any():
        pair = left[valid].astype(np.int64) * (int(right.max()) + 1) + right[valid]
        combined[valid] = pd.factorize(pair)[0]
    return combined


def sorted_groups(
    records: np.ndarray, keys: np.ndarray, rank: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Records sorted by key, and within a key by `rank` (per record; record order if None), with (record, key)
    repeats and keyless records dropped, and each one's group start and group size."""
    keep = keys >= 0
    records, keys = records[keep].astype(np.int64), keys[keep].astype(np.int64)
    if not len(keys):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    order = np.lexsort((records, keys))
    records, keys = records[order], keys[order]
    distinct = np.r_[True, (keys[1:] != keys[:-1]) | (records[1:] != records[:-1])]
    records, keys = records[distinct], keys[distinct]
    if rank is not None:
        order = np.lexsort((rank[records], keys))
        records, keys = records[order], keys[order]
    starts_here = np.r_[True, keys[1:] != keys[:-1]]
    group = np.cumsum(starts_here) - 1
    starts = np.flatnonzero(starts_here)
    sizes = np.diff(np.r_[starts, len(keys)])
    return records, starts[group], sizes[group]


def unique_pairs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ordered (small, large), self-pairs and repeats removed."""
    low, high = np.minimum(left, right), np.maximum(left, right)
    distinct = low != high
    low, high = low[distinct].astype(np.int64), high[distinct].astype(np.int64)
    if not len(low):
        return low, high
    span = np.int64(high.max()) + 1
    encoded = np.sort(low * span + high)
    encoded = encoded[np.r_[True, encoded[1:] != encoded[:-1]]]
    return encoded // span, encoded % span


def pairs_in_blocks(
    records: np.ndarray,
    keys: np.ndarray,
    max_block_size: int,
    *,
    window: int = 0,
    rank: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (a < b) of records sharing a key, from blocks of 2..`max_block_size` records. A larger block is
    skipped, or with `window` > 0 each member is paired with the next `window` members in `rank` order (a sorted
    neighbourhood inside the block): a big block that is one prolific customer still chains together, a big block
    of namesakes costs `window` pairs per record instead of every pair."""
    return _pairs_of_groups(*sorted_groups(records, keys, rank), max_block_size, window)


def _pairs_of_groups(
    ordered: np.ndarray, starts: np.ndarray, sizes: np.ndarray, max_block_size: int, window: int
) -> tuple[np.ndarray, np.ndarray]:
    left, right = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    position = np.flatnonzero((sizes >= 2) & (sizes <= max_block_size))
    end = starts[position] + sizes[position]
    offset = 1
    while len(position):
        inside = position + offset < end
        position, end = position[inside], end[inside]
        left.append(ordered[position])
        right.append(ordered[position + offset])
        offset += 1
    if window > 0:
        big = np.flatnonzero(sizes > max_block_size)
        end = starts[big] + sizes[big]
        for offset in range(1, window + 1):
            inside = big + offset < end
            left.append(ordered[big[inside]])
            right.append(ordered[big[inside] + offset])
    return unique_pairs(np.concatenate(left), np.concatenate(right))


def star_edges(records: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every group of records sharing a key, an edge from its smallest record to each other member: enough to
    connect the group with one edge per member instead of one per pair."""
    ordered, starts, _ = sorted_groups(records, keys)
    hub = ordered[starts]
    member = hub != ordered
    return hub[member], ordered[member]


@dataclass
class BlockingReport:
    """What each blocking rule contributed: pairs produced, and blocks larger than the cap (with their records),
    which were compared only within a window or, without one, skipped - a recall cost the run reports instead of
    hiding."""

    rules: dict[str, dict[str, int]] = field(default_factory=dict)

    def pairs(
        self,
        rule: str,
        records: np.ndarray,
        keys: np.ndarray,
        max_block_size: int,
        *,
        window: int = 0,
        rank: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """`pairs_in_blocks`, with the rule's figures recorded."""
        ordered, starts, sizes = sorted_groups(records, keys)
        first = np.r_[True, starts[1:] != starts[:-1]] if len(starts) else np.zeros(0, dtype=bool)
        too_big = sizes[first] > max_block_size
        if window > 0 and rank is not None and too_big.any():  # only oversized blocks need the place order
            ordered, starts, sizes = sorted_groups(records, keys, rank)
        left, right = _pairs_of_groups(ordered, starts, sizes, max_block_size, window)
        self.rules[rule] = {
            "pairs": len(left),
            "oversized_blocks": int(too_big.sum()),
            "oversized_records": int(sizes[first][too_big].sum()),
        }
        return left, right

    def add(self, rule: str, pairs: int) -> None:
        """Record a rule that produces pairs without blocks (sorted neighbourhood)."""
        self.rules[rule] = {"pairs": pairs, "oversized_blocks": 0, "oversized_records": 0}

    @property
    def oversized_blocks(self) -> int:
        """Blocks over their cap, over all rules."""
        return sum(figures["oversized_blocks"] for figures in self.rules.values())
