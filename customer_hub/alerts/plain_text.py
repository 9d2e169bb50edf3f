"""A Slack message (Block Kit) as plain text, the way a reader sees it: for the demo, the log and a terminal.

Headers, sections and context lines become lines; a button becomes "label: url"; Slack's mrkdwn is undone (links
`<url|label>` read "label (url)", *bold* and _italics_ lose their marks, &amp; &lt; &gt; are characters again) and the
status icons are dropped, since each header already says in words what happened.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_LINK = re.compile(r"<([^|<>]+)\|([^<>]+)>|<([^|<>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
_ICON = re.compile(r"^:[a-z0-9_+-]+:\s*")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def _link(match: re.Match[str]) -> str:
    url, label, bare = match.groups()
    return bare if bare else f"{label} ({url})"


def mrkdwn_to_text(text: str) -> str:
    """Slack mrkdwn as plain text; code spans and blocks keep their content without the backticks."""
    text = _LINK.sub(_link, text)
    text = text.replace("```", "")
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    text = text.replace("`", "")
    for entity, character in _ENTITIES:
        text = text.replace(entity, character)
    return text


def _block_lines(block: Mapping[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [_ICON.sub("", str((block.get("text") or {}).get("text", ""))).strip()]
    if kind == "section":
        return mrkdwn_to_text(str((block.get("text") or {}).get("text", ""))).splitlines()
    if kind == "context":
        return [" ".join(mrkdwn_to_text(str(element.get("text", ""))) for element in block.get("elements") or [])]
    if kind == "actions":
        return [
            f"{(element.get('text') or {}).get('text', 'Open')}: {element['url']}"
            for element in block.get("elements") or []
            if element.get("url")
        ]
    return []


def message_text(message: Mapping[str, Any], indent: str = "") -> str:
    """The whole message as lines of text (its blocks, or its fallback `text` when it has none)."""
    blocks = message.get("blocks") or []
    lines = [line for block in blocks for line in _block_lines(block)] if blocks else [str(message.get("text", ""))]
    return "\n".join(f"{indent}{line}".rstrip() for line in lines)
