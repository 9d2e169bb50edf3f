"""Slack messages of change control: the note in a schema-drift incident's thread naming its Asana ticket, and the
weekly integration-patch digest of the changes still open.

Owners are shown as hub.yaml names them (a team or a work address): the digest exists to say who patches what.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from customer_hub.alerts.links import Links
from customer_hub.alerts.messages import _button, _context, _escape, _header, _section
from customer_hub.change_control.changes import DigestLine

TICKET_KIND = "ticket"
"""Outbox kind of the ticket note: delivered as a reply in the incident's thread."""
MAX_LINES = 15
"""Lines one Slack section holds (about 2,900 characters); the rest are counted, and listed by the CLI."""


def _link(url: str | None, label: str) -> str:
    return f"<{url}|{_escape(label)}>" if url else _escape(label)


def ticket_note(change: Mapping[str, Any], url: str | None, owner: str, created: bool) -> dict[str, Any]:
    """One line in the drift incident's thread: the change has a ticket (new or found), and whose it is."""
    what = f"{change['tool']} {change['object']}: {change['summary']}"
    verb = "opened" if created else "tracked in"
    text = f"Schema change {what}: {verb} Asana ticket {url or ''} (owner {owner})"
    section = f":ticket: *{_escape(what)}*\n{verb.capitalize()} {_link(url, 'Asana ticket')} · owner {_escape(owner)}"
    return {"text": text, "blocks": [_section(section)]}


def patch_digest_message(lines: Sequence[DigestLine], links: Links, now: datetime) -> dict[str, Any]:
    """The weekly integration-patch digest: how many changes are open, the oldest age, then one line each."""
    oldest = max((line.age_days for line in lines), default=0)
    owners = sorted({line.owner for line in lines})
    headline = f"{len(lines)} open schema change{'s' * (len(lines) != 1)} to patch" + (
        f", the oldest open {oldest} days, owners: {', '.join(owners)}" if lines else ""
    )
    blocks = [_header(":wrench: Weekly integration patches"), _section(f"*{_escape(headline)}*")]
    if lines:
        shown = [f"• {_escape(line.text())}" + (f" {_link(line.ticket_url, '(ticket)')}" if line.ticket_url else "")
                 for line in lines[:MAX_LINES]]  # fmt: skip
        if len(lines) > MAX_LINES:
            shown.append(f"_…and {len(lines) - MAX_LINES} more: `customer-hub changes`_")
        blocks.append(_section("\n".join(shown)))
        blocks.append(
            _section(
                "*What to do*\nEach owner patches the connector mapping of their tool's changes in this week's "
                "integration window, then accepts the new schema: `customer-hub changes accept TOOL OBJECT`. The "
                "Asana tickets close by themselves once the change is accepted."
            )
        )
    else:
        blocks.append(_section("No schema change waits for a patch. :tada:"))
    blocks.append(_button("Open quality in Dagster", links.asset("quality_metrics")))
    blocks.append(_context(f"integration patch digest · {now:%Y-%m-%d %H:%M} UTC"))
    return {"text": f"Weekly integration patches: {headline}", "blocks": blocks}
