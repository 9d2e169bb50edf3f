"""In-memory record storage shared by every imitated tool."""

import bisect
from collections.abc import Iterator
from typing import Any

Record = dict[str, Any]


class Stream:
    """Records of one tool object in creation order, addressable by id, with a last-change time each.

    Creation order is the order every list endpoint pages through; `updated_ms` is what incremental endpoints
    filter on, kept apart from the vendor-shaped record because every vendor formats its timestamps differently.
    """

    def __init__(self, numeric_ids: bool = False) -> None:
        self.records: dict[str, Record] = {}
        self.order: list[str] = []
        self.updated_ms: dict[str, int] = {}
        self.position: dict[str, int] = {}  # id -> index in `order`
        self.numeric_ids = numeric_ids
        self._sorted_numbers: list[int] = []

    def add(self, record_id: str, record: Record, updated_ms: int) -> None:
        """Append a record (ids are unique; numeric ids must grow, as the real tools hand them out)."""
        if record_id in self.records:
            raise ValueError(f"duplicate id {record_id}")
        self.records[record_id] = record
        self.position[record_id] = len(self.order)
        self.order.append(record_id)
        self.updated_ms[record_id] = updated_ms
        if self.numeric_ids:
            bisect.insort(self._sorted_numbers, int(record_id))

    def remove(self, record_id: str) -> None:
        """Forget a deleted record (later records move up one place)."""
        index = self.position.pop(record_id)
        del self.records[record_id]
        del self.updated_ms[record_id]
        del self.order[index]
        for later in self.order[index:]:
            self.position[later] -= 1
        if self.numeric_ids:
            self._sorted_numbers.remove(int(record_id))

    def touch(self, record_id: str, updated_ms: int) -> None:
        """Record that a record changed at `updated_ms`."""
        self.updated_ms[record_id] = updated_ms

    def get(self, record_id: str) -> Record | None:
        """The record with this id, or None."""
        return self.records.get(record_id)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
        return (self.records[record_id] for record_id in self.order)

    def ids_from(self, first_id: int, limit: int) -> list[str]:
        """Up to `limit` numeric ids >= first_id in ascending order (HubSpot-style `after` paging)."""
        start = bisect.bisect_left(self._sorted_numbers, first_id)
        return [str(number) for number in self._sorted_numbers[start : start + limit]]

    def changed_since(self, after_ms: int) -> list[str]:
        """Ids changed strictly after `after_ms`, oldest change first."""
        hits = [record_id for record_id, changed in self.updated_ms.items() if changed > after_ms]
        return sorted(hits, key=lambda record_id: (self.updated_ms[record_id], record_id))
