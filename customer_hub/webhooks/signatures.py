"""Each vendor's webhook signature: verifying what arrives, and signing (the sandbox and the tests send with it).

- HubSpot v3: `X-HubSpot-Signature-v3` = base64(HMAC-SHA256(client secret, method + URI + body + timestamp)),
  `X-HubSpot-Request-Timestamp` in epoch milliseconds; older than 5 minutes is refused (a captured request
  cannot be replayed later). The URI is the full URL HubSpot called, with a few escapes decoded.
- Stripe: `Stripe-Signature: t=<seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=...]`, 300 s tolerance;
  several v1 values appear while a secret is being rolled, any one matching is enough.
- Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1(client secret, body)>`; Intercom signs no timestamp, so a
  replay is caught only by the event id (the store accepts each id once).
Comparisons are constant-time. Errors say what was wrong, never echo the secret or the body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

HUBSPOT_MAX_AGE_SECONDS = 300
STRIPE_TOLERANCE_SECONDS = 300
_HUBSPOT_DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip
"""The escapes HubSpot decodes in the URI before signing (its v3 validation guide lists exactly these)."""


class SignatureError(ValueError):
    """The delivery is not provably from the vendor: missing, malformed, stale or wrong signature."""


def _hubspot_uri(uri: str) -> str:
    for escaped, plain in _HUBSPOT_DECODED.items():
        uri = uri.replace(escaped, plain).replace(escaped.lower(), plain)
    return uri


def hubspot_v3_signature(secret: str, method: str, uri: str, body: bytes, timestamp_ms: str) -> str:
    """The X-HubSpot-Signature-v3 value for one request."""
    message = method.upper().encode() + _hubspot_uri(uri).encode() + body + timestamp_ms.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def verify_hubspot_v3(
    secret: str, method: str, uri: str, body: bytes, timestamp: str | None, signature: str | None, now: datetime
) -> None:
    """Raise SignatureError unless the request is HubSpot's and less than 5 minutes old."""
    if not signature or not timestamp:
        raise SignatureError("missing X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp")
    try:
        sent_ms = int(timestamp)
    except ValueError:
        raise SignatureError("X-HubSpot-Request-Timestamp is not epoch milliseconds") from None
    age = now.timestamp() - sent_ms / 1000
    if abs(age) > HUBSPOT_MAX_AGE_SECONDS:
        raise SignatureError(f"timestamp is {age:.0f} s old; HubSpot requests older than 5 minutes are refused")
    expected = hubspot_v3_signature(secret, method, uri, body, timestamp)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureError("X-HubSpot-Signature-v3 does not match (wrong client secret, or a changed body/URI)")


def stripe_signature_header(secret: str, body: bytes, timestamp: int) -> str:
    """The Stripe-Signature value Stripe would send for this body at this time."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_stripe(secret: str, body: bytes, header: str | None, now: datetime) -> None:
    """Raise SignatureError unless a v1 signature matches and its timestamp is within 300 s."""
    if not header:
        raise SignatureError("missing Stripe-Signature")
    timestamp, signatures = None, []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not timestamp.isdigit() or not signatures:
        raise SignatureError("Stripe-Signature has no t= timestamp or no v1= signature")
    age = now.timestamp() - int(timestamp)
    if abs(age) > STRIPE_TOLERANCE_SECONDS:
        raise SignatureError(f"timestamp is {age:.0f} s old; the tolerance is {STRIPE_TOLERANCE_SECONDS} s")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("no v1 signature in Stripe-Signature matches (wrong signing secret, or a changed body)")


def intercom_signature(secret: str, body: bytes) -> str:
    """The X-Hub-Signature value Intercom sends for this body."""
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def verify_intercom(secret: str, body: bytes, header: str | None) -> None:
    """Raise SignatureError unless X-Hub-Signature is the HMAC-SHA1 of the body with the client secret."""
    if not header or not header.startswith("sha1="):
        raise SignatureError("missing X-Hub-Signature (sha1=...)")
    if not hmac.compare_digest(intercom_signature(secret, body), header.strip()):
        raise SignatureError("X-Hub-Signature does not match (wrong client secret, or a changed body)")
