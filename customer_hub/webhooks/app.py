"""The webhook receiver: an ASGI app (Starlette) that verifies, stores, then acknowledges.

    POST /webhooks/hubspot    X-HubSpot-Signature-v3, secret from HUBSPOT_CLIENT_SECRET
    POST /webhooks/stripe     Stripe-Signature, secret from STRIPE_WEBHOOK_SECRET
    POST /webhooks/intercom   X-Hub-Signature, secret from INTERCOM_CLIENT_SECRET
    GET  /healthz             200 when the hub store answers

Answers: 200 once every event of the delivery is stored (a redelivered event is stored once and acknowledged
again); 401 for a missing, wrong or stale signature; 400 for a signed body that is not the vendor's shape; 413 for
an oversized body; 503 when the endpoint's secret is unset (the other endpoints keep working); 500 when the store
cannot write, so the vendor retries. The handler writes one transaction and nothing else: turning events into runs
is the Dagster sensor's job, so a busy Dagster never slows an acknowledgement. Bodies are never logged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from customer_hub.store import webhook_store
from customer_hub.webhooks.events import PARSERS, PayloadError
from customer_hub.webhooks.settings import WEBHOOK_TOOLS, WebhookSettings
from customer_hub.webhooks.signatures import SignatureError, verify_hubspot_v3, verify_intercom, verify_stripe

log = logging.getLogger("customer_hub.webhooks")

Clock = Callable[[], datetime]


def _signed_uri(request: Request, settings: WebhookSettings) -> str:
    """The URI HubSpot signed: the public URL when a proxy sits in front, else the URL this request arrived on."""
    if not settings.public_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{settings.public_url}{request.url.path}{query}"


def verify(tool: str, secret: str, request: Request, body: bytes, settings: WebhookSettings, now: datetime) -> None:
    """Raise SignatureError unless the delivery carries the tool's valid signature."""
    headers = request.headers
    if tool == "hubspot":
        verify_hubspot_v3(
            secret,
            request.method,
            _signed_uri(request, settings),
            body,
            headers.get("x-hubspot-request-timestamp"),
            headers.get("x-hubspot-signature-v3"),
            now,
        )
    elif tool == "stripe":
        verify_stripe(secret, body, headers.get("stripe-signature"), now)
    else:
        verify_intercom(secret, body, headers.get("x-hub-signature"))


def create_app(
    engine: Engine,
    settings: WebhookSettings,
    environ: Mapping[str, str] = os.environ,
    clock: Clock = lambda: datetime.now(UTC),
) -> Starlette:
    """The receiver for one hub store. Secrets are read from `environ` per request, by variable name."""

    async def receive(request: Request) -> JSONResponse:
        tool = request.path_params["tool"]
        if tool not in WEBHOOK_TOOLS:
            return JSONResponse({"error": f"no webhook endpoint for {tool!r}; tools: {list(WEBHOOK_TOOLS)}"}, 404)
        variable = settings.secrets_env.get(tool, "")
        secret = environ.get(variable) if variable else None
        if not secret:
            log.error("%s is not set: POST /webhooks/%s answers 503 until it is", variable or "its secret", tool)
            return JSONResponse({"error": f"{tool} webhooks are not configured on this hub"}, 503)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > settings.max_body_bytes:
            return JSONResponse({"error": f"body over {settings.max_body_bytes} bytes"}, 413)
        body = await request.body()
        if len(body) > settings.max_body_bytes:
            return JSONResponse({"error": f"body over {settings.max_body_bytes} bytes"}, 413)
        now = clock()
        client = request.client.host if request.client else "?"
        try:
            verify(tool, secret, request, body, settings, now)
            events = PARSERS[tool](body)
        except (SignatureError, PayloadError) as error:
            status = 401 if isinstance(error, SignatureError) else 400
            log.warning("refused %s delivery from %s (%d): %s", tool, client, status, error)
            await run_in_threadpool(webhook_store.record_rejection, engine, tool, str(error), now)
            return JSONResponse({"error": str(error)}, status)
        try:
            stored = await run_in_threadpool(webhook_store.store_delivery, engine, tool, events, now)
        except Exception as error:  # the vendor must retry: nothing is acknowledged that is not stored
            log.error(
                "could not store a %s delivery (%s); answered 500 so %s retries", tool, type(error).__name__, tool
            )
            return JSONResponse({"error": "the hub store is unavailable; retry later"}, 500)
        return JSONResponse({"received": len(events), "new": stored.new, "duplicates": stored.duplicates})

    async def healthz(request: Request) -> JSONResponse:
        def ping() -> None:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        try:
            await run_in_threadpool(ping)
        except Exception as error:
            return JSONResponse({"status": "store unavailable", "error": type(error).__name__}, 503)
        configured = {tool: bool(environ.get(name)) for tool, name in settings.secrets_env.items()}
        return JSONResponse({"status": "ok", "endpoints": configured})

    return Starlette(
        routes=[
            Route("/webhooks/{tool}", receive, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
