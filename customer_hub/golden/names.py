"""Folding names into the lowercase search key stored in `customer_360.name_lc`.

The same fold is applied to what a user types, so "ACME, Inc." and "acme inc" meet in one indexed prefix range.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")
_WWW = re.compile(r"^www\d*\.")
_VALID_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+")
KEY_LENGTH = 255


def name_key(text: str | None) -> str:
    """Lowercase ASCII words separated by one space: accents folded, punctuation dropped ("Café-Bar!" -> "cafe bar").

    A name with no Latin letters at all (e.g. written in Cyrillic) keeps its own letters, case-folded.
    """
    if not text:
        return ""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    key = " ".join(_NON_WORD.sub(" ", ascii_text).split())
    return (key or " ".join(str(text).casefold().split()))[:KEY_LENGTH]


def prefix_range(prefix: str) -> tuple[str, str]:
    """The half-open range of keys starting with `prefix`: ("acme", "acmf"), usable on a plain b-tree index."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def bare_domain(text: str | None) -> str | None:
    """The host of a URL, domain or email address, as stored in `customer_360.domain`: 'https://www.Acme.com/x',
    'acme.com' and 'wile@acme.com' are all 'acme.com'. None when no domain can be read."""
    if not text:
        return None
    host = _SCHEME.sub("", str(text).strip().lower().rsplit("@", 1)[-1])
    host = _WWW.sub("", re.split(r"[/?#:]", host, maxsplit=1)[0]).strip(".")
    host = "gmail.com" if host == "googlemail.com" else host
    return host if _VALID_DOMAIN.fullmatch(host) else None
