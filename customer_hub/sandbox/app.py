"""The single WSGI application: admin routes plus every tool under its path prefix.

For a tool's route the order is the one a real API gateway follows: authenticate, count against the rate limit,
maybe fail (fault injection), then answer; a slow answer sleeps outside the state lock so other clients go on.
"""

import logging
import time
from collections.abc import Iterable
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from customer_hub.sandbox.admin import AdminApi
from customer_hub.sandbox.ids import TOOL_PATHS
from customer_hub.sandbox.routing import Call, Reply, Route, VendorApi
from customer_hub.sandbox.state import SandboxState
from customer_hub.sandbox.vendors import all_vendors

log = logging.getLogger(__name__)


class SandboxApp:
    """WSGI callable serving the whole sandbox for one `SandboxState`."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.admin = AdminApi(state)
        self.vendors: dict[str, VendorApi] = {api.tool: api for api in all_vendors()}
        self._routes: dict[str, tuple[VendorApi, Route]] = {}
        rules = AdminApi.rules()
        for api in self.vendors.values():
            for number, route in enumerate(api.routes()):
                endpoint = f"{api.tool}:{number}"
                self._routes[endpoint] = (api, route)
                rules.append(Rule(route.path, endpoint=endpoint, methods=list(route.methods), defaults=route.defaults))
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.dispatch(Request(environ))(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """Answer one request."""
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            return self._unknown(request, 404).to_response()
        except MethodNotAllowed:
            return self._unknown(request, 405).to_response()
        if endpoint.startswith("admin:"):
            return self.admin.handle(endpoint, request, args).to_response()
        api, route = self._routes[endpoint]
        base_url = request.host_url.rstrip("/") + TOOL_PATHS[api.tool]
        call = Call(request, self.state, api.tool, base_url, {k: v for k, v in args.items() if isinstance(v, str)})
        with self.state.lock:
            reply, delay = self._answer(api, route, call, args)
            malformed = reply.page and reply.status == 200 and self.state.faults.take_malformed(api.tool)
        if delay:
            time.sleep(delay)
        return reply.to_response(malformed)

    def _answer(self, api: VendorApi, route: Route, call: Call, args: dict[str, Any]) -> tuple[Reply, float]:
        if route.authenticated:
            refusal = api.authenticate(call)
            if refusal is not None:
                return refusal, 0.0
        decision = self.state.limiter.check(api.tool)
        if decision is not None and not decision.allowed:
            return api.rate_limited(decision), 0.0
        failure = self.state.faults.draw_failure(api.tool)
        delay = self.state.faults.tools[api.tool].timeout_seconds if failure == "timeout" else 0.0
        if failure == "429":
            reply = api.rate_limited(decision)
        elif failure in ("500", "502", "503"):
            reply = api.server_error(int(failure))
        else:
            try:
                reply = route.handler(call, **args)
            except Exception:
                log.exception("sandbox handler failed for %s %s", call.request.method, call.request.path)
                reply = api.server_error(500)
        if decision is not None:
            reply.headers.update(api.rate_headers(decision))
        if route.writes and reply.status < 400:
            reply.late_seconds = max(reply.late_seconds, self.state.faults.draw_write_timeout(api.tool))
        return reply, max(delay, reply.late_seconds)

    def _unknown(self, request: Request, status: int) -> Reply:
        tool = request.path.strip("/").split("/", 1)[0]
        api = self.vendors.get(tool)
        if api is None:
            return Reply({"error": f"no sandbox route for {request.method} {request.path}"}, status)
        reply = api.not_found(Call(request, self.state, tool, request.host_url.rstrip("/") + TOOL_PATHS[tool]))
        reply.status = status
        return reply
