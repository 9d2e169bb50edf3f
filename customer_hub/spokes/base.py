"""What every tool connector provides, so one sync engine can land any stream the same way.

A connector knows its vendor's paging and change-feed mechanism; the engine in `sync.py` knows the hub store.
Neither knows the other's details, which keeps both testable on their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from customer_hub.spokes.http import ToolResponseError


@dataclass
class Page:
    """One page as served: raw payloads, plus ids the tool reports deleted (e.g. Stripe `customer.deleted`)."""

    records: list[dict[str, Any]]
    deleted_ids: list[str] = field(default_factory=list)


@dataclass
class StreamRead:
    """A read in progress. `cursor_after` is only meaningful once `pages` is exhausted without error."""

    pages: Iterator[Page]
    cursor_after: str | None = None
    complete: bool = False  # True for a full read: ids not seen were removed from the tool


@dataclass
class IdListing:
    """What a reconciliation pass learns from the tool's cheapest listing: the ids it holds now, the ids it keeps as
    deleted (HubSpot's archive) and which ids were merged into which (merged-away id -> surviving id)."""

    ids: set[str] = field(default_factory=set)
    archived: set[str] = field(default_factory=set)
    merged: dict[str, str] = field(default_factory=dict)


EmptyRule = Callable[[Mapping[str, Any]], bool]
"""Whether a record's canonical fields say its mapping left one field empty on purpose (a canceled subscription has
no next billing date). The field guard reads such an emptiness as data, not as a vendor renaming the field."""


def next_page(tool: str, endpoint: str, current: Any, following: Any) -> Any:
    """The cursor of the next page, refusing one equal to the cursor just sent: a tool that keeps answering with
    the same position would otherwise be paged forever, landing the same records again and again."""
    if following and following == current:
        raise ToolResponseError(
            tool,
            endpoint,
            f"the next-page cursor {str(following)[:60]!r} repeats the one just sent, so paging would never end",
        )
    return following


class ConnectorBase:
    """What the tool connectors share beyond the protocol: refusing a stream name the tool does not serve."""

    tool: str
    objects: tuple[str, ...]

    def _check(self, obj: str) -> None:
        if obj not in self.objects:
            raise ValueError(f"{self.tool} has no object {obj!r}; known objects: {list(self.objects)}")


class Connector(Protocol):
    """One tool. `objects` are the streams it serves, e.g. ("contacts", "companies", "deals")."""

    tool: str
    objects: tuple[str, ...]

    def read_full(self, obj: str) -> StreamRead:
        """Every record of the stream; `complete=True`; `cursor_after` positions the next incremental read."""

    def read_incremental(self, obj: str, cursor: str) -> StreamRead:
        """Records changed since `cursor` using the vendor's own mechanism, with an overlap window."""

    def count(self, obj: str) -> int | None:
        """How many live records the tool reports for the stream (None where the API cannot say cheaply)."""

    def source_id(self, obj: str, payload: dict[str, Any]) -> str:
        """The tool's id of the record."""

    # Optional: `list_ids(obj) -> IdListing`, a listing cheaper than a full read (ids, deletions, merges) for the
    # reconciliation pass. A connector without it is reconciled by a full read, which catches deletions too.

    # Optional: `empty_by_rule: Mapping[str, Mapping[str, EmptyRule]]`, per object the canonical fields its mapping
    # empties on purpose, each with the rule that tells when. Without it every emptied field counts towards the
    # field guard's rename detection.

    def source_updated_at(self, obj: str, payload: dict[str, Any]) -> datetime | None:
        """When the tool last changed the record (aware UTC)."""

    def to_canonical(self, obj: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The record's canonical fields (see `customer_hub.spokes.canonical`)."""
