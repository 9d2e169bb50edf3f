"""QuickBooks OAuth 2.0 tokens: short-lived access tokens and rotating refresh tokens.

Each refresh returns a new refresh token and retires the one used, so a client that keeps an old refresh token
(instead of storing the newest) loses its connection: the mistake this imitation exists to catch. With a grace
period (the `token_grace_seconds` fault) the token just rotated away is still accepted for that long and answers
with the current refresh token, so a client whose reply was lost can retry.
"""

import random
import time

from customer_hub.sandbox.seeding.common import token

ACCESS_SECONDS = 3600
REFRESH_SECONDS = 8726400  # 101 days


class QuickBooksTokens:
    """Issued tokens and their expiry times."""

    def __init__(self, initial_refresh_token: str, seed: int) -> None:
        self._rng = random.Random(f"{seed}:quickbooks-oauth")
        self._refresh: dict[str, float] = {initial_refresh_token: time.time() + REFRESH_SECONDS}
        self._access: dict[str, float] = {}
        self._previous: dict[str, tuple[float, str]] = {}  # rotated-away token -> (accepted until, its successor)

    def authorize(self) -> str:
        """A fresh refresh token, as a person re-authorising the app in Intuit's portal gets."""
        fresh = f"AB11{token(self._rng, 44)}"
        self._refresh[fresh] = time.time() + REFRESH_SECONDS
        return fresh

    def refresh(self, refresh_token: str, grace_seconds: float = 0.0) -> dict[str, object] | None:
        """The token response for a valid refresh token (which is then retired), or None."""
        now = time.time()
        expires = self._refresh.pop(refresh_token, None)
        if expires is None:
            until, successor = self._previous.get(refresh_token, (0.0, ""))
            if until < now or successor not in self._refresh:
                return None
            new_refresh = successor  # within the grace period: the current token again, no new rotation
        elif expires < now:
            return None
        else:
            new_refresh = f"AB11{token(self._rng, 44)}"
            if grace_seconds > 0:
                self._previous[refresh_token] = (now + grace_seconds, new_refresh)
        access = f"eyJsandbox.{token(self._rng, 40)}"
        self._access[access] = now + ACCESS_SECONDS
        self._refresh[new_refresh] = now + REFRESH_SECONDS
        return {
            "access_token": access,
            "refresh_token": new_refresh,
            "expires_in": ACCESS_SECONDS,
            "x_refresh_token_expires_in": REFRESH_SECONDS,
            "token_type": "bearer",
        }

    def access_is_valid(self, access_token: str) -> bool:
        """Whether the token endpoint issued this access token and it has not expired."""
        expires = self._access.get(access_token)
        return expires is not None and expires > time.time()
