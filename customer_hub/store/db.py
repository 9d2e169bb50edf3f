"""Connecting to the hub store: SQLite by default, PostgreSQL (or any SQLAlchemy URL) through the environment."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event

from customer_hub.store.schema import metadata

DATABASE_URL_ENV = "CUSTOMER_HUB_DATABASE_URL"


def default_sqlite_url(data_dir: Path) -> str:
    """The embedded default: one SQLite file in the project's data folder, so a first run needs no server."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'hub.db').resolve()}"


def database_url(data_dir: Path) -> str:
    """`CUSTOMER_HUB_DATABASE_URL` when set (e.g. postgresql+psycopg2://user@host/db), else the SQLite file."""
    return os.environ.get(DATABASE_URL_ENV) or default_sqlite_url(data_dir)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets the UI read while a sync writes; the busy timeout makes concurrent runs wait instead of failing."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per URL per process, with the hub's tables created if missing."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    metadata.create_all(engine)
    return engine


def redact_url(url: str) -> str:
    """A database URL safe to log: the password replaced."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
