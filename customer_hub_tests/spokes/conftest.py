"""Fixtures for connector tests: a scriptable HTTP stub, the vendor sandbox, fast retry settings, request capture.

The stub answers from a queue of canned responses, so the HTTP layer's retry and error rules can be tested
without any vendor. The sandbox imitates the vendors themselves; it is started once per test module because
seeding it is the slow part.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from customer_hub.config import SyncConfig


@dataclass
class Canned:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw: str | None = None


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class StubServer:
    """Answers every request with the next canned response (200 `{}` when the queue is empty)."""

    def __init__(self) -> None:
        self.responses: deque[Canned] = deque()
        self.requests: list[Seen] = []
        self.arrived: list[float] = []  # time.monotonic() of each request's arrival
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def queue(self, status: int = 200, body: Any = None, *, headers: dict[str, str] | None = None,
              delay: float = 0.0, raw: str | None = None, times: int = 1) -> None:  # fmt: skip
        for _ in range(times):
            self.responses.append(Canned(status, body, headers or {}, delay, raw))

    def _app(self, environ, start_response):
        request = Request(environ)
        self.arrived.append(time.monotonic())
        self.requests.append(
            Seen(request.method, request.path, request.query_string.decode(), dict(request.headers), request.get_data())
        )
        canned = self.responses.popleft() if self.responses else Canned(body={})
        if canned.delay:
            time.sleep(canned.delay)
        text = canned.raw if canned.raw is not None else json.dumps(canned.body if canned.body is not None else {})
        content_type = "text/html" if canned.raw is not None else "application/json"
        response = Response(text, status=canned.status, headers=canned.headers, content_type=content_type)
        return response(environ, start_response)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    yield server
    server.stop()


@pytest.fixture
def fast_sync() -> SyncConfig:
    """Real retry logic with tiny waits, so retry tests take milliseconds."""
    return SyncConfig(page_size=100, timeout_seconds=2, max_retries=4, backoff_seconds=0.001, max_backoff_seconds=0.01)


@pytest.fixture
def no_sleep(monkeypatch) -> list[float]:
    """Waits the HTTP layer asked for, recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr("customer_hub.spokes.http._sleep", waits.append)
    return waits


@pytest.fixture(scope="module")
def sandbox():
    """The vendor sandbox on a free port, seeded, once per test module."""
    sandbox_module = pytest.importorskip("customer_hub.sandbox", reason="the vendor sandbox package is not available")
    server = sandbox_module.start_sandbox()
    try:
        yield server
    finally:
        server.stop()


def sandbox_admin(sandbox, method: str, path: str, body: Any = None) -> Any:
    """Call the sandbox's admin API (`/_sandbox/...`)."""
    response = requests.request(method, f"{sandbox.url}/_sandbox/{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json() if response.content else None


class RequestLog:
    """Every request a connector sent, with its response, captured from the connector's requests Session."""

    def __init__(self) -> None:
        self.exchanges: list[requests.Response] = []

    def attach(self, connector: Any) -> None:
        from customer_hub.spokes.http import ApiClient

        for value in vars(connector).values():
            if isinstance(value, ApiClient):
                value.session.hooks["response"].append(self._hook)

    def _hook(self, response: requests.Response, *args, **kwargs) -> None:
        self.exchanges.append(response)


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


def spec_errors(vendor: str, exchanges: list[requests.Response], known_defects: tuple[str, ...] = ()) -> list[str]:
    """Every way the captured requests differ from the vendor's published spec, except named spec defects."""
    from customer_hub_tests.contracts.spec_validation import request_errors, require_specs

    require_specs()
    problems = []
    for response in exchanges:
        sent = response.request
        errors = request_errors(vendor, sent.method, sent.url, body=sent.body, headers=dict(sent.headers))
        problems += [
            f"{sent.method} {sent.path_url}: {error}"
            for error in errors
            if not any(defect in error for defect in known_defects)
        ]
    return problems


def connector_for(sandbox, tool: str, engine=None, *, settings: dict[str, Any] | None = None, **sync_overrides):
    """A connector for `tool` pointed at the sandbox, with placeholder credentials and quick retries.

    Sheets gets a service-account key the sandbox made. `settings` are merged into the system's hub.yaml settings;
    Stripe's and QuickBooks' client-side pacing is off unless given, because the sandbox only limits rates when a
    test switches limits on.
    """
    from customer_hub.config import load_config
    from customer_hub.spokes.registry import build_connector

    config = load_config()
    quick = {"timeout_seconds": 2.0, "max_retries": 6, "backoff_seconds": 0.005, "max_backoff_seconds": 0.05}
    system = config.systems[tool]
    unpaced = {"requests_per_second": 0} if tool in ("stripe", "quickbooks") else {}
    tool_settings = {**system.settings, **unpaced, **(settings or {})}
    config = config.model_copy(
        update={
            "sync": config.sync.model_copy(update={**quick, **sync_overrides}),
            "systems": {**config.systems, tool: system.model_copy(update={"settings": tool_settings})},
        }
    )
    credentials = {setting: f"sandbox-{setting}" for setting in system.credentials}
    if tool == "sheets":
        from customer_hub.local_env import sandbox_google_key

        credentials["service_account_key"] = sandbox_google_key(sandbox.url)
    return build_connector(tool, config, engine=engine, credentials=credentials, base_url=sandbox.base_url(tool))
