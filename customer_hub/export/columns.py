"""How each hub-store column type is written to, and read back from, vendor-neutral files.

One mapping for both directions is what makes the export lossless: JSON columns travel as JSON text, timestamps
as UTC microseconds, floats as IEEE doubles (Parquet) or their shortest exact decimal (CSV), and NULL stays
distinct from an empty string in both formats.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any

import pyarrow as pa
from sqlalchemy import JSON, Boolean, Column, Float, Integer, Table

from customer_hub.store.schema import UtcDateTime

JSON_KIND = "json"


def column_kind(column: Column) -> str:
    """The neutral type name written to schema.json: string, integer, float, boolean, timestamp or json."""
    kind = column.type
    if isinstance(kind, UtcDateTime):
        return "timestamp"
    if isinstance(kind, JSON):
        return JSON_KIND
    if isinstance(kind, Boolean):
        return "boolean"
    if isinstance(kind, Integer):
        return "integer"
    if isinstance(kind, Float):
        return "float"
    return "string"


_ARROW_TYPES = {
    "timestamp": pa.timestamp("us", tz="UTC"),
    JSON_KIND: pa.string(),
    "boolean": pa.bool_(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "string": pa.string(),
}


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of a table's file, with the neutral type kept in each field's metadata."""
    return pa.schema(
        [
            pa.field(
                column.name,
                _ARROW_TYPES[column_kind(column)],
                nullable=column.nullable,
                metadata={"customer_hub.type": column_kind(column)},
            )
            for column in table.columns
        ]
    )


def describe_table(table: Table) -> dict[str, Any]:
    """One table's entry in schema.json."""
    return {
        "primary_key": [column.name for column in table.primary_key.columns],
        "columns": [
            {
                "name": column.name,
                "type": column_kind(column),
                "sql_type": str(column.type.compile()),
                "nullable": bool(column.nullable),
                "description": column.doc or "",
            }
            for column in table.columns
        ],
    }


def to_batch(table: Table, rows: Sequence[dict[str, Any]]) -> pa.RecordBatch:
    """Rows read from the hub store as one Arrow batch in the table's file schema."""
    schema = arrow_schema(table)
    arrays = []
    for column, field in zip(table.columns, schema, strict=True):
        values: Iterable[Any] = (row[column.name] for row in rows)
        if column_kind(column) == JSON_KIND:
            values = (None if value is None else json.dumps(value, ensure_ascii=False) for value in values)
        arrays.append(pa.array(list(values), type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def from_batch(table: Table, batch: pa.RecordBatch | pa.Table) -> list[dict[str, Any]]:
    """Arrow rows back to values the hub store's column types accept."""
    decoders = {}
    for column in table.columns:
        kind = column_kind(column)
        if kind == JSON_KIND:
            decoders[column.name] = lambda value: None if value is None else json.loads(value)
        elif kind == "timestamp":
            decoders[column.name] = lambda value: None if value is None else value.astimezone(UTC)
    rows = batch.to_pylist()
    for row in rows:
        for name, decode in decoders.items():
            row[name] = decode(row[name])
    return rows
