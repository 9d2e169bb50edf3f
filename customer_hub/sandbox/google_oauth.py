"""Google's OAuth 2.0 token endpoint for service accounts: a signed JWT assertion in, a short-lived token out.

A service account's key is created on Google's side (Cloud console, "Add key"): Google keeps the public half and
hands out a JSON file with the private one. A client signs a JWT with it (`iss` the account's email, `aud` Google's
token endpoint, `scope`, `iat`/`exp` at most an hour apart, `kid` the key id) and exchanges it with the
`urn:ietf:params:oauth:grant-type:jwt-bearer` grant for an access token that expires. The Sheets API refuses an
expired or unknown token with 401, so a client holding one static token stops working after an hour: the mistake
this imitation exists to catch. Token lifetime is configurable so tests see expiry in seconds.
"""

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from customer_hub.sandbox.seeding.common import token

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
"""The `aud` Google requires (google-auth sends it whatever the key's token_uri); the sandbox's own URL passes too."""
SHEETS_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/spreadsheets.readonly",
        "https://www.googleapis.com/auth/spreadsheets",
        "https://www.googleapis.com/auth/drive.readonly",
        "https://www.googleapis.com/auth/drive",
    }
)
DEFAULT_LIFETIME_SECONDS = 3600
MAX_ASSERTION_SECONDS = 3600
"""Google refuses an assertion whose `exp` is more than an hour after its `iat`."""
CLOCK_SKEW_SECONDS = 300
PROJECT_ID = "customer-hub-sandbox"
CLIENT_EMAIL = f"customer-hub@{PROJECT_ID}.iam.gserviceaccount.com"


class GrantError(ValueError):
    """A refused grant: `error` and `error_description` as Google's token endpoint words them (HTTP 400)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass
class _Key:
    client_email: str
    public_key: rsa.RSAPublicKey

    def __getstate__(self) -> dict[str, Any]:  # a saved sandbox keeps the key as PEM (`customer_hub.sandbox.saved`)
        pem = self.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return {"client_email": self.client_email, "public_key": pem}

    def __setstate__(self, saved: dict[str, Any]) -> None:
        self.client_email = saved["client_email"]
        self.public_key = serialization.load_pem_public_key(saved["public_key"])


class GoogleTokens:
    """Service-account keys the sandbox issued, and the access tokens it granted with their expiry times."""

    def __init__(self, rng: Any) -> None:
        self._rng = rng
        self._keys: dict[str, _Key] = {}  # private_key_id -> key
        self._access: dict[str, float] = {}
        self.lifetime_seconds = DEFAULT_LIFETIME_SECONDS

    def create_key(self, token_uri: str) -> dict[str, str]:
        """A new key of the sandbox's service account, as the JSON file Google lets you download once."""
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_id = token(self._rng, 40).lower()
        self._keys[key_id] = _Key(CLIENT_EMAIL, private.public_key())
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": key_id,
            "private_key": pem,
            "client_email": CLIENT_EMAIL,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{CLIENT_EMAIL}",
            "universe_domain": "googleapis.com",
        }

    def grant(self, grant_type: str | None, assertion: str | None, token_path: str) -> dict[str, Any]:
        """The token response for a valid signed assertion whose audience ends with `token_path`."""
        if grant_type != JWT_BEARER_GRANT:
            raise GrantError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        claims = self._verified(assertion or "")
        now = time.time()
        audience = str(claims.get("aud") or "")
        if audience != GOOGLE_TOKEN_AUDIENCE and not audience.rstrip("/").endswith(token_path.rstrip("/")):
            raise GrantError("invalid_grant", f"Invalid JWT: the audience {audience!r} is not this token endpoint")
        issued, expires = float(claims.get("iat") or 0), float(claims.get("exp") or 0)
        stale = expires < now - CLOCK_SKEW_SECONDS or issued > now + CLOCK_SKEW_SECONDS
        if stale or expires - issued > MAX_ASSERTION_SECONDS:
            raise GrantError(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                "Check your iat and exp values in the JWT claim.",
            )
        scopes = set(str(claims.get("scope") or "").split())
        if not scopes & SHEETS_SCOPES:
            raise GrantError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        access = f"ya29.sandbox.{token(self._rng, 48)}"
        self._access[access] = now + self.lifetime_seconds
        return {"access_token": access, "expires_in": self.lifetime_seconds, "token_type": "Bearer"}

    def access_is_valid(self, access_token: str) -> bool:
        """Whether this endpoint granted the token and it has not expired."""
        expires = self._access.get(access_token)
        return expires is not None and expires > time.time()

    def expire_granted(self) -> int:
        """Let every token granted so far expire now (what an hour's wait does); returns how many."""
        now = time.time()
        for access in self._access:
            self._access[access] = min(self._access[access], now)
        return len(self._access)

    def _verified(self, assertion: str) -> dict[str, Any]:
        """The claims of an assertion signed by a key this sandbox issued, for its service account."""
        parts = assertion.split(".")
        if len(parts) != 3:
            raise GrantError("invalid_grant", "Invalid JWT: malformed assertion")
        try:
            header, claims = (json.loads(_unb64(part)) for part in parts[:2])
            signature = _unb64(parts[2])
        except ValueError as error:
            raise GrantError("invalid_grant", "Invalid JWT: malformed assertion") from error
        key = self._keys.get(str(header.get("kid") or ""))
        if header.get("alg") != "RS256" or key is None or claims.get("iss") != key.client_email:
            raise GrantError("invalid_grant", "Invalid JWT Signature.")
        try:
            key.public_key.verify(signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as error:
            raise GrantError("invalid_grant", "Invalid JWT Signature.") from error
        return claims


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
