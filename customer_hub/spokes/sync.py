"""The sync engine: read one stream from a connector and land it in the hub store.

The engine knows nothing about vendors; connectors know nothing about the store. The guarantees live here:
pages land as they arrive (so a failure keeps what was read), re-landing is idempotent, deletions are only marked,
and the cursor moves only after the whole read succeeded, in the same transaction as the deletion marks.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine

from customer_hub.spokes.base import Connector, IdListing, Page
from customer_hub.spokes.field_guard import apply_renames, emptied_fields, hold
from customer_hub.spokes.http import ApiClient, RequestStats, ToolError, ToolResponseError
from customer_hub.spokes.values import clean_fields, source_id_problem
from customer_hub.store.landing import (
    LandedRecord,
    UpsertCounts,
    field_paths,
    landed_fields,
    live_count,
    live_source_ids,
    mark_deleted,
    mark_unseen_deleted,
    read_cursor,
    record_merges,
    record_schema,
    upsert_records,
    write_cursor,
)
from customer_hub.store.quarantine_store import (
    GuardState,
    close_accepted,
    close_reverted,
    guard_state,
    open_quarantine,
    quarantine_records,
    release_records,
)

SyncMode = Literal["auto", "full", "incremental", "reconcile"]


@dataclass
class SyncResult:
    """What one sync of one stream did; the Dagster asset reports these as metadata."""

    tool: str
    object: str
    mode_used: str
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    marked_deleted: int = 0
    merged: int = 0
    restored: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    cursor_before: str | None = None
    cursor_after: str | None = None
    reported_count: int | None = None
    landed_count: int = 0
    duration_seconds: float = 0.0
    throttled_seconds: float = 0.0
    schema_changed: bool = False
    quarantined_fields: list[str] = field(default_factory=list)
    """Canonical fields held at their last good values because this or an earlier sync would have emptied them."""
    held_values: int = 0
    quarantined_records: int = 0
    """Records whose values were cleaned or left out (or whose id was refused); reasons in quarantined_records."""


def _refuse_empty_full_read(engine: Engine, tool: str, obj: str, reported: int | None) -> None:
    """A full read that served nothing would mark every live record deleted. Believe it only when the tool's own
    count says the stream is empty; otherwise it is far likelier a glitch (a wrong range, an empty first page)."""
    with engine.connect() as conn:
        live = live_count(conn, tool, obj)
    if live:
        says = "cannot say how many it holds" if reported is None else f"reports {reported} records"
        raise ToolResponseError(
            tool,
            obj,
            f"the full read returned no records, but the hub holds {live} live ones and the tool {says}; "
            "nothing was marked deleted and the cursor was not moved",
            hint="check the stream's settings (ids, ranges, permissions) and re-run; if the data really was removed "
            "from the tool, the next full read that the tool's count confirms as empty will mark it",
        )


def client_stats(connector: Any) -> RequestStats:
    """Request counts across every ApiClient a connector holds (some tools need two, e.g. an OAuth token client)."""
    total = RequestStats()
    for value in vars(connector).values():
        if isinstance(value, ApiClient):
            total = total + value.stats
    return total


def sync_stream(
    engine: Engine,
    connector: Connector,
    obj: str,
    *,
    mode: SyncMode = "auto",
    log: Any = None,
) -> SyncResult:
    """Sync one stream. `auto` reads incrementally when a cursor exists, else in full; `reconcile` lists the
    tool's ids to catch deletions and merges (`reconcile_stream`), or reads in full where no cheaper listing exists.

    Raises the connector's ToolError when the read fails; records landed before the failure stay, the cursor
    stays where it was, and the next run re-reads from there.
    """
    if mode not in ("auto", "full", "incremental", "reconcile"):
        raise ValueError(f"mode {mode!r}: use auto, full, incremental or reconcile")
    if obj not in connector.objects:
        raise ValueError(f"{connector.tool} has no stream {obj!r}; streams: {', '.join(connector.objects)}")
    if mode == "reconcile":
        list_ids = getattr(connector, "list_ids", None)
        if list_ids is not None:
            clock, before, started = time.monotonic(), client_stats(connector).copy(), datetime.now(UTC)
            result = reconcile_stream(engine, connector, obj, list_ids(obj), listed_from=started, log=log)
            result.duration_seconds = round(time.monotonic() - clock, 3)
            _fill_request_stats(result, connector, before)
            return result
        mode = "full"  # no cheaper listing: a full read sees every id, so it marks what vanished just the same
    tool = connector.tool
    log = log or logging.getLogger(f"customer_hub.spokes.{tool}")
    state = read_cursor(engine, tool, obj)
    cursor_before = state.cursor if state else None
    if mode == "incremental" and not cursor_before:
        log.info("%s %s: no cursor stored yet, so this incremental sync reads the stream in full", tool, obj)
    use_incremental = mode != "full" and bool(cursor_before)

    started = datetime.now(UTC)
    clock = time.monotonic()
    stats_before = client_stats(connector).copy()
    read = connector.read_incremental(obj, cursor_before) if use_incremental else connector.read_full(obj)
    result = SyncResult(tool=tool, object=obj, mode_used="incremental", cursor_before=cursor_before)
    counts = UpsertCounts()
    paths: set[str] = set()
    guard = guard_state(engine, tool, obj)
    seen_ids: set[str] = set()
    log.info(
        "%s %s: %s sync started (cursor %s)", tool, obj, "incremental" if use_incremental else "full", cursor_before
    )
    try:
        for page in prefetched(read.pages):
            result.pages += 1
            result.fetched += len(page.records)
            page_counts, deleted, held, bad = _land_page(
                engine, connector, obj, page, started, paths, guard, log, seen_ids
            )
            counts.add(page_counts)
            result.held_values += held
            result.quarantined_records += bad
            result.marked_deleted += deleted
            log.info(
                "%s %s: page %d landed, %d records so far (%d new, %d changed)",
                tool, obj, result.pages, result.fetched, counts.inserted, counts.updated,
            )  # fmt: skip
    except ToolError:
        _fill_request_stats(result, connector, stats_before)
        log.error(
            "%s %s: sync failed after %d pages (%d records landed and kept); cursor left at %s",
            tool, obj, result.pages, result.fetched, cursor_before,
        )  # fmt: skip
        raise

    result.mode_used = "full" if read.complete else "incremental"
    result.reported_count = _reported_count(connector, obj, log)
    if result.reported_count is None and read.complete:
        result.reported_count = len(seen_ids)  # a complete read is a counted listing of the tool (Stripe has no count)
    if read.complete and result.fetched == 0 and result.reported_count != 0:
        _refuse_empty_full_read(engine, tool, obj, result.reported_count)
    finished = datetime.now(UTC)
    with engine.begin() as conn:
        if read.complete:
            result.marked_deleted += mark_unseen_deleted(conn, tool, obj, seen_since=started, now=finished)
        cursor_after = read.cursor_after if read.cursor_after is not None or read.complete else cursor_before
        write_cursor(conn, tool, obj, cursor_after, full=read.complete, now=finished)
        result.schema_changed = record_schema(conn, tool, obj, paths, finished, complete=read.complete)
        result.landed_count = live_count(conn, tool, obj)
        if read.complete:
            close_accepted(conn, tool, obj)
            # a complete read that had to hold nothing for a quarantined field: the tool serves it again
            reverted = guard.open - guard.held
            close_reverted(conn, tool, obj, reverted)
            guard.open -= reverted
    result.quarantined_fields = sorted(guard.open)
    result.cursor_after = cursor_after
    result.inserted, result.updated, result.unchanged = counts.inserted, counts.updated, counts.unchanged
    result.restored = counts.restored
    result.duration_seconds = round(time.monotonic() - clock, 3)
    _fill_request_stats(result, connector, stats_before)
    log.info(
        "%s %s: %s sync done: %d fetched, %d new, %d changed, %d unchanged, %d marked deleted, %d live (tool says %s)",
        tool, obj, result.mode_used, result.fetched, result.inserted, result.updated, result.unchanged,
        result.marked_deleted, result.landed_count, result.reported_count,
    )  # fmt: skip
    return result


def reconcile_stream(
    engine: Engine, connector: Connector, obj: str, listing: IdListing, *, listed_from: datetime, log: Any = None
) -> SyncResult:
    """Apply a reconciliation listing: live records the tool no longer lists, keeps archived or merged away are
    marked deleted (merges remembered with the record they went into), and the ids counted are the tool's count.

    Nothing is landed or restored: an id the tool lists that the hub lacks shows as a parity gap, which the next
    full read closes. Records landed after `listed_from` (when the listing began) are left alone. The cursor is not
    moved.
    """
    tool = connector.tool
    log = log or logging.getLogger(f"customer_hub.spokes.{tool}")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        live = live_source_ids(conn, tool, obj, listed_from)
        merged = {loser: winner for loser, winner in listing.merged.items() if loser not in listing.ids}
        gone = (live - listing.ids) | (live & listing.archived) | (live & set(merged))
        new_merges = record_merges(conn, tool, obj, merged, now)
        marked = mark_deleted(conn, tool, obj, sorted(gone), now)
        landed_count = live_count(conn, tool, obj)
    result = SyncResult(
        tool=tool,
        object=obj,
        mode_used="reconcile",
        fetched=len(listing.ids),
        marked_deleted=marked,
        merged=new_merges,
        reported_count=len(listing.ids),
        landed_count=landed_count,
    )
    log.info(
        "%s %s: reconciled: tool lists %d ids (%d archived, %d merged away); %d marked deleted, %d live in the hub",
        tool, obj, len(listing.ids), len(listing.archived), len(merged), marked, landed_count,
    )  # fmt: skip
    return result


def prefetched(pages: Iterator[Page], depth: int = 2) -> Iterator[Page]:
    """The pages, fetched by a background thread up to `depth` ahead, so the next request waits on the API while
    this thread lands the current page. A sync then runs at the rate limit, not at limit plus landing time.
    The reader's error is re-raised here, after the pages read before it."""
    buffer: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for page in pages:
                buffer.put(("page", page))
                if stop.is_set():  # the consumer gave up: do not ask the tool for another page
                    return
            buffer.put(("done", None))
        except BaseException as error:  # noqa: BLE001 - handed to the consuming thread, which re-raises it
            buffer.put(("error", error))

    reader = threading.Thread(target=produce, name="sync-page-reader", daemon=True)
    reader.start()
    try:
        while True:
            kind, item = buffer.get()
            if kind == "page":
                yield item
            elif kind == "error":
                raise item
            else:
                return
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting on a full buffer, then let it finish
            with contextlib.suppress(queue.Empty):
                buffer.get(timeout=0.05)
        reader.join()


def _land_page(
    engine: Engine,
    connector: Connector,
    obj: str,
    page: Page,
    seen_at: datetime,
    paths: set[str],
    guard: GuardState,
    log: Any,
    seen_ids: set[str],
) -> tuple[UpsertCounts, int, int, int]:
    """Land one page in its own transaction, so a later failure keeps it. `seen_at` is the sync's start time:
    every record seen by this sync carries it, which is how a complete read finds the records it did not see.

    Fields the page would empty on most known records are quarantined first (see `field_guard`): their last good
    canonical values are held while the raw payloads land. Values the store cannot hold are cleaned or left out
    (`values`) and the record quarantined with the reason, never failing the page. Returns the counts, deletions,
    values held and records quarantined."""
    tool = connector.tool
    derived: dict[str, LandedRecord] = {}
    bad: dict[str, tuple[str, list[str], bool]] = {}
    for payload in page.records:
        paths |= field_paths(payload)
        source_id = str(connector.source_id(obj, payload))
        seen_ids.add(source_id)
        problem = source_id_problem(source_id)
        if problem:
            bad[source_id] = (source_id, [problem], False)
            continue
        cleaned = clean_fields(connector.to_canonical(obj, apply_renames(payload, guard.renames)))
        if cleaned.reasons:
            bad[source_id] = (source_id, cleaned.reasons, True)
        else:  # a repeat of the record in the page lands clean: the last occurrence wins
            bad.pop(source_id, None)
        derived[source_id] = LandedRecord(
            source_id=source_id,
            payload=payload,
            fields=cleaned.fields,
            source_updated_at=connector.source_updated_at(obj, payload),
        )
    for source_id, reasons, landed in bad.values():
        log.warning(
            "%s %s: record %r quarantined (%s): %s",
            tool, obj, source_id[:80], "landed cleaned" if landed else "not landed", "; ".join(reasons),
        )  # fmt: skip
    held_total = 0
    with engine.begin() as conn:
        quarantine_records(conn, tool, obj, bad.values(), datetime.now(UTC))
        release_records(conn, tool, obj, [source_id for source_id in derived if source_id not in bad])
        before = landed_fields(conn, tool, obj, list(derived))
        after = {source_id: record.fields for source_id, record in derived.items()}
        explained = _empty_by_rule(connector, obj, after)
        for emptied in emptied_fields(before, after, exempt=guard.open | guard.exempt, explained=explained):
            open_quarantine(conn, tool, obj, emptied.field, emptied.detail(), datetime.now(UTC))
            guard.open.add(emptied.field)
            log.warning(
                "%s %s: quarantined field %s (%s); the last good values are kept and the golden layer is blocked "
                "until the change is accepted: customer-hub accept-fields %s %s",
                tool, obj, emptied.field, emptied.describe(), tool, obj,
            )  # fmt: skip
        records = []
        for source_id, record in derived.items():
            fields, held = hold(before.get(source_id), record.fields, guard.open - explained.get(source_id, set()))
            held_total += len(held)
            guard.held.update(held)
            records.append(record if not held else replace(record, fields=fields))
        counts = upsert_records(conn, tool, obj, records, seen_at)
        deleted = mark_deleted(conn, tool, obj, page.deleted_ids, datetime.now(UTC))
    return counts, deleted, held_total, len(bad)


def _empty_by_rule(connector: Connector, obj: str, after: Mapping[str, Mapping[str, Any]]) -> dict[str, set[str]]:
    """By source id, the fields the connector's mapping leaves empty on purpose in the new values (see
    `base.EmptyRule`): the guard neither reads them as a rename nor holds a last good value the rule has ended."""
    rules = getattr(connector, "empty_by_rule", {}).get(obj, {})
    found = {source_id: {name for name, rule in rules.items() if rule(fields)} for source_id, fields in after.items()}
    return {source_id: names for source_id, names in found.items() if names}


def _reported_count(connector: Connector, obj: str, log: Any) -> int | None:
    """The tool's own count, for parity checks; a failure to count must not fail a sync that landed fine."""
    try:
        return connector.count(obj)
    except ToolError as error:
        log.warning("%s %s: could not read the tool's record count: %s", connector.tool, obj, error)
        return None


def _fill_request_stats(result: SyncResult, connector: Connector, before: RequestStats) -> None:
    spent = client_stats(connector) - before
    result.requests, result.retries = spent.requests, spent.retries
    result.throttled_seconds = round(spent.throttled_seconds, 3)
