"""Slack messages (Block Kit) for failing checks, their updates and recoveries, failed runs and the digest.

Written to be read on a phone: a one-line header saying what is wrong, the figure against its goal in bold, at most
five offending records (emails masked), each with links to its page in the tool that holds it, one "what to do"
paragraph and a button to the asset in Dagster (at the public UI address, see `customer_hub.alerts.links`). `text`
carries the same essentials for notifications and for clients that do not render blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from customer_hub.alerts.links import Links, offender_records
from customer_hub.golden.duplicates import duplicate_records
from customer_hub.quality.checks import CheckResult
from customer_hub.quality.privacy import mask_text

TOP_RECORDS = 5
SECTION_RECORDS = 3
"""Records shown per kind when a check lists several kinds (duplicates within a tool, pairs awaiting review)."""
MAX_RECORD_LINKS = 4
_HEADER_LIMIT = 150
_SECTION_LIMIT = 2900
_ICONS = {
    "opened": ":red_circle:",
    "updated": ":large_orange_circle:",
    "resolved": ":white_check_mark:",
    "run_failure": ":x:",
    "digest": ":bar_chart:",
}
_WARN_ICON = ":large_yellow_circle:"


def _escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clean(text: Any, limit: int = _SECTION_LIMIT) -> str:
    value = _escape(mask_text(str(text)))
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _header(text: str) -> dict[str, Any]:
    text = mask_text(text)
    text = text if len(text) <= _HEADER_LIMIT else text[: _HEADER_LIMIT - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_LIMIT]}}


def _button(label: str, url: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [{"type": "button", "text": {"type": "plain_text", "text": label}, "url": url}],
    }


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:_SECTION_LIMIT]}]}


def offender_line(offender: Mapping[str, Any]) -> str:
    """One record as a short line: its `summary` when the check wrote one, else its fields."""
    if offender.get("summary"):
        return str(offender["summary"])
    return ", ".join(f"{key}={value}" for key, value in offender.items() if value not in (None, "", []))


def _link(url: str, label: str) -> str:
    """A Slack mrkdwn link; the label is escaped, the URL has no `|` or `>` (ours are built, never user text)."""
    return f"<{url}|{_clean(label, 200)}>"


def record_links(offender: Mapping[str, Any], links: Links, limit: int = MAX_RECORD_LINKS) -> str:
    """Links to the records an offending item names, each to its page in its tool ("Open: HubSpot contact 101 ·
    Stripe subscription sub_1"); records whose tool has no link configured are named without one."""
    shown = []
    for record_id in offender_records(offender)[:limit]:
        label, url = links.record(record_id)
        shown.append(_link(url, label) if url else _clean(label, 200))
    return "Open: " + " · ".join(shown) if shown else ""


def records_blocks(
    offenders: Sequence[Mapping[str, Any]],
    total: int,
    links: Links,
    title: str = "Top records",
    shown: int = TOP_RECORDS,
) -> list[dict[str, Any]]:
    """A title and one section per offending record (at most `shown`): its line, then links into its tools. One
    section each keeps every section under Slack's 3,000 characters however long the links are."""
    if not offenders:
        return []
    blocks = [_section(f"*{title}*")]
    for item in offenders[:shown]:
        opened = record_links(item, links)
        blocks.append(_section(f"• {_clean(offender_line(item), 400)}" + (f"\n{opened}" if opened else "")))
    more = max(total, len(offenders)) - min(len(offenders), shown)
    if more > 0:
        blocks.append(_context(f"…and {more} more in Dagster"))
    return blocks


def _offender_blocks(result: CheckResult, links: Links) -> list[dict[str, Any]]:
    """The offending records: a few of each kind when the check lists several kinds, else the top five."""
    if not result.sections:
        return records_blocks(result.offenders, result.offender_count, links)
    blocks = []
    for title, total in result.sections.items():
        items = [item for item in result.offenders if item.get("section") == title]
        blocks += records_blocks(items, total, links, title, shown=SECTION_RECORDS)
    return blocks


def check_message(
    kind: str, result: CheckResult, links: Links, now: datetime, previous_figure: str | None = None
) -> dict[str, Any]:
    """The alert for a check that started failing (`opened`), changed while failing (`updated`) or passes again
    (`resolved`). Updates and recoveries are thread replies but still make sense on their own."""
    link = links.asset(result.asset)
    icon = _WARN_ICON if kind == "opened" and result.severity == "WARN" else _ICONS[kind]
    figure, goal = _clean(result.figure), _clean(result.goal)
    if kind == "opened":
        header = f"{icon} {result.title}"
        summary = f"*{figure}*\nGoal: {goal}\nSeverity: {result.severity}"
        text = f"{result.title}: {result.figure} (goal: {result.goal})"
    elif kind == "updated":
        header = f"{icon} Changed: {result.title}"
        was = f" (was {_clean(previous_figure)})" if previous_figure else ""
        summary = f"*{figure}*{was}\nGoal: {goal}"
        text = f"Still failing, changed: {result.title}: {result.figure}" + (
            f" (was {previous_figure})" if previous_figure else ""
        )
    else:
        header = f"{icon} Resolved: {result.title}"
        summary = f"Back within goal: *{figure}*\nGoal: {goal}"
        text = f"Resolved: {result.title}: {result.figure}"
    blocks = [_header(header), _section(summary)]
    if kind != "resolved":
        blocks += _offender_blocks(result, links)
        blocks.append(_section(f"*What to do*\n{_clean(result.action)}"))
    blocks.append(_button("Open in Dagster", link))
    blocks.append(_context(f"check `{result.check}` on `{result.asset}` · {now:%Y-%m-%d %H:%M} UTC"))
    return {"text": mask_text(text), "blocks": blocks}


def run_failure_message(
    job_name: str, run_id: str, step_key: str | None, error: str, links: Links, now: datetime
) -> dict[str, Any]:
    """One failed run: the job, the step that failed, the error (secrets already removed) and a link to the run."""
    step = step_key or "(before any step started)"
    error = error.strip() or "no error message"
    blocks = [
        _header(f"{_ICONS['run_failure']} Run failed: {job_name}"),
        _section(f"*Step:* `{_clean(step, 200)}`\n*Error:*\n```{_clean(error, 1500)}```"),
        _section(
            "*What to do*\nOpen the run and read the failed step's log. Fix the cause (credentials, the tool's "
            "status, the data), then re-execute from failure."
        ),
        _button("Open run in Dagster", links.run(run_id)),
        _context(f"run `{run_id[:8]}` · {now:%Y-%m-%d %H:%M} UTC"),
    ]
    return {"text": mask_text(f"Run failed: {job_name}, step {step}: {error[:300]}"), "blocks": blocks}


def digest_message(
    groups: Sequence[Mapping[str, Any]],
    pairs: Sequence[Mapping[str, Any]],
    billed: Sequence[Mapping[str, Any]],
    links: Links,
    now: datetime,
) -> dict[str, Any]:
    """The nightly duplicate report in one message: counts first, then the top records of each kind."""
    within = duplicate_records(groups)
    headline = (
        f"{within} duplicate records within tools ({len(groups)} groups), {len(pairs)} open match candidates, "
        f"{len(billed)} customers billed twice"
    )
    blocks = [_header(f"{_ICONS['digest']} Nightly duplicate report"), _section(f"*{_escape(headline)}*")]
    for items, title in ((groups, "Within a tool"), (pairs, "Across tools (review queue)"), (billed, "Billed twice")):
        blocks += records_blocks(items, len(items), links, title)
    if not (groups or pairs or billed):
        blocks.append(_section("No duplicates found. :tada:"))
    else:
        blocks.append(
            _section(
                "*What to do*\nWork through the review queue (merge or keep apart), merge duplicates inside the "
                "tool that holds them, and cancel extra Stripe subscriptions."
            )
        )
    blocks.append(_button("Open golden customers in Dagster", links.asset("golden_customers")))
    blocks.append(_context(f"duplicate report · {now:%Y-%m-%d %H:%M} UTC"))
    return {"text": f"Nightly duplicate report: {headline}", "blocks": blocks}
