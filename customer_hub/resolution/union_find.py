"""Clustering: connected components over many edges at once, then checked merges for the few that need judgement.

Exact keys produce millions of edges that can be joined blindly, so they are labelled with array operations.
Fuzzy links and anything touching a steward's keep-apart decision go through `ClusterMerger` one by one, best first,
so a merge that would join two records a steward kept apart, or trip a guard, is refused instead of chaining.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import numpy as np


def connected_components(
    size: int, left: np.ndarray, right: np.ndarray, initial: np.ndarray | None = None
) -> np.ndarray:
    """Label every node 0..size-1 with the smallest node of its component, joining `left[i]`-`right[i]`.

    `initial` continues from earlier labels (each a node labelled with itself), so edges can be added in stages.
    Hook-and-jump: each round points the root of every still-split edge at the smaller label, then follows pointers
    until every node points at a root. Rounds shrink quickly, so the cost stays close to linear.
    """
    labels = np.arange(size, dtype=np.int64) if initial is None else initial.astype(np.int64, copy=True)
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    while len(left):
        root_left, root_right = labels[left], labels[right]
        split = root_left != root_right
        if not split.any():
            break
        left, right = left[split], right[split]
        root_left, root_right = root_left[split], root_right[split]
        smaller = np.minimum(root_left, root_right)
        np.minimum.at(labels, root_left, smaller)
        np.minimum.at(labels, root_right, smaller)
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
    return labels


class MergeGuard(Protocol):
    """Cluster-level veto on checked merges, e.g. 'these two clusters hold clearly different people'."""

    def allows(self, root_a: int, root_b: int) -> bool:
        """Whether clusters `root_a` and `root_b` may become one."""
        ...

    def merged(self, kept: int, absorbed: int) -> None:
        """Cluster `absorbed` was folded into `kept`: update whatever `allows` looks at."""
        ...


class ClusterMerger:
    """Union-find on top of precomputed component labels, for merges that must be checked one at a time."""

    def __init__(self, labels: np.ndarray, keep_apart: Iterable[tuple[int, int]] = (), guard: MergeGuard | None = None):
        self._labels = labels
        self._parent: dict[int, int] = {}
        self._guard = guard
        self._apart: dict[int, set[int]] = {}
        for record_a, record_b in keep_apart:
            self._apart.setdefault(int(labels[record_a]), set()).add(int(record_b))
            self._apart.setdefault(int(labels[record_b]), set()).add(int(record_a))

    def find(self, label: int) -> int:
        """The current root of a component label."""
        root = label
        while (parent := self._parent.get(root, root)) != root:
            root = parent
        while (parent := self._parent.get(label, label)) != root:
            self._parent[label] = root
            label = parent
        return root

    def root_of(self, record: int) -> int:
        """The current cluster root of a record."""
        return self.find(int(self._labels[record]))

    def _kept_apart(self, root_a: int, root_b: int) -> bool:
        return any(self.root_of(other) == root_b for other in self._apart.get(root_a, ())) or any(
            self.root_of(other) == root_a for other in self._apart.get(root_b, ())
        )

    def merge(self, record_a: int, record_b: int, *, guarded: bool) -> str:
        """Join the clusters of two records unless a keep-apart decision or (when `guarded`) the guard objects.

        Returns "merged", "already" (same cluster), "keep_apart" or "guard".
        """
        root_a, root_b = self.root_of(record_a), self.root_of(record_b)
        if root_a == root_b:
            return "already"
        if self._kept_apart(root_a, root_b):
            return "keep_apart"
        if guarded and self._guard is not None and not self._guard.allows(root_a, root_b):
            return "guard"
        kept, absorbed = min(root_a, root_b), max(root_a, root_b)
        self._parent[absorbed] = kept
        if absorbed in self._apart:
            self._apart.setdefault(kept, set()).update(self._apart.pop(absorbed))
        if self._guard is not None:
            self._guard.merged(kept, absorbed)
        return "merged"

    def labels(self) -> np.ndarray:
        """Final cluster label of every record (the smallest component label in its cluster)."""
        if not self._parent:
            return self._labels.copy()
        touched = np.fromiter(self._parent.keys(), dtype=np.int64)
        roots = np.fromiter((self.find(int(label)) for label in touched), dtype=np.int64, count=len(touched))
        mapping = np.arange(len(self._labels), dtype=np.int64)
        mapping[touched] = roots
        return mapping[self._labels]
