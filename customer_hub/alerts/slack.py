"""Posting one message to Slack with `slack_sdk`: a bot token + channel (threads work), else an incoming webhook.

Rate limits (HTTP 429 with Retry-After) and dropped connections are retried by slack_sdk's retry handlers. Every
other outcome is classified so the outbox knows whether to retry the message later, stop the delivery pass (Slack
down, token or channel wrong: every next message would fail the same way) or give up on this one message. Error
texts name the environment variable to fix, never its value.

A post whose reply is lost (Slack posted it, then the answer came after the client's timeout) would be posted again
by the next pass. With a bot token every post therefore carries the alert's id as message metadata, and a resend
first looks for that id in the channel (`conversations.history`, or the thread's `conversations.replies`; the bot
needs the `channels:history` scope, and `alerts.slack_channel` should be the channel id, C0..., which these
methods require). An incoming webhook can neither carry metadata nor read the channel: there a reply lost after
the post can still mean a second copy; the README says so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from customer_hub.config import AlertsConfig

RATE_LIMIT_RETRIES = 3
TIMEOUT_SECONDS = 15
ALERT_EVENT = "customer_hub_alert"
"""Slack message-metadata event type carrying the outbox id: how a resend recognises an earlier post."""

_AUTH_ERRORS = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "missing_scope",
    "not_allowed_token_type",
    "invalid_token",
    "ekm_access_denied",
    "team_access_not_granted",
}
_CHANNEL_ERRORS = {"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived", "no_service"}
_MESSAGE_ERRORS = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "too_many_attachments",
    "invalid_payload",
    "invalid_arguments",
    "msg_blocks_too_long",
}


@dataclass(frozen=True)
class SlackTarget:
    """Where alerts go. `mode` is `bot` (token + channel), `webhook` or `none` (nothing configured)."""

    mode: Literal["bot", "webhook", "none"]
    channel: str
    base_url: str
    token_env: str
    webhook_env: str
    token: str = field(default="", repr=False)
    webhook_url: str = field(default="", repr=False)

    def describe(self) -> str:
        """Where alerts go, safe to log."""
        if self.mode == "bot":
            return f"Slack channel {self.channel} via the bot token in ${self.token_env} ({self.base_url})"
        if self.mode == "webhook":
            return f"the Slack incoming webhook in ${self.webhook_env}"
        return f"nowhere: set ${self.token_env} (bot token) or ${self.webhook_env} (incoming webhook)"


def slack_target(alerts: AlertsConfig, env: Mapping[str, str] | None = None) -> SlackTarget:
    """The target from `hub.yaml` `alerts` and the environment; a bot token wins over a webhook."""
    env = os.environ if env is None else env
    base_url = (env.get(alerts.slack_base_url_env) or alerts.slack_base_url).rstrip("/") + "/"
    token, webhook = (env.get(alerts.bot_token_env) or "").strip(), (env.get(alerts.webhook_url_env) or "").strip()
    mode = "bot" if token else "webhook" if webhook else "none"
    return SlackTarget(
        mode=mode,
        channel=alerts.slack_channel,
        base_url=base_url,
        token_env=alerts.bot_token_env,
        webhook_env=alerts.webhook_url_env,
        token=token,
        webhook_url=webhook,
    )


@dataclass(frozen=True)
class SendOutcome:
    """`ok` with Slack's ts; otherwise the error and what to do with the rest of the queue."""

    ok: bool
    ts: str | None = None
    error: str | None = None
    stop: bool = False
    """Stop the delivery pass: the next messages would fail the same way (Slack down, token or channel wrong)."""
    rejected: bool = False
    """Slack refused this message itself; retrying it unchanged cannot succeed."""


def _retry_handlers() -> list[Any]:
    return [ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(RATE_LIMIT_RETRIES)]


class SlackSender:
    """Posts messages to one target. Construct once per delivery pass."""

    def __init__(self, target: SlackTarget, timeout_seconds: float = TIMEOUT_SECONDS) -> None:
        if target.mode == "none":
            raise ValueError("no Slack target configured")
        self.target = target
        timeout = int(timeout_seconds) if timeout_seconds >= 1 else timeout_seconds
        if target.mode == "bot":
            self._client = WebClient(
                token=target.token, base_url=target.base_url, timeout=timeout, retry_handlers=_retry_handlers()
            )
        else:
            self._webhook = WebhookClient(target.webhook_url, timeout=timeout, retry_handlers=_retry_handlers())

    def send(
        self, message: Mapping[str, Any], thread_ts: str | None = None, alert_id: str | None = None
    ) -> SendOutcome:
        try:
            if self.target.mode == "bot":
                return self._post(message, thread_ts, alert_id)
            return self._post_webhook(message)
        except Exception as error:  # noqa: BLE001 - any transport failure leaves the alert queued for the next pass
            return SendOutcome(False, error=f"Slack unreachable ({type(error).__name__}); will retry", stop=True)

    def find_posted(self, alert_id: str, thread_ts: str | None, oldest: float) -> str | None:
        """The ts of a message an earlier attempt posted for this alert, or None (not found, or cannot look:
        a webhook, a channel given by name, a token without channels:history)."""
        if self.target.mode != "bot":
            return None
        try:
            if thread_ts:
                response = self._client.conversations_replies(
                    channel=self.target.channel, ts=thread_ts, oldest=f"{oldest:.6f}", include_all_metadata=True
                )
            else:
                response = self._client.conversations_history(
                    channel=self.target.channel, oldest=f"{oldest:.6f}", include_all_metadata=True, limit=200
                )
        except Exception:  # noqa: BLE001 - cannot look: the resend goes ahead, as it would without the look
            return None
        for item in response.get("messages") or []:
            metadata = item.get("metadata") or {}
            if (
                metadata.get("event_type") == ALERT_EVENT
                and (metadata.get("event_payload") or {}).get("alert_id") == alert_id
            ):
                return item.get("ts")
        return None

    def _post(self, message: Mapping[str, Any], thread_ts: str | None, alert_id: str | None) -> SendOutcome:
        metadata = {"event_type": ALERT_EVENT, "event_payload": {"alert_id": alert_id}} if alert_id else None
        try:
            response = self._client.chat_postMessage(
                channel=message.get("channel") or self.target.channel,  # a flow may name its own channel
                text=message["text"],
                blocks=message.get("blocks"),
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata,
            )
        except SlackApiError as error:
            status = error.response.status_code
            data = error.response.data if isinstance(error.response.data, dict) else {}
            return self._classify(str(data.get("error") or f"http_{status}"), status)
        return SendOutcome(True, ts=response.get("ts"))

    def _post_webhook(self, message: Mapping[str, Any]) -> SendOutcome:
        response = self._webhook.send(text=message["text"], blocks=message.get("blocks"))
        if response.status_code == 200:
            return SendOutcome(True)
        return self._classify((response.body or "").strip() or f"http_{response.status_code}", response.status_code)

    def _classify(self, code: str, status: int) -> SendOutcome:
        target = self.target
        if code in _AUTH_ERRORS:
            where = f"the bot token in ${target.token_env}" if target.mode == "bot" else f"${target.webhook_env}"
            fix = "create a new token with the chat:write scope" if target.mode == "bot" else "create a new webhook"
            return SendOutcome(False, error=f"Slack rejected {where} ({code}): {fix} and set it", stop=True)
        if code in _CHANNEL_ERRORS:
            if target.mode == "bot":
                hint = f"check alerts.slack_channel ({target.channel}) and invite the bot to the channel"
            else:
                hint = f"the webhook's channel is gone: create a new webhook and set ${target.webhook_env}"
            return SendOutcome(False, error=f"Slack cannot post to the channel ({code}): {hint}", stop=True)
        if code in _MESSAGE_ERRORS:
            return SendOutcome(False, error=f"Slack rejected the message ({code})", rejected=True)
        if status == 429 or code == "ratelimited":
            return SendOutcome(False, error="Slack rate limit persisted after retries; will retry", stop=True)
        return SendOutcome(False, error=f"Slack error {code} (HTTP {status}); will retry", stop=True)
