"""A tiny Slack-compatible HTTP server on 127.0.0.1 that records what it is sent and can be told to fail.

Speaks just enough of the Web API (`POST /api/chat.postMessage`, Bearer token, JSON or form body, `{"ok": ...}`
answers with a `ts`) and of incoming webhooks (`POST /webhook/...`, plain `ok`) for the alert tests to run
without the sandbox or the network.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Failure:
    """How to answer one request instead of succeeding: an HTTP status, a Slack error code, extra headers."""

    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class SlackRecorder:
    """Use as a context manager; `api_url` is the WebClient base_url, `webhook_url` an incoming-webhook URL."""

    def __init__(self, channels: tuple[str, ...] = ("#customer-hub-alerts",), bad_tokens: tuple[str, ...] = ()):
        self.channels = set(channels)
        self.bad_tokens = set(bad_tokens)
        self.delay_seconds = 0.0
        """Answer every request this much later (a slow Slack, to let two deliverers overlap)."""
        self.messages: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._next: deque[Failure] = deque()
        self._always: Failure | None = None
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/api/"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/webhook/T000/B000/recordersecret"

    def __enter__(self) -> SlackRecorder:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, count: int = 1, **failure: Any) -> None:
        """The next `count` requests fail as described (e.g. status=429, headers={"Retry-After": "1"})."""
        with self._lock:
            self._next.extend(Failure(**failure) for _ in range(count))

    def fail_always(self, **failure: Any) -> None:
        """Every request fails as described until `recover()` (an outage)."""
        self._always = Failure(**failure)

    def recover(self) -> None:
        self._always = None

    def _failure(self) -> Failure | None:
        with self._lock:
            return self._next.popleft() if self._next else self._always

    @Request.application
    def _app(self, request: Request) -> Response:
        raw = request.get_data(as_text=True)
        if request.mimetype == "application/json":
            body = json.loads(raw or "{}")
        else:
            body = {key: values[0] for key, values in parse_qs(raw).items()}
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or body.get("token", "")
        webhook = request.path.startswith("/webhook/")
        self.requests.append({"path": request.path, "token": token, "body": body})
        time.sleep(self.delay_seconds)
        failure = self._failure()
        if failure is not None:
            if webhook or failure.status != 200:
                text = failure.error or "service_unavailable"
                return Response(
                    text if webhook else json.dumps({"ok": False, "error": text}),
                    failure.status,
                    headers=failure.headers,
                )
            return self._json({"ok": False, "error": failure.error}, failure.headers)
        if webhook:
            self.messages.append({**body, "channel": None, "thread_ts": None, "ts": None, "via": "webhook"})
            return Response("ok", 200)
        if request.path != "/api/chat.postMessage":
            return self._json({"ok": False, "error": "unknown_method"})
        if not token or token in self.bad_tokens:
            return self._json({"ok": False, "error": "invalid_auth"})
        if body.get("channel") not in self.channels:
            return self._json({"ok": False, "error": "channel_not_found"})
        blocks = body.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        ts = f"{1700000000 + len(self.messages)}.000100"
        message = {
            "channel": body["channel"],
            "text": body.get("text"),
            "blocks": blocks,
            "thread_ts": body.get("thread_ts"),
            "ts": ts,
            "via": "api",
        }
        self.messages.append(message)
        return self._json({"ok": True, "channel": "C000RECORD", "ts": ts, "message": message})

    @staticmethod
    def _json(data: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(data), 200, mimetype="application/json", headers=headers or {})
