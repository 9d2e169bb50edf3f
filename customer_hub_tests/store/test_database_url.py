"""CUSTOMER_HUB_DATABASE_URL in its common spellings works; one the hub cannot use is refused in one line that
names the variable and the fix, instead of a traceback about a missing module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from customer_hub.config import ConfigError
from customer_hub.store import engine_for
from customer_hub.store.db import supported_url

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_url_without_a_driver_uses_the_installed_one(postgres_url, scheme):
    bare = scheme + "://" + postgres_url.split("://", 1)[1]
    with engine_for(bare).connect() as conn:
        assert conn.execute(text("select 1")).scalar_one() == 1
    assert engine_for(bare).dialect.driver == "psycopg2"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://hub:s3cret@db.internal/hub", "mysql is not supported"),
        ("postgresql+psycopg://db.internal/hub", "No module named 'psycopg'"),
        ("db.internal/hub", "not a database URL"),
    ],
)
def test_an_unusable_url_is_refused_naming_the_fix(url, says):
    with pytest.raises(ConfigError) as raised:
        supported_url(url)
    message = str(raised.value)
    assert says in message and message.startswith("CUSTOMER_HUB_DATABASE_URL") and "postgresql://" in message
    assert "s3cret" not in message and "\n" not in message


def test_the_command_line_says_it_in_one_line(tmp_path):
    env = {"CUSTOMER_HUB_DATABASE_URL": "mysql://hub@db.internal/hub", "CUSTOMER_HUB_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "customer_hub.cli", "--config", str(REPO / "hub.yaml"), "lookup", "acme"],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env}, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    [line] = done.stderr.strip().splitlines()
    assert "CUSTOMER_HUB_DATABASE_URL: mysql is not supported" in line
