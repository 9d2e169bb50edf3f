"""What every imitated tool shares: a reply type, the call context, routes and the vendor contract.

A vendor module describes its routes and how it phrases refusals (401, 429, 5xx); the app applies auth, rate limits
and faults uniformly before calling a route's handler, so each vendor module only holds that vendor's behaviour.
"""

import base64
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from customer_hub.sandbox.rate_limits import RateDecision

if TYPE_CHECKING:
    from customer_hub.sandbox.state import SandboxState

JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Reply:
    """A handler's answer before the app adds headers and faults; `page` marks list/search pages."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    page: bool = False
    content_type: str = JSON_TYPE
    late_seconds: float = 0.0
    """Hold the answer this long after the work was done (outside the state lock): the `late_replies` fault."""

    def encode(self) -> bytes:
        """The body as bytes: JSON unless it is already text."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str) and self.content_type != JSON_TYPE:
            return self.body.encode()
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()

    def to_response(self, malformed: bool = False) -> Response:
        """A werkzeug response; a malformed page is cut off halfway, as a dropped connection would leave it."""
        data = self.encode()
        if malformed:
            data = data[: max(1, len(data) // 2)]
        return Response(data, status=self.status, headers=self.headers, content_type=self.content_type)


@dataclass
class Call:
    """One request as a handler sees it."""

    request: Request
    state: "SandboxState"
    tool: str
    base_url: str  # this tool's base URL on the sandbox, e.g. http://127.0.0.1:8765/hubspot
    route_args: dict[str, str] = field(default_factory=dict)  # values taken from the URL path

    def drift(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record with this tool's schema-drift fault applied."""
        return self.state.faults.drift(self.tool, record)

    def json_body(self) -> Any:
        """The parsed JSON body, or None when it is missing or not JSON."""
        try:
            return json.loads(self.request.get_data(as_text=True) or "null")
        except ValueError:
            return None

    def bearer_token(self) -> str | None:
        """The token of an `Authorization: Bearer ...` header, if any."""
        header = self.request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None

    def basic_credentials(self) -> tuple[str, str] | None:
        """(user, password) of an `Authorization: Basic ...` header, if any."""
        header = self.request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password


Handler = Callable[..., Reply]


@dataclass(frozen=True)
class Route:
    """A URL rule (werkzeug syntax, relative to the sandbox root) and its handler."""

    path: str
    handler: Handler
    methods: tuple[str, ...] = ("GET",)
    authenticated: bool = True
    defaults: dict[str, str] | None = None  # extra handler arguments fixed by the route
    writes: bool = False  # an update endpoint: the `write_timeout_rate` fault answers it late, after applying it


class VendorApi(ABC):
    """A tool's imitation. Subclasses set `tool`, list `routes()` and phrase errors the vendor's way."""

    tool = ""

    @abstractmethod
    def routes(self) -> list[Route]:
        """Every URL this tool answers."""

    def authenticate(self, call: Call) -> Reply | None:
        """None when the call may proceed; otherwise the vendor's refusal. Default: any bearer token."""
        if call.bearer_token() is None:
            return self.unauthorized(call, revoked=False)
        if call.state.faults.tools[self.tool].revoked_token:
            return self.unauthorized(call, revoked=True)
        return None

    @abstractmethod
    def unauthorized(self, call: Call, revoked: bool) -> Reply:
        """The vendor's 401 body for a missing (or revoked) credential."""

    @abstractmethod
    def rate_limited(self, decision: RateDecision | None) -> Reply:
        """The vendor's 429 answer, with its rate-limit headers."""

    @abstractmethod
    def server_error(self, status: int) -> Reply:
        """The vendor's 5xx body."""

    @abstractmethod
    def not_found(self, call: Call) -> Reply:
        """The vendor's answer for a URL it does not have."""

    def rate_headers(self, decision: RateDecision) -> dict[str, str]:
        """Headers the vendor puts on every answer while a rate limit is in force."""
        return {}


def int_arg(value: str | None, default: int) -> int | None:
    """An integer query parameter; None when it is present but not an integer."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        return None


def encode_cursor(payload: Any) -> str:
    """An opaque pagination cursor, base64 JSON like many vendors use."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Any:
    """The payload of a cursor from `encode_cursor`; ValueError when it is not one."""
    padded = text + "=" * (-len(text) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"bad cursor {text!r}") from error
