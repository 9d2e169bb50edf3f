"""Masking email addresses before they leave the hub store (Slack, check metadata, logs).

People acting on an alert need to recognise a record, not read a customer's address in a chat channel: the first
letter and the domain are enough to find it, and the record id says exactly where it lives.
"""

from __future__ import annotations

import re
from typing import Any

_EMAIL = re.compile(r"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")


def mask_text(text: str) -> str:
    """Every email address inside free text masked."""
    return _EMAIL.sub(lambda match: f"{match.group(1)}***@{match.group(2)}", text)


def masked(value: Any) -> Any:
    """A copy of nested dicts/lists/strings with every email address masked."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    return value
