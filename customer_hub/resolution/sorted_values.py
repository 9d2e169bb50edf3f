"""Distinct values by sorting, for the large integer arrays matching works on.

NumPy 2.4 answers a bare `np.unique(values)` (no `return_*` flag) through a hash table: on a million distinct int64
pair codes it took about a second, where sorting and dropping repeats takes a fiftieth of that.
"""

from __future__ import annotations

import numpy as np


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values in ascending order, as `np.unique(values)` gives them."""
    ordered = np.sort(np.asarray(values).ravel())
    if not len(ordered):
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]
