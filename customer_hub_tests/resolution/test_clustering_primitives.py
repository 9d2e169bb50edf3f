"""Connected components and blocking on integer arrays."""

import numpy as np

from customer_hub.resolution.blocking import pairs_in_blocks, star_edges
from customer_hub.resolution.union_find import ClusterMerger, connected_components


def _components_by_search(size: int, left: np.ndarray, right: np.ndarray) -> list[int]:
    neighbours: dict[int, set[int]] = {node: set() for node in range(size)}
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        neighbours[a].add(b)
        neighbours[b].add(a)
    label = [-1] * size
    for start in range(size):
        if label[start] >= 0:
            continue
        stack, members = [start], []
        while stack:
            node = stack.pop()
            if label[node] < 0:
                label[node] = start
                members.append(node)
                stack.extend(neighbours[node])
        for member in members:
            label[member] = min(members)
    return label


def test_components_match_a_graph_search():
    rng = np.random.default_rng(3)
    left, right = rng.integers(0, 400, 300), rng.integers(0, 400, 300)
    assert connected_components(400, left, right).tolist() == _components_by_search(400, left, right)


def test_components_continue_from_earlier_labels():
    first = connected_components(5, np.array([0]), np.array([1]))
    assert connected_components(5, np.array([1]), np.array([4]), first).tolist() == [0, 0, 2, 3, 0]


def test_keep_apart_blocks_indirect_merges():
    merger = ClusterMerger(np.arange(3), keep_apart=[(0, 2)])
    assert merger.merge(0, 1, guarded=False) == "merged"
    assert merger.merge(1, 2, guarded=False) == "keep_apart"
    assert merger.labels().tolist() == [0, 0, 2]


def test_pairs_only_within_blocks_and_under_the_size_cap():
    records = np.arange(6)
    keys = np.array([0, 1, 0, -1, 0, 1])
    left, right = pairs_in_blocks(records, keys, max_block_size=10)
    assert sorted(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 2), (0, 4), (1, 5), (2, 4)]
    left, _ = pairs_in_blocks(records, keys, max_block_size=2)
    assert left.tolist() == [1]


def test_star_edges_connect_each_group_through_its_smallest_record():
    hub, member = star_edges(np.array([5, 3, 9, 4]), np.array([1, 1, 1, -1]))
    assert sorted(zip(hub.tolist(), member.tolist(), strict=True)) == [(3, 5), (3, 9)]
