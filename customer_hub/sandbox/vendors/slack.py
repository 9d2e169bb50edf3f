"""Slack: chat.postMessage (HTTP 200 with ok:false on errors), conversations.history and .replies (with message
metadata, so a client can find what it posted) and incoming webhooks; every message is kept."""

import hashlib
import itertools
import json
import re
import time
from typing import Any

from customer_hub.sandbox.ids import SANDBOX_IDS
from customer_hub.sandbox.rate_limits import RateDecision
from customer_hub.sandbox.routing import Call, Reply, Route, VendorApi

CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{8,}$")
BOT_ID = "B0SANDBOX01"
WEBHOOK_ERRORS = {
    "invalid_auth": (403, "invalid_token"),
    "token_revoked": (403, "invalid_token"),
    "channel_not_found": (404, "channel_not_found"),
    "is_archived": (410, "channel_is_archived"),
}


def channel_id(channel: str) -> str:
    """The channel's id: ids pass through, names map to a stable made-up id."""
    if CHANNEL_ID.match(channel):
        return channel
    return "C" + hashlib.sha1(channel.lstrip("#").encode()).hexdigest().upper()[:10]


class SlackApi(VendorApi):
    """slack.com/api under /slack/api, and hooks.slack.com-style webhooks under /slack/services."""

    tool = "slack"

    def __init__(self) -> None:
        self._sequence = itertools.count(1)

    def routes(self) -> list[Route]:
        return [
            Route("/slack/api/chat.postMessage", self.post_message, ("POST",)),
            Route("/slack/api/conversations.history", self.history, ("GET", "POST")),
            Route("/slack/api/conversations.replies", self.replies, ("GET", "POST")),
            Route("/slack/services/<team>/<bot>/<secret>", self.webhook, ("POST",), authenticated=False),
        ]

    def authenticate(self, call: Call) -> Reply | None:
        if not (call.bearer_token() or call.request.form.get("token")):
            return Reply({"ok": False, "error": "not_authed"})
        if call.state.faults.tools[self.tool].revoked_token:
            return Reply({"ok": False, "error": "token_revoked"})
        return None

    def unauthorized(self, call: Call, revoked: bool) -> Reply:
        return Reply({"ok": False, "error": "token_revoked" if revoked else "not_authed"})

    def rate_limited(self, decision: RateDecision | None) -> Reply:
        return Reply(
            {"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(decision.retry_after if decision else 1)}
        )

    def server_error(self, status: int) -> Reply:
        return Reply({"ok": False, "error": "fatal_error"}, status)

    def not_found(self, call: Call) -> Reply:
        return Reply({"ok": False, "error": "unknown_method"}, 404)

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._sequence) % 1000000:06d}"

    def _fields(self, call: Call) -> dict[str, Any] | None:
        request = call.request
        if request.mimetype == "application/json":
            body = call.json_body()
            return body if isinstance(body, dict) else None
        fields: dict[str, Any] = dict(request.form.items())
        if isinstance(fields.get("blocks"), str):
            try:
                fields["blocks"] = json.loads(fields["blocks"])
            except ValueError:
                return None
        return fields

    def _outage(self, call: Call) -> Reply | None:
        outage = call.state.faults.tools[self.tool].slack_outage
        if outage == "503":
            return Reply("Service Unavailable", 503, content_type="text/plain; charset=utf-8")
        if outage == "ratelimited":
            return self.rate_limited(None)
        return None

    def post_message(self, call: Call) -> Reply:
        fields = self._fields(call)
        reply = self._outage(call)
        error = call.state.faults.tools[self.tool].slack_error
        if reply is None:
            if fields is None:
                reply = Reply({"ok": False, "error": "invalid_json"})
            elif error:
                reply = Reply({"ok": False, "error": error})
            elif not fields.get("channel"):
                reply = Reply({"ok": False, "error": "channel_not_found"})
            elif not fields.get("text") and not fields.get("blocks"):
                reply = Reply({"ok": False, "error": "no_text"})
        message = {
            "via": "chat.postMessage",
            "channel": channel_id(str((fields or {}).get("channel") or "")),
            "channel_name": (fields or {}).get("channel"),
            "text": (fields or {}).get("text"),
            "blocks": (fields or {}).get("blocks"),
            "thread_ts": (fields or {}).get("thread_ts"),
            "metadata": _metadata((fields or {}).get("metadata")),
        }
        if reply is not None:
            call.state.record_slack(message | {"error": _error_of(reply)}, delivered=False)
            return reply
        ts = self._ts()
        call.state.record_slack(message | {"ts": ts}, delivered=True)
        posted: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "text": message["text"] or "",
            "ts": ts,
            "bot_id": BOT_ID,
        }
        if message["blocks"]:
            posted["blocks"] = message["blocks"]
        if message["thread_ts"]:
            posted["thread_ts"] = message["thread_ts"]
        late = call.state.faults.take_late_reply(self.tool)  # posted already: the client may time out and resend
        return Reply({"ok": True, "channel": message["channel"], "ts": ts, "message": posted}, late_seconds=late)

    def history(self, call: Call) -> Reply:
        """Messages of a channel, newest first, from `oldest` on; metadata only with include_all_metadata."""
        return self._listing(call, thread=None)

    def replies(self, call: Call) -> Reply:
        """A thread: its parent message and replies, oldest first."""
        thread = self._args(call).get("ts")
        if not thread:
            return Reply({"ok": False, "error": "thread_not_found"})
        return self._listing(call, thread=str(thread))

    def _args(self, call: Call) -> dict[str, Any]:
        return {**call.request.args.to_dict(), **(self._fields(call) or {})}

    def _listing(self, call: Call, thread: str | None) -> Reply:
        args = self._args(call)
        if not args.get("channel"):
            return Reply({"ok": False, "error": "channel_not_found"})
        channel = channel_id(str(args["channel"]))
        oldest = float(args.get("oldest") or 0)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        found = []
        for message in call.state.slack_log()["messages"]:
            if (
                message["channel"] != channel
                or message.get("via") != "chat.postMessage"
                or float(message["ts"]) < oldest
            ):
                continue
            if thread is not None and thread not in (message["ts"], message.get("thread_ts")):
                continue
            if thread is None and message.get("thread_ts"):
                continue  # history lists top-level messages; replies are read with conversations.replies
            item = {"type": "message", "ts": message["ts"], "text": message["text"] or "", "bot_id": BOT_ID}
            if message.get("thread_ts"):
                item["thread_ts"] = message["thread_ts"]
            if with_metadata and message.get("metadata"):
                item["metadata"] = message["metadata"]
            found.append(item)
        found.sort(key=lambda item: float(item["ts"]), reverse=thread is None)
        return Reply({"ok": True, "messages": found, "has_more": False})

    def webhook(self, call: Call, team: str, bot: str, secret: str) -> Reply:
        body = call.json_body()
        reply = self._outage(call)
        error = call.state.faults.tools[self.tool].slack_error
        if reply is None:
            if not isinstance(body, dict):
                reply = _text(400, "invalid_payload")
            elif error:
                reply = _text(*WEBHOOK_ERRORS.get(error, (400, error)))
            elif not body.get("text") and not body.get("blocks"):
                reply = _text(400, "no_text")
        fields = body if isinstance(body, dict) else {}
        message = {
            "via": "webhook",
            "channel": SANDBOX_IDS["slack_channel_id"],
            "channel_name": None,
            "webhook": f"{team}/{bot}",
            "text": fields.get("text"),
            "blocks": fields.get("blocks"),
            "thread_ts": fields.get("thread_ts"),
        }
        if reply is not None:
            call.state.record_slack(message | {"error": _error_of(reply)}, delivered=False)
            return reply
        call.state.record_slack(message | {"ts": self._ts()}, delivered=True)
        return _text(200, "ok")


def _metadata(value: Any) -> dict[str, Any] | None:
    """Message metadata as sent (a JSON object, or its text in a form-encoded call)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _text(status: int, text: str) -> Reply:
    return Reply(text, status, content_type="text/html; charset=utf-8")


def _error_of(reply: Reply) -> str:
    if isinstance(reply.body, dict):
        return str(reply.body.get("error"))
    return str(reply.body) if reply.status == 200 else f"{reply.status} {reply.body}"
