"""Connecting to the hub store: SQLite by default, PostgreSQL (or any SQLAlchemy URL) through the environment."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, Inspector, Table, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from customer_hub.config import ConfigError
from customer_hub.store import json_columns
from customer_hub.store.schema import RETIRED_INDEXES, metadata

DATABASE_URL_ENV = "CUSTOMER_HUB_DATABASE_URL"
_DRIVER_FOR = {"postgresql": "postgresql+psycopg2", "postgres": "postgresql+psycopg2"}
"""The common spellings mapped to the installed driver: SQLAlchemy 2.x reads a bare postgresql:// as psycopg 3,
which the hub does not install, and Heroku-style postgres:// names no dialect at all."""
_SUPPORTED = ("sqlite", "postgresql")
_FIX = "use postgresql://user@host/db (or postgresql+psycopg2://...), or unset it for the embedded SQLite file"


def default_sqlite_url(data_dir: Path) -> str:
    """The embedded default: one SQLite file in the project's data folder, so a first run needs no server."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'hub.db').resolve()}"


def database_url(data_dir: Path) -> str:
    """`CUSTOMER_HUB_DATABASE_URL` when set (e.g. postgresql://user@host/db), else the SQLite file."""
    return os.environ.get(DATABASE_URL_ENV) or default_sqlite_url(data_dir)


def supported_url(url: str) -> str:
    """The URL with the driver the hub installs, or ConfigError in one line naming the variable and the fix.

    Without this a bare postgresql:// fails deep inside SQLAlchemy with "No module named 'psycopg'", and mysql://
    the same way, as a 26-line traceback from wherever the store was first touched."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError(f"{DATABASE_URL_ENV} is not a database URL (no scheme://); {_FIX}")
    url = f"{_DRIVER_FOR.get(scheme.lower(), scheme)}://{rest}"
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend not in _SUPPORTED:
            raise ConfigError(f"{DATABASE_URL_ENV}: {backend} is not supported by the hub store; {_FIX}")
        parsed.get_dialect().import_dbapi()
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise ConfigError(
            f"{DATABASE_URL_ENV}: {scheme}:// cannot be used ({str(error).splitlines()[0]}); {_FIX}"
        ) from None
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets the UI read while a sync writes; the busy timeout makes concurrent runs wait instead of failing."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per URL per process, with the hub's tables created if missing. The URL is
    checked first (`supported_url`), so a misspelt driver is one line naming the fix."""
    url = supported_url(url)
    codec = {"json_serializer": json_columns.dumps, "json_deserializer": json_columns.loads}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **codec)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, **codec)
    metadata.create_all(engine)
    add_missing_columns(engine)
    add_missing_indexes(engine)
    return engine


def _existing_tables(engine: Engine) -> tuple[Inspector, list[Table]]:
    """The hub's tables the store already holds, with an inspector to read what they hold now."""
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    return inspector, [table for table in metadata.sorted_tables if table.name in existing]


def add_missing_columns(engine: Engine) -> list[str]:
    """Add the nullable columns a newer hub defines to tables an older one created (`create_all` makes missing
    tables only). Every such column is nullable and filled by the next run, so a store keeps working across an
    upgrade without a migration step. Returns the `table.column` names added."""
    inspector, tables = _existing_tables(engine)
    added = []
    with engine.begin() as conn:
        for table in tables:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present or not column.nullable:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
                added.append(f"{table.name}.{column.name}")
    return added


def add_missing_indexes(engine: Engine) -> list[str]:
    """Create the indexes a newer hub defines on tables an older one created (`create_all` skips existing tables,
    and their indexes with them), and drop those it replaced (`RETIRED_INDEXES`: each costs every write and a
    wider one now answers its queries). Returns the names of the indexes created."""
    inspector, tables = _existing_tables(engine)
    created = []
    with engine.begin() as conn:
        for table in tables:
            present = {index["name"] for index in inspector.get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in present:
                    index.create(conn)
                    created.append(index.name)
            for name in RETIRED_INDEXES.get(table.name, ()):
                if name in present:
                    conn.execute(text(f"DROP INDEX {name}"))
    return created


def redact_url(url: str) -> str:
    """A database URL safe to log: the password replaced."""
    return make_url(url).render_as_string(hide_password=True)
