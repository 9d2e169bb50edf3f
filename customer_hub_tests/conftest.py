"""Fixtures shared by every test package: a hub store on SQLite and, where reachable, on PostgreSQL.

The PostgreSQL fixtures create a throw-away database per test so parallel or repeated runs never see each
other's rows. Set CUSTOMER_HUB_TEST_POSTGRES_URL to point elsewhere; when no server answers the tests skip and
say why, so a machine without PostgreSQL still runs everything else.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from customer_hub.store import engine_for

POSTGRES_URL_ENV = "CUSTOMER_HUB_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def _admin_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped afterwards."""
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"customer_hub_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {make_url(_admin_url()).render_as_string()} ({error.orig})")
    url = make_url(_admin_url()).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        engine_for(url).dispose()
        engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'hub.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hub_engine(request, tmp_path) -> Engine:
    """The hub store on each backend in turn: tests using it prove both the default and the production path."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else f"sqlite:///{tmp_path}/hub.db"
    return engine_for(url)


@pytest.fixture(scope="module")
def small_sandbox():
    """A sandbox of about 40 customers, for tests that need the vendor APIs but not a crowd of customers (its spend,
    tickets and vendors do not scale with the customer count); it starts in a fraction of a second."""
    from customer_hub.sandbox import start_sandbox

    server = start_sandbox(scale=0.02)
    yield server
    server.stop()
