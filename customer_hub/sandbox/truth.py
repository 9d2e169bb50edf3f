"""Ground truth: which real customer (and person) every seeded record belongs to.

Kept on the state object for tests and benchmarks of entity resolution; it is never served over HTTP, because a
client that could read it would not need to resolve anything.
"""

from collections import defaultdict
from dataclasses import dataclass, field

RecordKey = tuple[str, str, str]  # (tool, stream, record id)


@dataclass(frozen=True)
class RecordTruth:
    """The real customer a record describes, and the real person when the record is about one."""

    customer: str
    person: str | None = None


@dataclass
class GroundTruth:
    """Record → real customer/person, with the reverse index tests use to check clusters."""

    records: dict[RecordKey, RecordTruth] = field(default_factory=dict)
    _by_customer: dict[str, list[RecordKey]] = field(default_factory=lambda: defaultdict(list))

    def add(self, tool: str, stream: str, record_id: str, customer: str, person: str | None = None) -> None:
        """Remember that a record belongs to a customer (and person)."""
        key = (tool, stream, record_id)
        self.records[key] = RecordTruth(customer, person)
        self._by_customer[customer].append(key)

    def customer_of(self, tool: str, stream: str, record_id: str) -> str | None:
        """The real customer behind a record, or None for records the sandbox created later."""
        truth = self.records.get((tool, stream, record_id))
        return truth.customer if truth else None

    def records_of(self, customer: str) -> list[RecordKey]:
        """Every seeded record that belongs to a customer, across tools."""
        return list(self._by_customer.get(customer, ()))
