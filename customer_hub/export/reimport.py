"""Reading an export back into an empty hub store: the proof that the export is complete.

Every file is checked against the manifest's SHA-256 and row count before a single row is written, and the
target must be empty, so a restore never mixes two hubs or half-imports a damaged folder. The import runs in one
transaction: it lands whole or not at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlalchemy import Connection, Engine, Integer, Table, func, insert, select, text

from customer_hub.export.columns import arrow_schema, from_batch
from customer_hub.export.monthly import MANIFEST, exported_tables, sha256_of
from customer_hub.store.schema import metadata

_CHUNK = 2_000


class ExportImportError(RuntimeError):
    """The folder is not a complete, untouched export, or the target store is not empty."""


def read_manifest(folder: Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise ExportImportError(f"{folder}: no {MANIFEST}; point at a folder written by the monthly export")
    return json.loads(path.read_text())


def _read_file(table: Table, path: Path, file_format: str) -> pa.Table:
    schema = arrow_schema(table)
    if file_format == "parquet":
        return pq.read_table(path, schema=schema)
    options = pa_csv.ConvertOptions(
        column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False, include_columns=schema.names
    )
    return pa_csv.read_csv(path, convert_options=options).cast(schema)


def verify_export(folder: Path) -> dict[str, Any]:
    """The manifest, once every listed file matches its checksum and every hub table has a file."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    files = [manifest["schema"], *manifest["tables"], *manifest.get("documents", [])]
    for entry in files:
        path = folder / entry["file"]
        if not path.exists():
            raise ExportImportError(f"{path}: listed in the manifest but missing; the export is incomplete")
        if sha256_of(path) != entry["sha256"]:
            raise ExportImportError(f"{path}: checksum differs from the manifest; the file was changed or damaged")
    listed = {entry["name"] for entry in manifest["tables"]}
    missing = sorted(table.name for table in exported_tables() if table.name not in listed)
    if missing:
        raise ExportImportError(f"{folder}: no file for table(s) {missing}; export again with this version")
    return manifest


def _non_empty_tables(conn: Connection) -> list[str]:
    return [
        table.name for table in metadata.sorted_tables if conn.execute(select(func.count()).select_from(table)).scalar()
    ]


def _reset_sequences(conn: Connection, table: Table) -> None:
    """PostgreSQL: ids were inserted explicitly, so move each serial sequence past them for new rows."""
    for column in table.primary_key.columns:
        if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                    f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                )
            )


def import_export(folder: Path, engine: Engine) -> dict[str, int]:
    """Load an export into the empty hub store behind `engine`; returns rows imported per table."""
    folder = Path(folder)
    manifest = verify_export(folder)
    tables = {table.name: table for table in exported_tables()}
    imported: dict[str, int] = {}
    with engine.begin() as conn:
        occupied = _non_empty_tables(conn)
        if occupied:
            raise ExportImportError(
                f"the target hub store already holds rows in {occupied}; import only into an empty database"
            )
        for entry in manifest["tables"]:
            table = tables[entry["name"]]
            rows = from_batch(table, _read_file(table, folder / entry["file"], manifest["format"]))
            if len(rows) != entry["rows"]:
                raise ExportImportError(f"{entry['file']}: {len(rows)} rows but the manifest says {entry['rows']}")
            for start in range(0, len(rows), _CHUNK):
                conn.execute(insert(table), rows[start : start + _CHUNK])
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, table)
            imported[table.name] = len(rows)
    return imported
