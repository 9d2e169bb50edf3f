"""Running the sandbox: in a background thread for tests and scripts, or in the foreground for the CLI."""

import logging
import signal
import threading
from pathlib import Path
from types import FrameType, TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from customer_hub.sandbox.app import SandboxApp
from customer_hub.sandbox.ids import TOOL_PATHS, TOOLS
from customer_hub.sandbox.rate_limits import RateSetting
from customer_hub.sandbox.saved import load_state, save_state
from customer_hub.sandbox.state import SandboxState

log = logging.getLogger(__name__)


class _KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 so clients reuse connections (a full sync makes hundreds of calls)."""

    protocol_version = "HTTP/1.1"


class _QuietHandler(_KeepAliveHandler):
    """No access log: tests make thousands of requests."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Stay silent."""


class SandboxServer:
    """A sandbox served on 127.0.0.1 from a background thread; use as a context manager or call stop()."""

    def __init__(self, state: SandboxState, server: BaseWSGIServer) -> None:
        self.state = state
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="customer-hub-sandbox", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:54321."""
        return f"http://{self._server.host}:{self._server.port}"

    def base_url(self, tool: str) -> str:
        """What a client uses instead of the vendor's real base URL (see `customer_hub.sandbox.ids`)."""
        if tool not in TOOL_PATHS:
            raise ValueError(f"unknown tool {tool!r}; expected one of {', '.join(TOOLS)}")
        return self.url + TOOL_PATHS[tool]

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "SandboxServer":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def start_sandbox(
    port: int = 0, seed: int = 42, scale: float = 1.0, rate_limits: RateSetting = False, webhook_url: str | None = None
) -> SandboxServer:
    """Seed a world and serve it on 127.0.0.1 (port 0 picks a free port) from a background thread; with
    `webhook_url`, changes are announced there as signed webhooks (see `customer_hub.sandbox.webhooks`)."""
    state = SandboxState(seed=seed, scale=scale, rate_limits=rate_limits)
    if webhook_url:
        state.webhooks.configure({"url": webhook_url})
    server = make_server("127.0.0.1", port, SandboxApp(state), threaded=True, request_handler=_QuietHandler)
    return SandboxServer(state, server)


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    seed: int = 42,
    scale: float = 1.0,
    rate_limits: RateSetting = False,
    webhook_url: str | None = None,
    saved: Path | None = None,
) -> None:
    """Serve in the foreground until interrupted (Ctrl-C or SIGTERM), logging each tool's base URL first. With
    `saved`, the tools hold what the sandbox saved there when there is such a file (`customer_hub.sandbox.saved`),
    seeded from `seed` and `scale` otherwise, and are saved there when the sandbox stops."""
    state = load_state(saved) if saved else None
    if state is None:
        state = SandboxState(seed=seed, scale=scale, rate_limits=rate_limits)
    else:
        log.info("the tools hold what the sandbox saved in %s (seed %s, scale %s)", saved, state.seed, state.scale)
        state.limiter.configure(rate_limits)
    if webhook_url:
        state.webhooks.configure({"url": webhook_url})
        log.info("signed webhooks for changes go to %s/webhooks/<tool>", webhook_url.rstrip("/"))
    server = make_server(host, port, SandboxApp(state), threaded=True, request_handler=_KeepAliveHandler)
    root = f"http://{host}:{server.port}"
    log.info("sandbox seed=%s scale=%s rate_limits=%s admin API at %s/_sandbox/", state.seed, state.scale,
             rate_limits, root)  # fmt: skip
    for tool in TOOLS:
        log.info("%-10s %s%s", tool, root, TOOL_PATHS[tool])
    signal.signal(signal.SIGTERM, _interrupt)  # a parent stopping the sandbox (`make ui`) lets it save first
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("sandbox stopped")
    finally:
        server.server_close()
        if saved:
            save_state(state, saved)
            log.info("the tools' data is saved in %s", saved)


def _interrupt(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt
