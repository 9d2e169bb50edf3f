"""A sandbox per test module (seeding is the slow part) and a clean fault board for every test."""

from collections.abc import Iterator

import pytest
import requests

from customer_hub.sandbox import SandboxServer, start_sandbox
from customer_hub_tests.sandbox.clients import quickbooks_headers


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with start_sandbox(seed=42) as server:
        yield server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
def qbo(sandbox: SandboxServer) -> dict[str, str]:
    """QuickBooks headers with an access token issued for this module's sandbox."""
    with requests.Session() as session:
        return quickbooks_headers(sandbox, session)


@pytest.fixture(autouse=True)
def _no_faults_left_over(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").state.clear_faults()
