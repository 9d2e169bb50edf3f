"""Point every tool of `hub.yaml` at a running sandbox: base URLs and throw-away credentials.

The demo, `customer-hub ui` and the tests use this so the real connectors, resources and Dagster definitions run
unchanged against the local imitation. Nothing here is a secret: the sandbox accepts any non-empty token, except
where it imitates a real token exchange (QuickBooks' refresh token, Google's service-account key, which the running
sandbox creates for the demo as the Cloud console would).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from customer_hub.config import HubConfig

SANDBOX_TOKEN = "sandbox-token"


def sandbox_environment(config: HubConfig, sandbox_url: str) -> dict[str, str]:
    """Environment variables that make `config` talk to the sandbox at `sandbox_url`."""
    from customer_hub.sandbox import SANDBOX_IDS
    from customer_hub.sandbox.webhooks import SANDBOX_WEBHOOK_SECRETS
    from customer_hub.webhooks.settings import webhook_settings

    url = sandbox_url.rstrip("/")
    prefixes = {"asana": "asana/api/1.0"}
    env: dict[str, str] = {}
    for tool, system in config.systems.items():
        env[system.base_url_env] = f"{url}/{prefixes.get(tool, tool)}"
        for env_name in system.credentials.values():
            env[env_name] = SANDBOX_TOKEN
    quickbooks = config.systems.get("quickbooks")
    if quickbooks:
        credentials = quickbooks.credentials
        env[credentials["refresh_token"]] = SANDBOX_IDS["quickbooks_refresh_token"]
        env[credentials["realm_id"]] = SANDBOX_IDS["quickbooks_realm_id"]
        env[quickbooks.settings["token_url_env"]] = f"{url}/quickbooks/oauth2/v1/tokens/bearer"
    sheets = config.systems.get("sheets")
    if sheets and "service_account_key" in sheets.credentials:
        env[sheets.credentials["service_account_key"]] = sandbox_google_key(url)
    env[config.alerts.slack_base_url_env] = f"{url}/slack/api/"
    env[config.alerts.bot_token_env] = SANDBOX_TOKEN
    for tool, variable in webhook_settings(config.webhooks).secrets_env.items():
        env[variable] = SANDBOX_WEBHOOK_SECRETS[tool]  # what the sandbox signs its webhooks with
    return env


def sandbox_google_key(sandbox_url: str) -> str:
    """A new service-account key (JSON text) from the running sandbox, whose token endpoint accepts only it."""
    import requests

    answer = requests.post(f"{sandbox_url.rstrip('/')}/_sandbox/google/keys", timeout=30)
    answer.raise_for_status()
    return json.dumps(answer.json())


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the enclosed block and restore the previous values afterwards."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
