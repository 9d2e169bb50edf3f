"""Credential-shaped fragments, recognised without knowing the credential.

Scrubbing the configured secret values is not enough: vendors quote a *masked* key in their errors (Stripe's 401
says `Expired API Key provided: sk_live_********1234`, or `sekret-s*********Z123` for a key of another shape), and
that fragment, the key's first and last characters, is a partial secret that would otherwise be kept in the health
log, Dagster's event log and the monthly export. Anything shaped like a key is replaced, masked or not.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"
KEY_SHAPES = re.compile(
    r"[A-Za-z0-9_\-.]*\*{3,}[A-Za-z0-9_\-.]*"  # a masked key: visible head and/or tail around a run of asterisks
    r"|\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]+"  # Stripe keys
    r"|\bxox[abposr]-[A-Za-z0-9-]+"  # Slack tokens
    r"|\bpat-[a-z]{2}\d-[A-Za-z0-9-]{8,}"  # HubSpot private-app tokens
)


def mask_key_shapes(text: str) -> str:
    """`text` with every key-shaped fragment replaced by [redacted]."""
    return KEY_SHAPES.sub(REDACTED, text)
