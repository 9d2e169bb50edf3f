"""The one HTTP layer every connector talks through.

Retries, backoff, rate-limit pacing and error wording live here once, so that a 429 from HubSpot and a 503 from
QuickBooks are handled the same way and every failure tells the on-call person which tool, which endpoint and
what to fix. Secrets never leave this module: auth headers are built per attempt, kept out of logs and scrubbed
from any vendor message that is quoted in an exception.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from customer_hub.config import SyncConfig, SystemConfig
from customer_hub.key_shapes import mask_key_shapes

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MALFORMED_RETRIES = 2
"""A page that is not JSON is usually a truncated response: re-read it this many times before giving up."""
MAX_VENDOR_WAIT_SECONDS = 900.0
"""A vendor asking for a longer pause than this is treated as an outage: fail now, the next schedule retries."""
_PACING_MARGIN_SECONDS = 0.05
"""Added to a vendor's reset time so the first request of the next window does not land a hair too early."""


def _window_margin(interval: float) -> float:
    """The margin for a "max per interval" window: 2% of it, at most _PACING_MARGIN_SECONDS. Enough for the jitter
    between sending and the vendor's count; any more is rate given away (5% of a one-second window)."""
    return min(_PACING_MARGIN_SECONDS, 0.02 * interval)


_HUBSPOT_INTERVAL = "X-HubSpot-RateLimit-Interval-Milliseconds"

_sleep = time.sleep
_clock = time.monotonic


class ToolError(Exception):
    """A call to a tool failed. `str()` names the tool, the endpoint and what to do about it."""

    default_hint = "check the tool's status page and re-run the sync"

    def __init__(self, tool: str, endpoint: str, message: str, *, status: int | None = None, hint: str | None = None):
        super().__init__(tool, endpoint, message)
        self.tool = tool
        self.endpoint = endpoint
        self.message = message
        self.status = status
        self.hint = hint or self.default_hint

    def __str__(self) -> str:
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{self.tool}: {self.endpoint} failed{status}: {self.message}. What to do: {self.hint}"


class ToolAuthError(ToolError):
    """401/403: the credentials are missing, wrong, expired or lack a scope."""

    def __init__(
        self, tool: str, endpoint: str, message: str, *, credential_envs: Sequence[str] = (), status: int | None = None
    ):
        self.credential_envs = tuple(credential_envs)
        names = ", ".join(self.credential_envs) or "the tool's credential environment variables"
        hint = f"check {names} (a valid, unexpired credential with the needed scopes) and re-run"
        super().__init__(tool, endpoint, message, status=status, hint=hint)


class ToolNotFoundError(ToolError):
    """404: usually a configured id (realm, spreadsheet, workspace) that does not exist for these credentials."""

    def __init__(
        self, tool: str, endpoint: str, message: str, *, setting_hint: str | None = None, status: int | None = 404
    ):
        self.setting_hint = setting_hint
        hint = (
            f"check the setting {setting_hint} in hub.yaml / the environment"
            if setting_hint
            else "check the ids configured for this tool in hub.yaml and the tool's base URL"
        )
        super().__init__(tool, endpoint, message, status=status, hint=hint)


class ToolRateLimitedError(ToolError):
    """429s persisted through every retry."""

    default_hint = "the tool's rate limit is exhausted (another integration may share it); re-run later"


class ToolUnavailableError(ToolError):
    """5xx, timeouts or connection errors persisted through every retry."""

    default_hint = "the tool is down or unreachable; check its status page and the base URL, then re-run"


class ToolResponseError(ToolError):
    """The tool answered, but not with the JSON envelope its API documents."""

    default_hint = "the tool returned an unexpected response; re-run, and if it persists check for an API change"


class ToolRequestError(ToolError):
    """Another 4xx: the request itself was refused; the vendor's message says why."""

    default_hint = "the tool refused the request; read its message above and check the configuration"


@dataclass
class RequestStats:
    """What a client has done so far; sync results and benchmarks report the difference before/after."""

    requests: int = 0
    retries: int = 0
    throttled_seconds: float = 0.0
    by_status: Counter = field(default_factory=Counter)
    """Keyed by HTTP status as text, plus "timeout" and "connection_error"."""

    def copy(self) -> RequestStats:
        return RequestStats(self.requests, self.retries, self.throttled_seconds, Counter(self.by_status))

    def __add__(self, other: RequestStats) -> RequestStats:
        return RequestStats(
            self.requests + other.requests,
            self.retries + other.retries,
            self.throttled_seconds + other.throttled_seconds,
            self.by_status + other.by_status,
        )

    def __sub__(self, other: RequestStats) -> RequestStats:
        by_status = Counter(self.by_status)
        by_status.subtract(other.by_status)
        return RequestStats(
            self.requests - other.requests,
            self.retries - other.retries,
            self.throttled_seconds - other.throttled_seconds,
            +by_status,
        )


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _number(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, TypeError, ValueError):
        return None


def reset_wait_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds until `X-RateLimit-Reset`, which vendors send as epoch seconds (Intercom) or as a delta."""
    reset = _number(headers, "X-RateLimit-Reset")
    if reset is None:
        return None
    if reset > 1e9:  # epoch seconds
        return max(0.0, reset - time.time())
    return max(0.0, reset)


class _WindowPacer:
    """Keeps send times of the last `max` requests so a "max per interval" limit (HubSpot) is kept to.

    HubSpot sends the window size and what is left, not when the window resets; the oldest of the last `max`
    requests leaving the window is exactly when the next request is allowed, for fixed and rolling windows alike.
    The limits seen in the headers are remembered, so the next request waits for its turn *before* it is sent:
    with several requests in flight, what is left is known only after they all come back, too late to pace by.
    """

    def __init__(self) -> None:
        self.sent: deque[float] = deque(maxlen=1000)
        self.limits: dict[str, tuple[int, float]] = {}  # window -> (max requests, interval seconds)

    def record(self, sent_at: float) -> None:
        self.sent.append(sent_at)

    def learn(self, headers: Mapping[str, str]) -> None:
        """Remember the window sizes a response announces."""
        for name, max_header, interval_ms in (
            ("interval", "X-HubSpot-RateLimit-Max", _number(headers, _HUBSPOT_INTERVAL)),
            ("secondly", "X-HubSpot-RateLimit-Secondly", 1000.0),
        ):
            maximum = _number(headers, max_header)
            if maximum and maximum >= 1 and interval_ms:
                self.limits[name] = (int(maximum), interval_ms / 1000.0)

    def next_slot(self, at: float) -> float:
        """The earliest moment from `at` on when one more request keeps every known window within its maximum
        (with a margin, so a request sent just as a window ends is not counted in it by the vendor)."""
        slot = at
        for maximum, interval in self.limits.values():
            if 0 < maximum <= len(self.sent):
                slot = max(slot, self.sent[-maximum] + interval + _window_margin(interval))
        return slot

    def wait(self, headers: Mapping[str, str], now: float) -> float | None:
        """Seconds until the next request is allowed when a window's budget is used up, else None.

        Two families are read: the interval window (`-Max`/`-Remaining`/`-Interval-Milliseconds`) and the
        per-second one (`-Secondly`/`-Secondly-Remaining`); the longer wait wins.
        """
        windows = (
            ("X-HubSpot-RateLimit-Remaining", "X-HubSpot-RateLimit-Max", _number(headers, _HUBSPOT_INTERVAL)),
            ("X-HubSpot-RateLimit-Secondly-Remaining", "X-HubSpot-RateLimit-Secondly", 1000.0),
        )
        waits = []
        for remaining_header, max_header, interval_ms in windows:
            remaining = _number(headers, remaining_header)
            if remaining is None or interval_ms is None or remaining > 0:
                continue
            interval = interval_ms / 1000.0
            maximum = _number(headers, max_header)
            if maximum and 0 < maximum <= len(self.sent):
                waits.append(max(0.0, self.sent[-int(maximum)] + interval + _window_margin(interval) - now))
            else:
                waits.append(interval + _window_margin(interval))
        return max(waits) if waits else None


def bearer_client(
    tool: str,
    config: SystemConfig,
    sync: SyncConfig,
    credentials: Mapping[str, str],
    *,
    credential: str,
    default_env: str,
    **options: Any,
) -> ApiClient:
    """A client for a tool that takes one static bearer token: `credentials[credential]`.

    A 401 names the environment variable hub.yaml maps `credential` to (`default_env` when it maps none), so the
    message says what to fix. `options` are the tool's extra `ApiClient` arguments (headers, pacing).
    """
    token = credentials.get(credential, "")
    return ApiClient(
        tool,
        config.resolved_base_url(),
        auth={"Authorization": f"Bearer {token}"},
        credential_envs=[config.credentials.get(credential, default_env)],
        settings=sync,
        **options,
    )


class ApiClient:
    """A requests Session for one tool with retries, rate-limit pacing and errors that say what to fix.

    `auth` is a callable (called per attempt, so a refreshed token is used at once) or a fixed header dict.
    `credential_envs` are the environment variables named in a 401's message. `rate_limit_parser` lets a vendor
    with unusual headers say how many seconds to wait after a response (None: the standard headers decide).
    `on_auth_failure` is called once on a 401/403; returning True retries the request (e.g. after a token refresh).
    `requests_per_second` spaces requests evenly for vendors that send no rate-limit headers (Stripe), so a sync
    stays under the limit instead of discovering it through 429s. `context` carries values a connector's callers
    need to build paths on this client (QuickBooks: the company's realm id and minor version, for the write-back).

    One client may be used from several threads at once (the write-back keeps a few requests in flight, so a
    vendor's round-trip time does not cap the rate below its limit): each request reserves its send time under a
    lock, so together they keep to the pacing one thread would.
    """

    def __init__(
        self,
        tool: str,
        base_url: str,
        *,
        auth: Callable[[], dict[str, str]] | dict[str, str],
        credential_envs: Sequence[str],
        settings: SyncConfig | None = None,
        rate_limit_parser: Callable[[requests.Response], float | None] | None = None,
        on_auth_failure: Callable[[], bool] | None = None,
        session: requests.Session | None = None,
        default_headers: dict[str, str] | None = None,
        requests_per_second: float | None = None,
        context: Mapping[str, Any] | None = None,
    ):
        self.tool = tool
        self.context: dict[str, Any] = dict(context or {})
        self.base_url = base_url.rstrip("/")
        self._auth = auth
        self.credential_envs = tuple(credential_envs)
        self.settings = settings or SyncConfig()
        self.rate_limit_parser = rate_limit_parser
        self.on_auth_failure = on_auth_failure
        self.session = session or requests.Session()
        self.default_headers = {"Accept": "application/json", **(default_headers or {})}
        self.stats = RequestStats()
        self.log = logging.getLogger(f"customer_hub.spokes.{tool}")
        self._lock = threading.Lock()
        self._not_before = 0.0
        self._min_interval = 1.0 / requests_per_second if requests_per_second else 0.0
        self._last_sent = float("-inf")
        self._window = _WindowPacer()

    # --- public API --------------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        setting_hint: str | None = None,
        idempotent: bool = True,
    ) -> requests.Response:
        """Send one request, retrying 429/5xx/timeouts with backoff; a 2xx/3xx response, or a ToolError.

        A request that is not `idempotent` (it creates something and the tool offers no idempotency key) is only
        retried when the tool cannot have acted on it (429, or no connection made): a 5xx or a timeout may come
        after the tool did the work, and sending it again would do it twice.
        """
        method = method.upper()
        endpoint = f"{method} {self._path_only(path)}"
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"
        attempt = 0
        auth_retried = False
        while True:
            auth_headers = self._auth_headers()  # first: a token refresh must not eat into the reserved send time
            self._pace()
            secrets = [value for value in auth_headers.values() if value] + _secret_values(data)
            call_headers = {**self.default_headers, **(headers or {}), **auth_headers}
            self._count("requests")
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers=call_headers,
                    timeout=self.settings.timeout_seconds,
                )
            except requests.Timeout as error:
                self._count("timeout")
                safe = idempotent or isinstance(error, requests.ConnectTimeout)
                attempt = self._retry_or_raise(endpoint, attempt, "timed out", None, ToolUnavailableError, safe)
                continue
            except requests.ConnectionError as error:
                self._count("connection_error")
                reason = f"connection failed ({type(error).__name__})"
                attempt = self._retry_or_raise(endpoint, attempt, reason, None, ToolUnavailableError, idempotent)
                continue

            status = response.status_code
            self._count(str(status))
            self._remember_pacing(response)
            if status < 400:
                return response
            if status in RETRY_STATUSES:
                error_class = ToolRateLimitedError if status == 429 else ToolUnavailableError
                safe = idempotent or status == 429
                message = self._vendor_message(response, secrets)
                attempt = self._retry_or_raise(endpoint, attempt, message, response, error_class, safe)
                continue
            if status in (401, 403):
                if self.on_auth_failure is not None and not auth_retried:
                    auth_retried = True
                    if self.on_auth_failure():
                        self.log.info("%s %s: HTTP %s, credentials refreshed, retrying", self.tool, endpoint, status)
                        continue
                raise ToolAuthError(
                    self.tool,
                    endpoint,
                    self._vendor_message(response, secrets),
                    credential_envs=self.credential_envs,
                    status=status,
                )
            if status == 404:
                raise ToolNotFoundError(
                    self.tool, endpoint, self._vendor_message(response, secrets), setting_hint=setting_hint
                )
            raise ToolRequestError(self.tool, endpoint, self._vendor_message(response, secrets), status=status)

    def get_json(
        self,
        path: str,
        *,
        params: Any = None,
        headers: dict[str, str] | None = None,
        setting_hint: str | None = None,
    ) -> Any:
        """GET and decode JSON; a non-JSON body is re-read like a 5xx, then raised as ToolResponseError."""
        return self._json("GET", path, params=params, headers=headers, setting_hint=setting_hint)

    def post_json(
        self,
        path: str,
        *,
        json: Any = None,
        data: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        setting_hint: str | None = None,
        idempotent: bool = True,
    ) -> Any:
        """POST a JSON (`json=`) or form-encoded (`data=`) body and decode the JSON answer.

        `idempotent=False` for a POST that creates something without an idempotency key: see `request`.
        """
        return self._json(
            "POST",
            path,
            json=json,
            data=data,
            params=params,
            headers=headers,
            setting_hint=setting_hint,
            idempotent=idempotent,
        )

    def pause_before_retry(self, attempt: int) -> None:
        """Wait the backoff of retry `attempt`, for a caller retrying what this layer must not (a create without an
        idempotency key, re-sent only after looking for what the lost attempt may have made)."""
        self._count("retries")
        self._wait(self._backoff(attempt))

    # --- internals ---------------------------------------------------------------------------------------------

    def _json(self, method: str, path: str, *, idempotent: bool = True, **kwargs: Any) -> Any:
        endpoint = f"{method} {self._path_only(path)}"
        reads = MALFORMED_RETRIES + 1 if idempotent else 1
        for attempt in range(reads):
            response = self.request(method, path, idempotent=idempotent, **kwargs)
            if response.status_code == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                if attempt == reads - 1:
                    break
                wait = self._backoff(attempt)
                self._count("retries")
                self.log.warning(
                    "%s %s: response is not JSON, re-reading (%d/%d) in %.2f s",
                    self.tool,
                    endpoint,
                    attempt + 1,
                    MALFORMED_RETRIES,
                    wait,
                )
                self._wait(wait)
        raise ToolResponseError(
            self.tool,
            endpoint,
            f"response is not valid JSON after {reads} read{'s' if reads > 1 else ''} "
            f"(content type {response.headers.get('Content-Type', 'unknown')!r})",
            status=response.status_code,
        )

    def _auth_headers(self) -> dict[str, str]:
        return dict(self._auth() if callable(self._auth) else self._auth)

    def _retry_or_raise(
        self,
        endpoint: str,
        attempt: int,
        reason: str,
        response: requests.Response | None,
        error_class: type[ToolError],
        safe: bool = True,
    ) -> int:
        """Sleep before the next attempt, or raise `error_class` when retries are used up or the request is not
        `safe` to send again. Returns the next attempt."""
        status = response.status_code if response is not None else None
        if not safe:
            raise error_class(
                self.tool,
                endpoint,
                f"{reason} (not retried: the tool may have acted on the request before failing)",
                status=status,
                hint="check in the tool whether the change was made; a re-run looks for it before creating it again",
            )
        if attempt >= self.settings.max_retries:
            raise error_class(self.tool, endpoint, f"{reason} (gave up after {attempt + 1} attempts)", status=status)
        vendor_wait = self._vendor_wait(response) if response is not None else None
        if vendor_wait is not None and vendor_wait > MAX_VENDOR_WAIT_SECONDS:
            raise error_class(
                self.tool, endpoint, f"{reason}; the tool asks to wait {vendor_wait:.0f} s", status=status
            )
        wait = vendor_wait * random.uniform(1.0, 1.1) if vendor_wait is not None else self._backoff(attempt)
        self._count("retries")
        self.log.warning(
            "%s %s: %s, retry %d/%d in %.2f s",
            self.tool,
            endpoint,
            f"HTTP {status}" if status else reason,
            attempt + 1,
            self.settings.max_retries,
            wait,
        )
        self._wait(wait)
        return attempt + 1

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter, so many clients retrying at once do not stampede together."""
        ceiling = min(self.settings.max_backoff_seconds, self.settings.backoff_seconds * 2**attempt)
        return ceiling * random.uniform(0.5, 1.0)

    def _vendor_wait(self, response: requests.Response) -> float | None:
        """How long the vendor asked to wait after this response: the connector's parser, Retry-After, headers."""
        if self.rate_limit_parser is not None:
            wait = self.rate_limit_parser(response)
            if wait is not None:
                return wait
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if retry_after is not None:
            return retry_after
        remaining = _number(response.headers, "X-RateLimit-Remaining")
        if response.status_code == 429 or (remaining is not None and remaining <= 0):
            reset = reset_wait_seconds(response.headers)
            if reset is not None:
                return reset + _PACING_MARGIN_SECONDS
        return self._window.wait(response.headers, _clock())

    def _remember_pacing(self, response: requests.Response) -> None:
        """Learn the windows the headers announce; after a successful response that used up the budget, hold the
        next request until the window resets."""
        with self._lock:
            self._window.learn(response.headers)
        if response.status_code >= 400:
            return
        wait = self._vendor_wait(response)
        if wait:
            wait = min(wait, MAX_VENDOR_WAIT_SECONDS)
            with self._lock:
                self._not_before = max(self._not_before, _clock() + wait)

    def _pace(self) -> None:
        """Reserve this request's send time (after the previous one's, within every known window) and wait for it."""
        with self._lock:
            now = _clock()
            slot = self._window.next_slot(max(now, self._not_before, self._last_sent + self._min_interval))
            self._last_sent = slot
            self._window.record(slot)
        if slot > now:
            self.log.debug("%s: pausing %.2f s to stay within the rate limit", self.tool, slot - now)
            self._wait(slot - now)

    def _count(self, what: str) -> None:
        """Count a request, a retry or an answer's status in `stats` (safely from any thread)."""
        with self._lock:
            if what in ("requests", "retries"):
                setattr(self.stats, what, getattr(self.stats, what) + 1)
            else:
                self.stats.by_status[what] += 1

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self.stats.throttled_seconds += seconds
            _sleep(seconds)

    def _vendor_message(self, response: requests.Response, secrets: Sequence[str]) -> str:
        """The vendor's own error text (first 300 characters), with any credential value scrubbed out."""
        text = ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            text = _message_from(body)
        if not text:
            text = (response.text or response.reason or "").strip()[:300] or f"HTTP {response.status_code}"
        return _scrub(text[:300], secrets)

    @staticmethod
    def _path_only(path: str) -> str:
        """The path without query string or host, for messages: query strings can carry ids and search terms."""
        path = path.split("?", 1)[0]
        if path.startswith(("http://", "https://")):
            path = "/" + path.split("/", 3)[-1] if path.count("/") >= 3 else "/"
        return path if path.startswith("/") else f"/{path}"


def _scrub(text: str, secrets: Sequence[str]) -> str:
    """Remove the credentials a request sent from a text: vendors sometimes echo them in error messages, whole or
    masked (`sk_live_********1234`: a masked echo still gives away the key's head and tail)."""
    for value in secrets:
        for secret in {value, value.split(" ", 1)[-1]}:
            if secret and len(secret) >= 6:
                text = text.replace(secret, "[redacted]")
    return mask_key_shapes(text)


_SECRET_FIELD_WORDS = ("token", "secret", "password", "key", "code")


def _secret_values(data: Any) -> list[str]:
    """Values of form fields that carry credentials (an OAuth `refresh_token`), so vendor messages that echo the
    request body are scrubbed of them too."""
    if not isinstance(data, Mapping):
        return []
    return [
        str(value)
        for name, value in data.items()
        if value and any(word in str(name).lower() for word in _SECRET_FIELD_WORDS)
    ]


def _message_from(body: dict[str, Any]) -> str:
    """Vendors nest their error text differently; this reads the shapes of the six tools the hub uses."""
    for key in ("message", "error_description", "detail"):
        if isinstance(body.get(key), str):
            return body[key]
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]  # Stripe
    if isinstance(error, str):
        return error
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return str(first.get("message") or first.get("Message") or first.get("code") or "")  # Intercom, Asana
    fault = body.get("Fault")
    if isinstance(fault, dict):
        items = fault.get("Error") or []
        if items and isinstance(items[0], dict):
            return str(items[0].get("Message") or items[0].get("Detail") or "")  # QuickBooks
    return ""
