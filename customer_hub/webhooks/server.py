"""Serving the receiver with uvicorn: in the foreground (`customer-hub webhooks`) or a background thread (tests,
the demo and the benchmark, over real HTTP on 127.0.0.1)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType

import uvicorn
from sqlalchemy import Engine

from customer_hub.webhooks.app import create_app
from customer_hub.webhooks.settings import WebhookSettings

log = logging.getLogger("customer_hub.webhooks")


class ReceiverServer:
    """A receiver on a background thread; use as a context manager or call stop()."""

    def __init__(self, server: uvicorn.Server, sock: socket.socket) -> None:
        self._server = server
        self._socket = sock
        self.host, self.port = sock.getsockname()[:2]
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="customer-hub-webhooks", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the webhook receiver did not start")
            time.sleep(0.01)

    @property
    def url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:54321 (endpoints under /webhooks/<tool>)."""
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> ReceiverServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None):
        self.stop()


def start_receiver(
    engine: Engine, settings: WebhookSettings, port: int = 0, environ: Mapping[str, str] | None = None
) -> ReceiverServer:
    """Serve the receiver on 127.0.0.1 (port 0 picks a free one) from a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    app = create_app(engine, settings, os.environ if environ is None else environ)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return ReceiverServer(uvicorn.Server(config), sock)


def serve(engine: Engine, settings: WebhookSettings, host: str = "127.0.0.1", port: int = 8787) -> None:
    """Serve in the foreground until interrupted. Behind a reverse proxy on this machine, X-Forwarded-Proto/For
    from 127.0.0.1 are trusted (uvicorn's default), so the signed URL and client addresses are the public ones."""
    for tool, variable in settings.secrets_env.items():
        state = "ready" if os.environ.get(variable) else f"503 until {variable} is set"
        log.info("POST http://%s:%s/webhooks/%s  %s", host, port, tool, state)
    uvicorn.run(create_app(engine, settings), host=host, port=port, log_level="info", lifespan="off")
