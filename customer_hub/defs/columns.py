"""`dagster/column_schema` for the UI's Columns tab: the hub store's table definitions for the tables the golden
layer writes, and for each ingestion stream the payload fields its latest schema snapshot (drift) knows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dagster import TableColumn, TableColumnConstraints, TableSchema
from sqlalchemy import Table

from customer_hub.quality.drift import payload_columns

COLUMN_SCHEMA = "dagster/column_schema"


def table_schema(table: Table) -> TableSchema:
    """A hub store table's columns: name, SQL type, the column's doc, nullable and primary key."""
    return TableSchema(
        columns=[
            TableColumn(
                name=column.name,
                type=str(column.type.compile()).lower(),
                description=column.doc,
                constraints=TableColumnConstraints(
                    nullable=bool(column.nullable),
                    unique=bool(column.primary_key or column.unique),
                    other=["primary key"] if column.primary_key else None,
                ),
            )
            for column in table.columns
        ]
    )


def payload_schema(paths: Iterable[str], ignore: Sequence[str] = ()) -> TableSchema:
    """A stream's payload fields (from its schema snapshot) as columns: path and kind (object, list, value)."""
    return TableSchema(columns=[TableColumn(name=path, type=kind) for path, kind in payload_columns(paths, ignore)])
