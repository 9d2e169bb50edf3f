"""How the store's JSON columns are written and read: orjson, with the standard library as the fallback.

Views, record attributes and link evidence are JSON columns, and a 360 build or a golden run decodes tens of
thousands of them; orjson does it in two thirds of the time and encodes several times faster. What orjson refuses
is handed to `json`, so nothing the store took before is refused now: on reading, the NaN an older store may hold
(json wrote it; orjson writes NaN as null, as PostgreSQL requires), and on writing an integer past 64 bits, which
is read back as the nearest float, as most JSON readers read it (no tool sends one: ids are text, amounts cents)."""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps(value: Any) -> str:
    """`value` as JSON text, as a JSON column stores it."""
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except TypeError:
        return json.dumps(value)


def loads(text: str | bytes) -> Any:
    """A JSON column's stored text as Python values."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def as_stored(value: Any) -> Any:
    """`value` as a JSON column gives it back (NaN as None, times as ISO text, keys as text), for comparing what
    was just made with what was stored."""
    return loads(dumps(value))
