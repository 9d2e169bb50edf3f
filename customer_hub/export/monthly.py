"""The monthly vendor-neutral export: the whole hub as open files any tool can read without customer_hub.

Layout of one export folder:
    manifest.json      what is in the folder: each file's row count and SHA-256, the format, when it was made
    schema.json        every table's columns and types, and the field list of each landed stream
    tables/<name>.parquet (or .csv)   one file per hub table: golden records, cross-reference, landed data, ...
    integration_map.md the integration map of the month (tools, flows, field ownership), when the export was given it

The folder is written beside its final place and renamed into it, so a crash never leaves a half export that
looks complete. OAuth refresh tokens are not exported: they are credentials, and a restored hub re-authorises.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlalchemy import Engine, Table, func, select

from customer_hub.export.columns import arrow_schema, describe_table, to_batch
from customer_hub.export.settings import export_settings
from customer_hub.key_shapes import mask_key_shapes
from customer_hub.store.schema import landed_records, metadata, oauth_tokens, resolution_snapshot, schema_snapshots

if TYPE_CHECKING:  # customer_hub.config validates the export section with ExportSettings: no import cycle
    from customer_hub.config import HubConfig

MANIFEST = "manifest.json"
SCHEMA = "schema.json"
FORMAT_VERSION = 1
EXCLUDED_TABLES = (oauth_tokens.name, resolution_snapshot.name)
"""Tables never exported, and why: oauth_tokens holds live credentials; resolution_snapshot is a binary copy of
`resolution_input` that the next golden run makes again."""
_BATCH = 5_000
ERROR_COLUMNS = {"integration_health_log": ("error",), "alert_outbox": ("last_error",), "onboarding_flows": ("error",)}
"""Error texts may quote a vendor's masked echo of a key; rows written before that was redacted at the source are
masked again on the way out."""


@dataclass(frozen=True)
class ExportResult:
    """What was written: the folder and each table's row count."""

    folder: Path
    row_counts: dict[str, int]
    file_format: str

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())


def exported_tables() -> list[Table]:
    """The hub tables an export carries, in dependency order."""
    return [table for table in metadata.sorted_tables if table.name not in EXCLUDED_TABLES]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _batches(engine: Engine, table: Table) -> Iterator[pa.RecordBatch]:
    order = list(table.primary_key.columns)
    masked = ERROR_COLUMNS.get(table.name, ())
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=_BATCH).execute(select(table).order_by(*order))
        for chunk in result.partitions(_BATCH):
            rows = [dict(row._mapping) for row in chunk]
            for row in rows:
                for column in masked:
                    if row[column]:
                        row[column] = mask_key_shapes(row[column])
            yield to_batch(table, rows)


def _write_table(engine: Engine, table: Table, path: Path, file_format: str) -> int:
    schema = arrow_schema(table)
    rows = 0
    if file_format == "parquet":
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for batch in _batches(engine, table):
                writer.write_batch(batch)
                rows += batch.num_rows
            if rows == 0:
                writer.write_table(schema.empty_table())
    else:
        # all_valid quoting: every value quoted, NULL left bare, so NULL and "" stay different on re-import
        options = pa_csv.WriteOptions(quoting_style="all_valid")
        with pa_csv.CSVWriter(path, schema, write_options=options) as writer:
            for batch in _batches(engine, table):
                writer.write_batch(batch)
                rows += batch.num_rows
    return rows


def stream_fields(engine: Engine) -> dict[str, dict[str, Any]]:
    """Per landed stream (`<tool>_<object>`): its canonical fields, the payload fields last seen, its size."""
    streams: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        counts = conn.execute(
            select(landed_records.c.tool, landed_records.c.object, func.count()).group_by(
                landed_records.c.tool, landed_records.c.object
            )
        )
        for tool, obj, count in counts:
            streams[f"{tool}_{obj}"] = {"tool": tool, "object": obj, "records": count, "fields": set()}
        result = conn.execution_options(yield_per=_BATCH).execute(
            select(landed_records.c.tool, landed_records.c.object, landed_records.c.fields)
        )
        for tool, obj, fields in result:
            streams[f"{tool}_{obj}"]["fields"].update(fields or {})
        snapshots = conn.execute(select(schema_snapshots).order_by(schema_snapshots.c.captured_at))
        latest = {f"{row.tool}_{row.object}": row.fields for row in snapshots}
    for name, stream in streams.items():
        stream["fields"] = sorted(stream["fields"])
        stream["payload_fields"] = sorted(latest.get(name) or [])
    return dict(sorted(streams.items()))


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def export_hub(
    engine: Engine, folder: Path, *, file_format: str = "parquet", documents: Mapping[str, str] | None = None
) -> ExportResult:
    """Write the whole hub store to `folder` (replacing an earlier export there) and return the row counts.

    `documents` are text files to put beside the tables (name -> text, e.g. the integration map), listed in the
    manifest with their checksums like every other file."""
    if file_format not in ("parquet", "csv"):
        raise ValueError(f"export format {file_format!r}: use parquet or csv")
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "tables").mkdir(parents=True)

    tables: list[dict[str, Any]] = []
    for table in exported_tables():
        relative = f"tables/{table.name}.{file_format}"
        rows = _write_table(engine, table, staging / relative, file_format)
        tables.append({"name": table.name, "file": relative, "rows": rows, "sha256": sha256_of(staging / relative)})
    _write_json(
        staging / SCHEMA,
        {
            "tables": {table.name: describe_table(table) for table in exported_tables()},
            "streams": stream_fields(engine),
        },
    )
    written_documents = []
    for name, text in sorted((documents or {}).items()):
        if Path(name).name != name or name in (MANIFEST, SCHEMA):
            raise ValueError(f"export document {name!r}: give a plain file name other than {MANIFEST} and {SCHEMA}")
        (staging / name).write_text(text, encoding="utf-8")
        written_documents.append({"file": name, "sha256": sha256_of(staging / name)})
    _write_json(
        staging / MANIFEST,
        {
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(),
            "format": file_format,
            "source_dialect": engine.dialect.name,
            "excluded_tables": list(EXCLUDED_TABLES),
            "schema": {"file": SCHEMA, "sha256": sha256_of(staging / SCHEMA)},
            "tables": tables,
            "documents": written_documents,
        },
    )
    previous = folder.with_name(f".{folder.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if folder.exists():
        folder.rename(previous)
    staging.rename(folder)
    shutil.rmtree(previous, ignore_errors=True)
    return ExportResult(folder=folder, row_counts={t["name"]: t["rows"] for t in tables}, file_format=file_format)


def export_month(
    config: HubConfig, engine: Engine, month: str | None = None, documents: Mapping[str, str] | None = None
) -> ExportResult:
    """Export the hub as hub.yaml's `export` section says, into the folder of `month` (default: this month)."""
    settings = export_settings(config.export)
    month = month or month_of(datetime.now(UTC))
    config_dir = config.path.parent if config.path else Path.cwd()
    folder = settings.folder_for(month, data_dir=config.data_dir, config_dir=config_dir)
    return export_hub(engine, folder, file_format=settings.format, documents=documents)


def month_of(moment: datetime) -> str:
    """YYYY-MM of a moment (UTC): a manual export is named after the month it was taken in."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def previous_month(moment: datetime) -> str:
    """YYYY-MM of the month before `moment`: the scheduled run on the 1st exports the month that just ended."""
    moment = moment.astimezone(UTC)
    year, month = (moment.year, moment.month - 1) if moment.month > 1 else (moment.year - 1, 12)
    return f"{year:04d}-{month:02d}"
