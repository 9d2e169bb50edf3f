"""The monthly export re-imports into an empty hub with no loss, and refuses damaged folders and full targets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import JSON, Boolean, Float, Integer, LargeBinary, Table, insert, select

from customer_hub.export.monthly import export_hub, exported_tables
from customer_hub.export.reimport import ExportImportError, import_export
from customer_hub.store import engine_for
from customer_hub.store.schema import UtcDateTime, integration_health_log, landed_records, metadata, oauth_tokens

ROWS_PER_TABLE = 7
AWKWARD_TEXT = ['Zoë "Z" O\'Brien, Ltd\nline two', "", "東京; semi;colon", "null", "0042"]


def _value(table: Table, column, i: int):
    """A value that exercises the column's type: NULLs, empty strings, unicode, tiny floats, nested JSON."""
    kind = column.type
    if column.nullable and not column.primary_key and i in (1, 5):
        return None
    if isinstance(kind, UtcDateTime):
        return datetime(2026, 1, 31, 23, 59, 59, 123456, tzinfo=UTC) - timedelta(days=i, microseconds=i)
    if isinstance(kind, JSON):
        return {
            "name": AWKWARD_TEXT[i % len(AWKWARD_TEXT)],
            "score": 1 / (i + 3),
            "tiny": 1e-300,
            "flags": [True, False, None],
            "nested": {"list": [1, 2.5, "three"], "empty": {}},
        }
    if isinstance(kind, Boolean):
        return i % 2 == 0
    if isinstance(kind, LargeBinary):
        return bytes([i, 0, 255])
    if isinstance(kind, Integer):
        return i + 1 if column.primary_key else (i * 7919) - 3
    if isinstance(kind, Float):
        return (i + 1) / 3 if i % 2 else -1e-12 * (i + 1)
    if i == 4 and not column.primary_key:
        return ""
    text = f"{table.name[:6]}-{column.name[:6]}-{i}-{AWKWARD_TEXT[i % len(AWKWARD_TEXT)]}"
    if column.primary_key:  # the row number first: a short key column (a YYYY-MM-DD day) stays unique when cut
        text = f"{i}-{text}"
    return text[: getattr(kind, "length", None) or 400]


def _fill(engine) -> None:
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            rows = [{column.name: _value(table, column, i) for column in table.columns} for i in range(ROWS_PER_TABLE)]
            conn.execute(insert(table), rows)


def _dump(engine, table: Table) -> list[dict]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]


@pytest.fixture
def full_hub(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/source.db")
    _fill(engine)
    return engine


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_every_table_round_trips_row_for_row(full_hub, tmp_path, file_format):
    result = export_hub(full_hub, tmp_path / "exports" / "2026-01", file_format=file_format)
    target = engine_for(f"sqlite:///{tmp_path}/restored.db")

    imported = import_export(result.folder, target)

    assert imported == result.row_counts
    for table in exported_tables():
        assert _dump(target, table) == _dump(full_hub, table), table.name
    assert all(count == ROWS_PER_TABLE for count in imported.values())


def test_export_leaves_out_credentials(full_hub, tmp_path):
    result = export_hub(full_hub, tmp_path / "2026-01", file_format="csv")  # uncompressed: a leak would show
    assert oauth_tokens.name not in result.row_counts
    exported_text = b"".join(path.read_bytes() for path in result.folder.rglob("*") if path.is_file())
    tokens = [row["refresh_token"] for row in _dump(full_hub, oauth_tokens) if row["refresh_token"]]
    assert tokens
    assert not [token for token in tokens if token.encode() in exported_text]


def test_manifest_and_schema_describe_the_files(full_hub, tmp_path):
    result = export_hub(full_hub, tmp_path / "2026-01", file_format="csv")
    manifest = json.loads((result.folder / "manifest.json").read_text())
    schema = json.loads((result.folder / "schema.json").read_text())

    by_name = {entry["name"]: entry for entry in manifest["tables"]}
    assert by_name["golden_customers"]["rows"] == ROWS_PER_TABLE
    assert len(by_name["customer_xref"]["sha256"]) == 64
    assert (result.folder / by_name["landed_records"]["file"]).exists()
    landed_columns = {column["name"]: column["type"] for column in schema["tables"]["landed_records"]["columns"]}
    assert landed_columns["payload"] == "json"
    assert landed_columns["first_seen_at"] == "timestamp"
    canonical_fields = sorted(_value(landed_records, landed_records.c.fields, 0))
    assert len(schema["streams"]) == ROWS_PER_TABLE  # each generated row has its own tool and object
    assert all(stream["fields"] == canonical_fields for stream in schema["streams"].values())


def test_a_changed_file_is_refused_before_anything_is_written(full_hub, tmp_path):
    result = export_hub(full_hub, tmp_path / "2026-01", file_format="csv")
    damaged = result.folder / "tables" / "golden_customers.csv"
    damaged.write_text(damaged.read_text().replace("golden", "GOLDEN", 1))
    target = engine_for(f"sqlite:///{tmp_path}/restored.db")

    with pytest.raises(ExportImportError, match="checksum"):
        import_export(result.folder, target)
    assert _dump(target, metadata.tables["landed_records"]) == []


def test_import_refuses_a_hub_that_already_has_data(full_hub, tmp_path):
    result = export_hub(full_hub, tmp_path / "2026-01")
    with pytest.raises(ExportImportError, match="empty database"):
        import_export(result.folder, full_hub)


def test_exporting_the_same_month_again_replaces_the_folder(full_hub, tmp_path):
    folder = tmp_path / "2026-01"
    export_hub(full_hub, folder, file_format="csv")
    export_hub(full_hub, folder, file_format="parquet")
    assert sorted(path.suffix for path in (folder / "tables").iterdir()) == [".parquet"] * len(exported_tables())
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".")]  # no staging left behind


@pytest.mark.postgres
def test_sqlite_export_restores_into_postgresql(full_hub, tmp_path, postgres_url):
    result = export_hub(full_hub, tmp_path / "2026-01")
    target = engine_for(postgres_url)

    import_export(result.folder, target)

    for table in exported_tables():
        assert _dump(target, table) == _dump(full_hub, table), table.name
    with target.begin() as conn:  # new rows get fresh ids after the explicit ones
        new_id = conn.execute(
            insert(integration_health_log)
            .values(started_at=datetime.now(UTC), what="after-restore", trigger="manual", status="success")
            .returning(integration_health_log.c.id)
        ).scalar_one()
    assert new_id == ROWS_PER_TABLE + 1
