"""A local, seeded, deterministic imitation of the vendor APIs customer_hub talks to.

One WSGI app serves every tool under its own path prefix with the vendor's paths, envelopes, pagination, error
bodies and rate-limit headers, so the pipeline and its tests run without accounts::

    from customer_hub.sandbox import start_sandbox, SANDBOX_IDS

    with start_sandbox(seed=42) as sandbox:
        hubspot = sandbox.base_url("hubspot")      # http://127.0.0.1:PORT/hubspot
        asana = sandbox.base_url("asana")          # http://127.0.0.1:PORT/asana/api/1.0
        sandbox.state.mutate(0.01)                 # what changed between two syncs
        sandbox.state.truth.records_of("acme")     # ground truth for resolution tests

Base URLs (real → sandbox path): HubSpot api.hubapi.com → /hubspot; Stripe api.stripe.com → /stripe; Intercom
api.intercom.io → /intercom; QuickBooks quickbooks.api.intuit.com → /quickbooks (token endpoint
/quickbooks/oauth2/v1/tokens/bearer); Google Sheets sheets.googleapis.com → /sheets; Asana app.asana.com/api/1.0 →
/asana/api/1.0; Slack slack.com/api → /slack/api (webhooks under /slack/services/T.../B.../...).

Any non-empty bearer token is accepted (Stripe also takes basic auth with the key as user), except QuickBooks,
whose data endpoints accept only access tokens its token endpoint issued from `SANDBOX_IDS["quickbooks_refresh_token"]`
and later rotated refresh tokens, and Google Sheets, which accepts only unexpired tokens its token endpoint
(`SANDBOX_IDS["google_token_path"]`) granted for a service-account key made by `POST /_sandbox/google/keys`.
Fixed ids the client configuration needs are in `SANDBOX_IDS`. The admin API
(`/_sandbox/`) is described in `customer_hub.sandbox.admin`, faults in `customer_hub.sandbox.faults`, rate limits in
`customer_hub.sandbox.rate_limits`.
"""

from customer_hub.sandbox.ids import ACME_CUSTOMER_KEY, REAL_BASE_URLS, SANDBOX_IDS, TOOL_PATHS, TOOLS
from customer_hub.sandbox.server import SandboxServer, serve, start_sandbox
from customer_hub.sandbox.state import SandboxState

__all__ = [
    "ACME_CUSTOMER_KEY",
    "REAL_BASE_URLS",
    "SANDBOX_IDS",
    "TOOLS",
    "TOOL_PATHS",
    "SandboxServer",
    "SandboxState",
    "serve",
    "start_sandbox",
]
