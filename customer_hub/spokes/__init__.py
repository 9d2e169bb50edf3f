"""Connectors to the tools the hub reads from: one shared HTTP layer, one module per tool, one sync engine.

`http` talks to vendors (retries, rate limits, errors that say what to fix); each tool module maps its objects to
canonical records; `sync.sync_stream` lands a stream in the hub store; `registry` builds connectors from hub.yaml.
"""

from customer_hub.spokes.http import (
    ApiClient,
    RequestStats,
    ToolAuthError,
    ToolError,
    ToolNotFoundError,
    ToolRateLimitedError,
    ToolRequestError,
    ToolResponseError,
    ToolUnavailableError,
)
from customer_hub.spokes.registry import MissingCredentialsError, build_connector, build_connectors, streams
from customer_hub.spokes.sync import SyncResult, sync_stream

__all__ = [
    "ApiClient",
    "MissingCredentialsError",
    "RequestStats",
    "SyncResult",
    "ToolAuthError",
    "ToolError",
    "ToolNotFoundError",
    "ToolRateLimitedError",
    "ToolRequestError",
    "ToolResponseError",
    "ToolUnavailableError",
    "build_connector",
    "build_connectors",
    "streams",
    "sync_stream",
]
