"""A QuickBooks token refresh whose reply is lost (it arrives after the client timed out, when Intuit has already
rotated the refresh token) must not lock QuickBooks out silently. Within Intuit's grace for the token just rotated
away the retry recovers the current token; past it, the error names the lost reply and the one fix, and the
re-authorised token in the environment brings QuickBooks back."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from customer_hub.config import SyncConfig, load_config
from customer_hub.sandbox import SANDBOX_IDS
from customer_hub.spokes.http import ToolAuthError
from customer_hub.spokes.quickbooks import QuickBooksConnector
from customer_hub.store import engine_for
from customer_hub.store.schema import oauth_tokens
from customer_hub_tests.spokes.conftest import sandbox_admin

SYNC = SyncConfig(timeout_seconds=0.5, max_retries=2, backoff_seconds=0.001, max_backoff_seconds=0.01)


@pytest.fixture
def system(sandbox, monkeypatch):
    system = load_config().systems["quickbooks"]
    monkeypatch.delenv(system.base_url_env, raising=False)
    monkeypatch.setenv(system.settings["token_url_env"], sandbox.url + SANDBOX_IDS["quickbooks_token_path"])
    unpaced = {**system.settings, "requests_per_second": 0}  # the sandbox here has no rate limit to keep to
    return system.model_copy(update={"base_url": sandbox.base_url("quickbooks"), "settings": unpaced})


@pytest.fixture(autouse=True)
def _faults_off(sandbox):
    yield
    sandbox_admin(sandbox, "DELETE", "faults")


def _connector(system, engine, refresh_token: str) -> QuickBooksConnector:
    credentials = {
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "refresh_token": refresh_token,
        "realm_id": SANDBOX_IDS["quickbooks_realm_id"],
    }
    return QuickBooksConnector(system, SYNC, credentials, engine)


def _stored(engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(oauth_tokens.c.refresh_token)).scalar_one_or_none()


def _fresh_token(sandbox) -> str:
    return requests.post(f"{sandbox.url}/_sandbox/quickbooks/authorize", timeout=10).json()["refresh_token"]


def test_a_lost_reply_within_the_grace_period_is_recovered_by_the_retry(sandbox, system, tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    token = _fresh_token(sandbox)
    sandbox_admin(
        sandbox,
        "POST",
        "faults",
        {"quickbooks": {"late_replies": 1, "timeout_seconds": 1.0, "token_grace_seconds": 60}},
    )

    assert _connector(system, engine, token).count("customers") > 0

    rotated = _stored(engine)
    assert rotated and rotated != token
    # the next process starts from the stored token and still gets in
    assert _connector(system, engine, token).count("customers") > 0


def test_a_lost_reply_past_the_grace_names_the_fix_and_reauthorising_recovers(sandbox, system, tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    token = _fresh_token(sandbox)
    sandbox_admin(sandbox, "POST", "faults", {"quickbooks": {"late_replies": 1, "timeout_seconds": 1.0}})

    with pytest.raises(ToolAuthError) as raised:
        _connector(system, engine, token).count("customers")

    message = str(raised.value)
    assert "timed out after it was sent" in message and "re-authorise" in message
    assert "QUICKBOOKS_REFRESH_TOKEN" in message and token not in message

    reauthorised = _fresh_token(sandbox)  # the person follows the message
    assert _connector(system, engine, reauthorised).count("customers") > 0
    assert _stored(engine) not in (None, token, reauthorised)
