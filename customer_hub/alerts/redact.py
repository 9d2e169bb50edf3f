"""Keeping secrets out of alerts: error texts from failed runs can quote URLs, headers or tokens.

Two layers: the actual values of every credential variable named in `hub.yaml` (and the Slack ones) are replaced
wherever they appear, and anything shaped like a common token, or like a vendor's masked echo of one
(`customer_hub.key_shapes`), is replaced even if its variable is unknown.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from customer_hub.config import HubConfig
from customer_hub.key_shapes import REDACTED, mask_key_shapes

_MIN_SECRET_LENGTH = 6
_TOKEN_SHAPES = re.compile(
    r"hooks\.slack\.com/services/[A-Za-z0-9/]+"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+"
    r"|(?i:(?:access_token|refresh_token|client_secret|api_key|apikey|token|password)[\"']?\s*[=:]\s*[\"']?)"
    r"[^\s&\"',}]+"
)


def secret_values(config: HubConfig, env: Mapping[str, str] | None = None) -> list[str]:
    """The values of every credential variable the configuration names (only those that are set)."""
    env = os.environ if env is None else env
    names = {name for system in config.systems.values() for name in system.credentials.values()}
    names |= {config.alerts.bot_token_env, config.alerts.webhook_url_env}
    values = {env[name] for name in names if len(env.get(name) or "") >= _MIN_SECRET_LENGTH}
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    """`text` with the given secret values and token-shaped strings replaced by [redacted]."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return mask_key_shapes(_TOKEN_SHAPES.sub(_keep_label, text))


def _keep_label(match: re.Match[str]) -> str:
    found = match.group(0)
    label = re.match(r"(?i)(bearer\s+|[a-z_]+[\"']?\s*[=:]\s*[\"']?)", found)
    if label and not found.startswith("hooks."):
        return label.group(0) + REDACTED
    return REDACTED
