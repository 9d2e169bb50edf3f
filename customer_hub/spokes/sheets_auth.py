"""Google service-account auth for the Sheets API: a key in the environment, short-lived tokens from Google.

An OAuth2 access token expires after an hour, so a token pasted into the environment stops a daily sync the next
day. The hub holds the service account's key instead (the JSON file from the Cloud console) and lets `google-auth`
sign the JWT assertion and exchange it at the key's `token_uri` whenever the token is missing or about to expire;
a 401 from the API (a token revoked or expired early) drops it and exchanges once more.

The key comes from the environment variable hub.yaml names (`GOOGLE_SHEETS_SERVICE_ACCOUNT_JSON` by default): its
value is the key's JSON itself, or the path of the key file, as `GOOGLE_APPLICATION_CREDENTIALS` holds it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import requests
from google.auth import exceptions as google_errors
from google.auth.transport.requests import Request
from google.oauth2 import service_account

from customer_hub.spokes.http import ToolAuthError, ToolUnavailableError

SCOPES = ("https://www.googleapis.com/auth/spreadsheets.readonly",)
TOKEN_ENDPOINT = "POST token_uri (Google OAuth 2.0)"


def load_key(value: str, env: str) -> dict[str, Any]:
    """The service-account key from a variable holding either its JSON or the path of its file."""
    text = value.strip()
    if not text:
        raise ToolAuthError("sheets", "credentials", f"{env} is empty", credential_envs=[env])
    if not text.startswith("{"):
        path = Path(text).expanduser()
        try:
            text = path.read_text()
        except OSError as error:
            raise ToolAuthError(
                "sheets",
                "credentials",
                f"{env} names the key file {path}, which cannot be read ({error.strerror})",
                credential_envs=[env],
            ) from None
    try:
        key = json.loads(text)
    except ValueError:
        raise ToolAuthError(
            "sheets",
            "credentials",
            f"{env} holds neither a service-account key's JSON nor a path to one",
            credential_envs=[env],
        ) from None
    fields = key if isinstance(key, dict) else {}
    missing = [name for name in ("client_email", "private_key", "token_uri") if not fields.get(name)]
    if missing or fields.get("type") != "service_account":
        raise ToolAuthError(
            "sheets",
            "credentials",
            f"{env} is not a service-account key (type service_account with {', '.join(missing) or 'its fields'})",
            credential_envs=[env],
        )
    return key


class ServiceAccountAuth:
    """Hands out a valid access token for the Sheets API; `header` is `ApiClient(auth=...)` and
    `refresh_after_rejection` its `on_auth_failure`."""

    tool = "sheets"

    def __init__(self, key_value: str, env: str):
        self.key_value = key_value
        self.env = env
        self.credentials: service_account.Credentials | None = None  # built at the first exchange, like a request
        self._session = requests.Session()
        self._lock = threading.Lock()  # the sync engine reads pages on a background thread
        self.exchanges = 0

    def header(self) -> dict[str, str]:
        with self._lock:
            if self.credentials is None or not self.credentials.valid:  # no token, or near its expiry
                self._exchange()
            return {"Authorization": f"Bearer {self.credentials.token}"}

    def refresh_after_rejection(self) -> bool:
        """The API refused the token: exchange the assertion for a new one and retry once."""
        with self._lock:
            self._exchange()
        return True

    def _exchange(self) -> None:
        if self.credentials is None:
            self.credentials = self._load()
        try:
            self.credentials.refresh(Request(self._session))
        except google_errors.RefreshError as error:
            raise ToolAuthError(
                self.tool,
                TOKEN_ENDPOINT,
                f"Google refused the service account's assertion: {_reason(error)}",
                credential_envs=[self.env],
            ) from None
        except google_errors.TransportError as error:
            raise ToolUnavailableError(
                self.tool, TOKEN_ENDPOINT, f"the token endpoint could not be reached ({type(error).__name__})"
            ) from None
        self.exchanges += 1

    def _load(self) -> service_account.Credentials:
        key = load_key(self.key_value, self.env)
        try:
            return service_account.Credentials.from_service_account_info(key, scopes=list(SCOPES))
        except (ValueError, google_errors.GoogleAuthError) as error:
            raise ToolAuthError(
                self.tool, "credentials", f"{self.env}: the key cannot be used ({error})", credential_envs=[self.env]
            ) from None


def _reason(error: Exception) -> str:
    """Google's `error_description` (or `error`) without the key material google-auth may echo."""
    for arg in getattr(error, "args", ()):
        if isinstance(arg, dict):
            return str(arg.get("error_description") or arg.get("error") or "refused")
    return str(error.args[0] if error.args else "refused")[:200]
