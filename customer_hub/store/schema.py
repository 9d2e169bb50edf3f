"""The hub store's tables: one SQLAlchemy metadata for SQLite (default) and PostgreSQL.

Every table lives here so that `create_all` builds the whole hub in one step and a reader can see the data model
on one page. Functions that read and write the tables live in the sibling modules named after what they do.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on every backend.

    SQLite drops the offset of a stored datetime, so values are written as naive UTC and read back as aware UTC;
    comparisons in Python then never mix naive and aware times.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the hub store; pass a timezone-aware UTC time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class BoundedString(TypeDecorator):
    """Text from a vendor in a sized column, stored the same way on every backend.

    PostgreSQL refuses a NUL byte and raises StringDataRightTruncation past the column's length, while SQLite stores
    both; one bad vendor value would then stop a whole run on PostgreSQL only. Landing already cleans and bounds
    the canonical fields (`spokes.values`); this is the last line, so derived values (a folded name) cannot fail
    either: NUL is removed and the value cut to the length, on both backends. Not for keys, where a cut could
    collide: those are refused at landing instead.
    """

    impl = String
    cache_ok = True

    def __init__(self, length: int | None = None, *, postgres_collation: str | None = None) -> None:
        super().__init__(length)
        self.max_length = length
        self.postgres_collation = postgres_collation

    def load_dialect_impl(self, dialect):
        if self.max_length is None:
            return dialect.type_descriptor(Text())
        collation = self.postgres_collation if dialect.name == "postgresql" else None
        return dialect.type_descriptor(String(self.max_length, collation=collation))

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        value = str(value).replace("\x00", "")
        return value[: self.max_length] if self.max_length else value


metadata = MetaData()

RESOLUTION_TEXT_FIELDS = (
    "first_name", "last_name", "full_name", "email", "phone", "company_name", "company_domain", "street", "city",
    "postcode", "country", "shared_keys", "birth_date",
)  # fmt: skip
"""The text fields matching reads (`customer_hub.resolution.prepare`), stored as columns of `resolution_input`."""

# --- ingestion -------------------------------------------------------------------------------------------------

landed_records = Table(
    "landed_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tool", String(32), nullable=False),
    Column("object", String(64), nullable=False),
    Column("source_id", String(128), nullable=False),
    Column("payload", JSON, nullable=False, doc="the record exactly as the tool served it"),
    Column("fields", JSON, nullable=False, doc="canonical columns extracted from the payload"),
    Column("content_hash", String(64), nullable=False, doc="hash of payload: tells a real change from a re-read"),
    Column("source_updated_at", UtcDateTime, nullable=True),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("last_changed_at", UtcDateTime, nullable=False, doc="when the hub last landed a different payload"),
    Column(
        "fields_changed_at",
        UtcDateTime,
        nullable=True,
        doc="when its canonical fields last changed: landed new or changed, or read through a changed mapping",
    ),
    Column("deleted_at", UtcDateTime, nullable=True, doc="set when the record vanished from the tool; never deleted"),
    # also serves lookups by (tool, object): a second index there misleads PostgreSQL's planner on fresh tables
    UniqueConstraint("tool", "object", "source_id", name="uq_landed_source"),
)
# The quality metrics' window (changes and deletions of the last hours) without reading every landed payload. The
# deletion index holds deleted rows only, so no query for live rows (`deleted_at IS NULL`) can be planned onto it.
Index("ix_landed_updated", landed_records.c.source_updated_at)
Index(
    "ix_landed_deleted",
    landed_records.c.deleted_at,
    sqlite_where=landed_records.c.deleted_at.is_not(None),
    postgresql_where=landed_records.c.deleted_at.is_not(None),
)

source_merges = Table(
    "source_merges",
    metadata,
    Column("tool", String(32), primary_key=True),
    Column("object", String(64), primary_key=True),
    Column("source_id", String(128), primary_key=True, doc="the record merged away (marked deleted in landing)"),
    Column("merged_into", String(128), nullable=False, doc="the record it was merged into, which lives on"),
    Column("seen_at", UtcDateTime, nullable=False, doc="when a reconciliation pass first saw the merge"),
)

sync_cursors = Table(
    "sync_cursors",
    metadata,
    Column("tool", String(32), primary_key=True),
    Column("object", String(64), primary_key=True),
    Column("cursor", Text, nullable=True, doc="vendor-specific position: a timestamp, event id or sync token"),
    Column("last_full_sync_at", UtcDateTime, nullable=True),
    Column("last_sync_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

oauth_tokens = Table(
    "oauth_tokens",
    metadata,
    Column("tool", String(32), primary_key=True),
    Column("refresh_token", Text, nullable=False, doc="rotated refresh token; the vendor invalidates the old one"),
    Column("rotated_at", UtcDateTime, nullable=False),
)

schema_snapshots = Table(
    "schema_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tool", String(32), nullable=False),
    Column("object", String(64), nullable=False),
    Column("fields", JSON, nullable=False, doc="sorted field paths seen in the tool's payloads"),
    Column("captured_at", UtcDateTime, nullable=False),
)
Index("ix_schema_stream", schema_snapshots.c.tool, schema_snapshots.c.object, schema_snapshots.c.captured_at)

quarantined_records = Table(
    "quarantined_records",
    metadata,
    Column("tool", String(32), primary_key=True),
    Column("object", String(64), primary_key=True),
    Column("record_key", String(64), primary_key=True, doc="sha256 of the source id, which may itself be the fault"),
    Column("source_id", BoundedString(), nullable=False),
    Column("reasons", JSON, nullable=False, doc="what was wrong and what landing did about it"),
    Column("landed", Boolean, nullable=False, doc="landed with the bad values cleaned, or refused (a bad id)"),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
)

field_quarantines = Table(
    "field_quarantines",
    metadata,
    Column("tool", String(32), primary_key=True),
    Column("object", String(64), primary_key=True),
    Column("field", String(64), primary_key=True, doc="canonical field a sync would have emptied"),
    Column("status", String(16), nullable=False, doc="open (last good values held) or accepted"),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("detail", JSON, nullable=False, doc="how many filled values the sync would have emptied, sample ids"),
    Column("renames", JSON, nullable=True, doc="payload paths accepted as renamed: old path -> new path"),
    Column("accepted_by", String(128), nullable=True),
    Column("accepted_at", UtcDateTime, nullable=True),
)

# --- golden record ---------------------------------------------------------------------------------------------

customer_records = Table(
    "customer_records",
    metadata,
    Column("record_id", String(200), primary_key=True, doc="tool:object:source_id"),
    Column("source_system", String(32), nullable=False),
    Column("source_object", String(64), nullable=False),
    Column("source_id", String(128), nullable=False),
    Column("attributes", JSON, nullable=False, doc="canonical and normalised fields of the record"),
    Column("source_updated_at", UtcDateTime, nullable=True),
    Column("deleted_at", UtcDateTime, nullable=True),
    Column("content_hash", String(40), nullable=True, doc="hash of the row: a rebuild rewrites only rows it changes"),
    Column("revision", Integer, nullable=True, index=True, doc="the customer-records run that last changed the row"),
    Column(
        "base_hash",
        String(40),
        nullable=True,
        doc="hash of the row before normalisation: a run normalises an unchanged record again without reading it",
    ),
    Column(
        "landed_signature",
        String(16),
        nullable=True,
        doc="the landed row's payload hash, times and deletion when last read: a run reads only rows that moved",
    ),
    *(
        Column(
            f"{part}_name_part",
            BoundedString(),
            nullable=True,
            doc=f"the {part} name as the hub-wide swap evidence counts it, before any swap ('' where none; null where "
            "not yet recorded): a run judges changed records against every record's without normalising them again",
        )
        for part in ("first", "last")
    ),
)

resolution_input = Table(
    "resolution_input",
    metadata,
    Column("record_id", String(200), primary_key=True),
    Column("source_system", String(32), nullable=False),
    Column("source_object", String(64), nullable=False),
    Column("source_id", String(128), nullable=False),
    *(Column(field, BoundedString(), nullable=True) for field in RESOLUTION_TEXT_FIELDS),
    Column("is_account_only", Boolean, nullable=False),
    Column(
        "phone_e164",
        BoundedString(),
        nullable=True,
        doc="the phone as matching reads it ('' when it is no valid number), read once when the record changed; "
        "null where not yet read",
    ),
    Column("source_updated_at", UtcDateTime, nullable=True),
    Column("revision", Integer, nullable=False, index=True, doc="the customer-records run that last changed it"),
    comment="the live records' fields matching compares, one column each: a golden run reads them column-wise "
    "instead of decoding every record's attributes; kept by the customer-records step beside customer_records",
)

resolution_snapshot = Table(
    "resolution_snapshot",
    metadata,
    Column("name", String(32), primary_key=True, doc="which frame: 'resolution_input'"),
    Column("revision", Integer, nullable=False, doc="the newest record revision it holds"),
    Column("records", Integer, nullable=False),
    Column("frame", LargeBinary, nullable=True, doc="the frame as an LZ4 Arrow IPC stream (older: zstd); null dropped"),
    Column(
        "generation",
        Integer,
        nullable=False,
        doc="moves on every write and drop: a run keeps its frame only if no drop came after it began reading",
    ),
    Column("written_at", UtcDateTime, nullable=False),
    comment="resolution_input as a golden run last read it, column-wise in one value: the next run reads it with "
    "the rows changed since (by revision) instead of every row through the driver; a cache, checked against the "
    "live row count and rebuilt from resolution_input whenever it does not add up",
)

derived_state = Table(
    "derived_state",
    metadata,
    Column("step", String(32), primary_key=True, doc="customer_records, golden or customer_360"),
    Column("revision", Integer, nullable=False, doc="customer_records: its run counter; others: what they consumed"),
    Column("fingerprint", String(64), nullable=False, doc="the inputs the step last ran on (settings, decisions)"),
    Column("detail", JSON, nullable=True, doc="what the step needs to skip an unchanged run, e.g. its last counts"),
    Column("updated_at", UtcDateTime, nullable=False),
    comment="where each derived step got to, so a run after no change does nothing and one after a change does "
    "only what changed",
)

golden_customers = Table(
    "golden_customers",
    metadata,
    Column("golden_id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False, doc="customer (an account) or person"),
    Column("status", String(16), nullable=False, doc="active, or merged (see merged_into)"),
    Column("merged_into", String(32), nullable=True),
    Column("fields", JSON, nullable=False, doc="surviving value per field"),
    Column("field_sources", JSON, nullable=False, doc="record_id each surviving value came from"),
    Column(
        "source_times",
        JSON,
        nullable=True,
        doc="source_updated_at of each record a value came from, when it won: a winner that changed and is no older "
        "still beats the records it beat, so they need not be read again",
    ),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

golden_generation = Table(
    "golden_generation",
    metadata,
    Column("id", Integer, primary_key=True, doc="always 1: one row"),
    Column("generation", Integer, nullable=False, doc="how many golden runs have been saved"),
    Column("saved_at", UtcDateTime, nullable=False),
)
"""A golden run saves only if no other run saved since it read the store (compare-and-set on `generation`)."""

golden_touched = Table(
    "golden_touched",
    metadata,
    Column("generation", Integer, nullable=False, index=True, doc="the golden run that touched the customer"),
    Column("golden_customer_id", String(32), nullable=False),
    comment="golden customers a golden run changed (membership, fields, links or a record's content), for the "
    "360 view to rebuild only those; entries older than every reader's position are pruned",
)

golden_history = Table(
    "golden_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("golden_id", String(32), nullable=False, index=True),
    Column("event", String(16), nullable=False, doc="created, updated, merged, split, retired"),
    Column("detail", JSON, nullable=False, doc="before/after values, the other id, the rule that caused it"),
    Column("recorded_at", UtcDateTime, nullable=False),
)

customer_xref = Table(
    "customer_xref",
    metadata,
    Column("record_id", String(200), primary_key=True),
    Column("source_system", String(32), nullable=False),
    Column("source_object", String(64), nullable=False),
    Column("source_id", String(128), nullable=False, index=True),
    Column("golden_customer_id", String(32), nullable=False),
    Column("golden_person_id", String(32), nullable=True, index=True),
    Column(
        "email",
        BoundedString(320),
        nullable=True,
        index=True,
        doc="the record's lowercase email: lookup by any contact",
    ),
    Column("match_rule", String(64), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("match_scores", JSON, nullable=True),
    Column("linked_to", String(200), nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("link_hash", String(40), nullable=True, doc="hash of the row's values: a run rewrites only changed rows"),
)
# a customer's records, and whether it holds one of an object (an invoice's customer has a `customers` record?),
# answered from the index alone: the unmatched-invoice count probes it once per invoice
Index("ix_xref_customer_object", customer_xref.c.golden_customer_id, customer_xref.c.source_object)

RETIRED_INDEXES = {"customer_xref": ("ix_customer_xref_golden_customer_id",)}
"""Indexes an older hub made that a newer one replaced; an upgrade drops them (`db.add_missing_indexes`)."""

match_candidates = Table(
    "match_candidates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id_a", String(200), nullable=False),
    Column("record_id_b", String(200), nullable=False),
    Column("score", Float, nullable=False),
    Column("scores", JSON, nullable=True),
    Column("record_a", JSON, nullable=False, doc="side-by-side view for the steward"),
    Column("record_b", JSON, nullable=False),
    Column("status", String(16), nullable=False, doc="open, or decided"),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("record_id_a", "record_id_b", name="uq_candidate_pair"),
)

steward_decisions = Table(
    "steward_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id_a", String(200), nullable=False),
    Column("record_id_b", String(200), nullable=False),
    Column("decision", String(16), nullable=False, doc="merge or keep_apart"),
    Column("decided_by", String(128), nullable=False),
    Column("reason", Text, nullable=True),
    Column("decided_at", UtcDateTime, nullable=False),
)

customer_360 = Table(
    "customer_360",
    metadata,
    Column("golden_customer_id", String(32), primary_key=True),
    Column("name", BoundedString(), nullable=True, index=True),
    Column(
        "name_lc",
        # byte order on PostgreSQL too, so `name_lc >= 'acme' AND name_lc < 'acmf'` is exactly a prefix range
        BoundedString(255, postgres_collation="C"),
        nullable=True,
        index=True,
        doc="name folded to lowercase ASCII words: indexed prefix search",
    ),
    Column("domain", BoundedString(255), nullable=True, index=True),
    Column("email", BoundedString(320), nullable=True, index=True),
    Column("view", JSON, nullable=False, doc="the whole 360 view with the tool each field came from"),
    Column("updated_at", UtcDateTime, nullable=False),
    # the view's figures as columns, so the asset's totals are one aggregate query rather than a read of every view
    Column("mrr", Float, nullable=True),
    Column("open_conversations", Integer, nullable=True),
    Column("unpaid_invoices", Integer, nullable=True),
    Column("duplicate_records", Integer, nullable=True, doc="extra copies the tools hold (`duplicate_records`)"),
    Column("double_billing", JSON(none_as_null=True), nullable=True, doc="the view's double billings; null when none"),
)

lookup_keys = Table(
    "lookup_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False, doc="contact_name (name_key of a person) or phone (digits of E.164)"),
    Column("key", BoundedString(255, postgres_collation="C"), nullable=False),
    Column("golden_customer_id", String(32), nullable=False),
    Index("ix_lookup_keys_kind_key", "kind", "key"),
    Index("ix_lookup_keys_customer", "golden_customer_id"),
    comment="what else a customer is looked up by: its people's names and every phone, rebuilt with customer_360",
)

# --- quality, health and alerts --------------------------------------------------------------------------------

quality_metrics = Table(
    "quality_metrics",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("measured_at", UtcDateTime, nullable=False, index=True),
    Column("metric", String(64), nullable=False),
    Column("tool", String(32), nullable=False, doc="a tool, or 'all'"),
    Column("value", Float, nullable=False),
    Column("threshold", Float, nullable=True),
    Column("passed", Boolean, nullable=True),
    Column("detail", JSON, nullable=True),
)
Index("ix_metric_series", quality_metrics.c.metric, quality_metrics.c.tool, quality_metrics.c.measured_at)

integration_health_log = Table(
    "integration_health_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", UtcDateTime, nullable=False, index=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("what", String(128), nullable=False, doc="asset, job or flow name"),
    Column("trigger", String(64), nullable=False, doc="schedule, sensor, manual, cli, ..."),
    Column("tool", String(32), nullable=True),
    Column("records_in", Integer, nullable=True),
    Column("records_out", Integer, nullable=True),
    Column("status", String(16), nullable=False, doc="success, failure, skipped"),
    Column("duration_seconds", Float, nullable=True),
    Column("error", Text, nullable=True, doc="summary only: never a secret"),
    Column("run_id", String(64), nullable=True),
)

alert_incidents = Table(
    "alert_incidents",
    metadata,
    Column("incident_key", String(200), primary_key=True, doc="check name plus what it is about"),
    Column("status", String(16), nullable=False, doc="open or resolved"),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("last_value", Text, nullable=True, doc="the figure last alerted on: a change posts a thread update"),
    Column("thread_ts", String(64), nullable=True, doc="Slack ts of the opening message"),
    Column("channel", String(128), nullable=True),
)

alert_outbox = Table(
    "alert_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("incident_key", String(200), nullable=True, index=True),
    Column("kind", String(16), nullable=False, doc="opened, updated, resolved, digest, run_failure"),
    Column("message", JSON, nullable=False, doc="text and Block Kit blocks"),
    Column("status", String(16), nullable=False, doc="pending, delivered, undeliverable"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("slack_ts", String(64), nullable=True),
)

# --- automation ------------------------------------------------------------------------------------------------

onboarding_flows = Table(
    "onboarding_flows",
    metadata,
    Column("deal_id", String(64), primary_key=True),
    Column("deal_name", BoundedString(), nullable=True),
    Column("amount", Float, nullable=True),
    Column("status", String(16), nullable=False, doc="detected, running, done, failed"),
    Column("deal_closed_at", UtcDateTime, nullable=True),
    Column("detected_at", UtcDateTime, nullable=False),
    Column("asana_project_gid", String(64), nullable=True),
    Column("project_created_at", UtcDateTime, nullable=True),
    Column("quickbooks_invoice_id", String(64), nullable=True),
    Column("invoice_drafted_at", UtcDateTime, nullable=True),
    Column("mrr_refreshed_at", UtcDateTime, nullable=True),
    Column("latency_seconds", Float, nullable=True, doc="deal closed to invoice drafted"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
)

onboarding_claims = Table(
    "onboarding_claims",
    metadata,
    Column("deal_id", String(64), primary_key=True),
    Column("owner", String(64), nullable=False, doc="the run (or process) allowed to write to the tools for the deal"),
    Column("expires_at", UtcDateTime, nullable=False, doc="a claim left by a killed run lapses here"),
)

# --- vendor webhooks -------------------------------------------------------------------------------------------

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tool", String(32), nullable=False),
    Column("event_id", String(200), nullable=False, doc="the vendor's event id: a redelivery is recognised by it"),
    Column("event_type", String(128), nullable=False, doc="subscriptionType, Stripe type or Intercom topic"),
    Column("object_id", String(128), nullable=True, doc="the deal, contact, customer ... the event is about"),
    Column("occurred_at", UtcDateTime, nullable=True, doc="when the vendor says it happened"),
    Column("received_at", UtcDateTime, nullable=False, doc="stored (before the vendor got its 2xx)"),
    Column("deliveries", Integer, nullable=False, default=1, doc="how often the vendor delivered it"),
    Column("payload", JSON, nullable=False, doc="the event exactly as delivered"),
    Column("status", String(16), nullable=False, doc="received, dispatched, processed or ignored"),
    Column("dispatch_tick", Integer, nullable=True, doc="sensor tick that requested its run"),
    Column("run_key", String(200), nullable=True, doc="the run requested for it"),
    Column("processed_at", UtcDateTime, nullable=True),
    Column("error", Text, nullable=True, doc="why it was ignored"),
    UniqueConstraint("tool", "event_id", name="uq_webhook_event"),
)
Index("ix_webhook_status", webhook_events.c.status, webhook_events.c.id)
Index("ix_webhook_received", webhook_events.c.tool, webhook_events.c.received_at)

# --- write-back ------------------------------------------------------------------------------------------------

writeback_ledger = Table(
    "writeback_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False, index=True, doc="the Dagster run or command that wrote"),
    Column("tool", String(32), nullable=False),
    Column("object", String(64), nullable=False),
    Column("source_id", String(128), nullable=False, doc="the record written to, in the tool"),
    Column("field", String(128), nullable=False, doc="the tool's field: a property, `metadata[key]`, ..."),
    Column("golden_id", String(32), nullable=True),
    Column("origin", String(128), nullable=False, doc="golden field, `golden_id` or `flow:<name>`"),
    Column("old_value", JSON, nullable=True),
    Column("new_value", JSON, nullable=True),
    Column("status", String(16), nullable=False, doc="pending, applied, rejected; confirmed once a sync read it"),
    Column("error", Text, nullable=True),
    Column("idempotency_key", String(64), nullable=False),
    Column("landed_updated_at", UtcDateTime, nullable=True, doc="the record's freshness before the write"),
    Column("landed_changed_at", UtcDateTime, nullable=True),
    Column("echo_hash", String(64), nullable=True, doc="the payload's hash without the written fields and stamps"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("applied_at", UtcDateTime, nullable=True),
)
Index(
    "ix_writeback_record",
    writeback_ledger.c.tool,
    writeback_ledger.c.object,
    writeback_ledger.c.source_id,
    writeback_ledger.c.field,
)

writeback_creates = Table(
    "writeback_creates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tool", String(32), nullable=False),
    Column("object", String(64), nullable=False),
    Column("golden_id", String(32), nullable=False, doc="the golden customer the record is created for"),
    Column("run_id", String(64), nullable=False, doc="the run that last sent (or is sending) the create"),
    Column("status", String(16), nullable=False, doc="pending (sent, answer not seen), applied, rejected"),
    Column("attempt", Integer, nullable=False, doc="creates sent after rejections: keeps idempotency keys new"),
    Column("idempotency_key", String(64), nullable=False),
    Column("source_id", String(128), nullable=True, doc="the created record's id in the tool"),
    Column("new_values", JSON, nullable=False, doc="tool field -> value the create sets"),
    Column("error", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("applied_at", UtcDateTime, nullable=True),
    UniqueConstraint("tool", "object", "golden_id", name="uq_writeback_create"),
)
"""Records the write-back's upsert creates: one row per golden customer and target, ever, so a record is created at
most once even across lost replies and crashed runs (and never again after someone deletes it in the tool)."""

writeback_plans = Table(
    "writeback_plans",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("tool", String(32), primary_key=True),
    Column("fingerprint", String(64), nullable=False, doc="hash of the changes: an approval holds for this plan"),
    Column("summary", JSON, nullable=False, doc="counts per field and operation, sample rows"),
    Column("records_changed", Integer, nullable=False),
    Column("records_linked", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

writeback_approvals = Table(
    "writeback_approvals",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("run_id", String(64), nullable=False),
    Column("approved_by", String(128), nullable=False),
    Column("approved_at", UtcDateTime, nullable=False),
)

# --- change control --------------------------------------------------------------------------------------------

schema_changes = Table(
    "schema_changes",
    metadata,
    Column("change_key", String(32), primary_key=True, doc="hash of tool, object and field: one row per change"),
    Column("tool", String(32), nullable=False),
    Column("object", String(64), nullable=False),
    Column("field", Text, nullable=False, doc="the field path the change is about (a rename: the old path)"),
    Column("kind", String(16), nullable=False, doc="added, removed or renamed"),
    Column("summary", Text, nullable=False, doc="e.g. 'renamed properties.email → properties.email_address'"),
    Column("status", String(16), nullable=False, doc="open, or resolved (the field is back or the schema accepted)"),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("ticket_gid", String(64), nullable=True, doc="the Asana task of the change, once created or found"),
    Column("ticket_url", Text, nullable=True),
    Column("ticket_state", String(16), nullable=True, doc="open or completed, as the hub last set it in Asana"),
    Column("ticket_error", Text, nullable=True, doc="why the last attempt to create or update the task failed"),
    Column("ticket_synced_at", UtcDateTime, nullable=True),
)

# --- customer success: health and MRR ----------------------------------------------------------------------------

customer_health = Table(
    "customer_health",
    metadata,
    Column("golden_customer_id", String(32), primary_key=True),
    Column("name", BoundedString(), nullable=True),
    Column("score", Integer, nullable=False, doc="100 minus the points of the signals present, at least 0"),
    Column("band", String(16), nullable=False, doc="healthy, watch or at_risk (customer_health.bands in hub.yaml)"),
    Column("previous_band", String(16), nullable=True, doc="the band on the last earlier day scored"),
    Column("signals", JSON, nullable=False, doc="each signal present: name, points, reason"),
    Column("notes", JSON, nullable=False, doc="what could not be judged (an unreadable go-live date)"),
    Column("scored_at", UtcDateTime, nullable=False),
    comment="each active golden customer's latest health score; the trend is in customer_health_history",
)

customer_health_history = Table(
    "customer_health_history",
    metadata,
    Column("day", String(10), primary_key=True, doc="YYYY-MM-DD (UTC); a later run on the day replaces its row"),
    Column("golden_customer_id", String(32), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("band", String(16), nullable=False),
    Column("signals", JSON, nullable=False, doc="names of the signals present"),
)
Index("ix_health_history_customer", customer_health_history.c.golden_customer_id, customer_health_history.c.day)

mrr_by_customer = Table(
    "mrr_by_customer",
    metadata,
    Column("golden_customer_id", String(32), primary_key=True),
    Column("currency", String(8), primary_key=True, doc="ISO code as Stripe gives it, '' when it gave none"),
    Column("mrr", Float, nullable=False, doc="billing subscriptions' monthly amount; only customers with MRR"),
    Column("measured_at", UtcDateTime, nullable=False),
    comment="each paying customer's MRR at the latest snapshot: what the next snapshot's movements compare with",
)

mrr_history = Table(
    "mrr_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("measured_at", UtcDateTime, nullable=False, index=True, doc="the snapshot (at least one a day)"),
    Column("currency", String(8), nullable=False),
    Column("mrr", Float, nullable=False),
    Column("customers", Integer, nullable=False, doc="customers paying in this currency"),
    Column("previous_at", UtcDateTime, nullable=True, doc="the snapshot the movements compare with; none at first"),
    Column("new_mrr", Float, nullable=False, doc="from customers who paid nothing in this currency before"),
    Column("expansion_mrr", Float, nullable=False, doc="increases of customers who paid before and pay more now"),
    Column("contraction_mrr", Float, nullable=False, doc="decreases (negative) of customers who still pay"),
    Column("churned_mrr", Float, nullable=False, doc="MRR (negative) of customers who stopped paying"),
    comment="per snapshot and currency: MRR and its movements since the previous snapshot (they add up over a day)",
)
