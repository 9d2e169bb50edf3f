"""Contract tests need the vendor specs (beside the repository) and one sandbox for the whole session."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from customer_hub.sandbox import SandboxServer, start_sandbox
from customer_hub_tests.contracts.spec_validation import require_specs
from customer_hub_tests.sandbox.clients import quickbooks_headers


@pytest.fixture(scope="session")
def specs() -> Path:
    return require_specs()


@pytest.fixture(scope="session")
def sandbox(specs: Path) -> Iterator[SandboxServer]:
    with start_sandbox(seed=42) as server:
        yield server


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="session")
def qbo(sandbox: SandboxServer, http: requests.Session) -> dict[str, str]:
    """QuickBooks headers for the session's sandbox: its seeded refresh token can be exchanged only once."""
    return quickbooks_headers(sandbox, http)
