"""QuickBooks Online OAuth2: access tokens from a refresh token that rotates on every use.

Intuit answers each refresh with a new refresh token and may invalidate the one just used. The environment only
holds the token of the first authorisation, so the newest token is written to the hub store (`oauth_tokens`) the
moment it arrives, before the access token is used, and later runs prefer it. When the stored token is rejected
(`invalid_grant`) the environment's token is tried once: after a re-authorisation that is the new one.

A refresh whose reply is lost (it times out after Intuit rotated the token) is retried with the same token by the
HTTP layer: Intuit keeps accepting the token just rotated away for a while and answers with the current one, so
the retry recovers it. When the retry is refused anyway, the new token is gone for good: the error (and so the run
failure alert) says so and names the one fix, re-authorisation, instead of a bare invalid_grant.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from customer_hub.config import SyncConfig
from customer_hub.spokes.http import ApiClient, ToolAuthError, ToolRequestError, ToolResponseError
from customer_hub.store.schema import oauth_tokens

log = logging.getLogger(__name__)
_sleep = time.sleep

EXPIRY_MARGIN_SECONDS = 60.0
"""An access token is refreshed this long before Intuit's stated expiry so a request never carries a dead one."""
STORE_RECHECKS = 4
STORE_RECHECK_SECONDS = 0.25
"""After a rejected refresh, the store is re-read this often: a concurrent run may be committing a rotated token."""
REAUTHORISE = (
    "re-authorise the app: open the Intuit developer portal (OAuth 2.0 Playground or the app's Connect to "
    "QuickBooks link), sign in to the company, and put the new refresh token in {env}"
)


class RefreshTokenAuth:
    """Hands out a valid QuickBooks access token, refreshing (and persisting the rotated refresh token) as needed.

    `header()` is meant as `ApiClient(auth=...)` and `refresh_after_rejection()` as `on_auth_failure`: a 401 from
    the API drops the cached access token and refreshes once.
    """

    tool = "quickbooks"

    def __init__(
        self,
        token_url: str,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        engine: Engine | None,
        client_envs: tuple[str, str] = ("QUICKBOOKS_CLIENT_ID", "QUICKBOOKS_CLIENT_SECRET"),
        refresh_token_env: str = "QUICKBOOKS_REFRESH_TOKEN",
        sync: SyncConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.engine = engine
        self.token_url = token_url
        self.env_refresh_token = refresh_token
        self.refresh_token_env = refresh_token_env
        self._clock = clock
        self._memory_token: str | None = None  # rotated token when there is no store to keep it in
        self._access_token: str | None = None
        self._expires_at = 0.0
        self._reply_lost = False  # a refresh timed out after sending: the token may have rotated unseen
        self._lock = threading.RLock()
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self.client = ApiClient(
            self.tool,
            token_url,
            auth={"Authorization": f"Basic {basic}"},
            credential_envs=client_envs,
            settings=sync,
        )

    # --- what ApiClient calls ----------------------------------------------------------------------------------

    def header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token()}"}

    def refresh_after_rejection(self) -> bool:
        """The API refused the access token (revoked, or expired early): get a fresh one and retry once."""
        with self._lock:
            self._access_token = None
            self.access_token()
        return True

    # --- tokens ------------------------------------------------------------------------------------------------

    def access_token(self) -> str:
        """A valid access token. One refresh at a time: requests in flight on several threads (the write-back)
        would otherwise each exchange the same refresh token, and Intuit accepts a refresh token only once."""
        with self._lock:
            if self._access_token is None or self._clock() >= self._expires_at:
                return self._refresh()
            return self._access_token

    def stored_refresh_token(self) -> str | None:
        """The newest refresh token the hub holds, if any."""
        if self.engine is None:
            return self._memory_token
        with self.engine.connect() as conn:
            return conn.execute(
                select(oauth_tokens.c.refresh_token).where(oauth_tokens.c.tool == self.tool)
            ).scalar_one_or_none()

    def _refresh(self) -> str:
        """Exchange the newest refresh token known; on rejection look for one another process stored meanwhile.

        Two processes (e.g. the customers and invoices syncs) may refresh at once from the same token: Intuit
        accepts it once, and the loser finds the winner's rotated token in the store a moment later.
        """
        tried: list[str] = []
        candidates = [self.stored_refresh_token(), self.env_refresh_token]
        while candidates:
            token = candidates.pop(0)
            if not token or token in tried:
                continue
            tried.append(token)
            access_token = self._exchange(token)
            if access_token:
                return access_token
            newer = self._newer_stored_token(tried)
            if newer:
                candidates.insert(0, newer)
            elif candidates:
                log.warning("quickbooks: the stored refresh token was rejected; trying the one in the environment")
        if not tried:
            message = f"no refresh token: {self.refresh_token_env} is empty and the hub store holds none"
        elif self._reply_lost:
            message = (
                "a token refresh timed out after it was sent, so QuickBooks may have rotated the refresh token "
                "without the hub receiving the new one, and the previous one is now refused (invalid_grant)"
            )
        else:
            message = "the refresh token was rejected (invalid_grant: expired, revoked or already rotated)"
        raise ToolAuthError(
            self.tool,
            f"POST {_path_of(self.token_url)}",
            f"{message}; {REAUTHORISE.format(env=self.refresh_token_env)}",
            credential_envs=(self.refresh_token_env,),
        )

    def _newer_stored_token(self, tried: list[str]) -> str | None:
        """A stored token not tried yet, waiting briefly for a concurrent refresh to commit its rotated token."""
        for attempt in range(STORE_RECHECKS):
            stored = self.stored_refresh_token()
            if stored and stored not in tried:
                return stored
            if self.engine is None or attempt == STORE_RECHECKS - 1:
                return None
            _sleep(STORE_RECHECK_SECONDS)
        return None

    def _exchange(self, refresh_token: str) -> str | None:
        """One refresh: the access token, or None when Intuit rejects the grant. The rotated token is persisted
        before anything else, so a crash right after cannot lose it."""
        timeouts = self.client.stats.by_status["timeout"]
        try:
            body = self.client.post_json(
                self.token_url,  # absolute: the token endpoint is on another host than the API
                data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        except ToolRequestError as error:
            if error.status == 400:  # RFC 6749 §5.2: invalid_grant (a bad client is 401, raised as ToolAuthError)
                if self.client.stats.by_status["timeout"] > timeouts:
                    self._reply_lost = True
                    log.error("quickbooks: a token refresh timed out and its retry was refused: the reply was lost")
                return None
            raise
        finally:
            if self.client.stats.by_status["timeout"] > timeouts:
                log.warning("quickbooks: a token refresh reply was lost (timed out); retried with the same token")
        if not isinstance(body, dict) or not body.get("access_token"):
            raise ToolResponseError(self.tool, f"POST {_path_of(self.token_url)}", "token response has no access_token")
        rotated = body.get("refresh_token") or refresh_token
        self._store(rotated)
        self._access_token = str(body["access_token"])
        expires_in = float(body.get("expires_in") or 3600)
        self._expires_at = self._clock() + max(0.0, expires_in - EXPIRY_MARGIN_SECONDS)
        return self._access_token

    def _store(self, refresh_token: str) -> None:
        if self.engine is None:
            if self._memory_token is None:
                log.warning(
                    "quickbooks: no hub store given; the rotated refresh token is kept in memory only, so the next "
                    "process must start from %s",
                    self.refresh_token_env,
                )
            self._memory_token = refresh_token
            return
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            updated = conn.execute(
                oauth_tokens.update()
                .where(oauth_tokens.c.tool == self.tool)
                .values(refresh_token=refresh_token, rotated_at=now)
            ).rowcount
            if not updated:
                conn.execute(oauth_tokens.insert().values(tool=self.tool, refresh_token=refresh_token, rotated_at=now))


def _path_of(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
