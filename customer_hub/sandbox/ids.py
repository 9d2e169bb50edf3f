"""Fixed identifiers of the sandbox world.

The real tools hand out these values when an account is set up (a QuickBooks realm, a Google spreadsheet, an
Asana workspace...). Clients need them in their configuration, so the sandbox keeps them constant across seeds:
a demo configuration written once keeps working for every seed and scale.
"""

from typing import Final

TOOLS: Final[tuple[str, ...]] = ("hubspot", "stripe", "intercom", "quickbooks", "sheets", "asana", "slack")

# Where each tool's imitation lives under the sandbox URL; Asana and Slack keep the path segments of their
# real base URLs so that a client only swaps the host part.
TOOL_PATHS: Final[dict[str, str]] = {
    "hubspot": "/hubspot",
    "stripe": "/stripe",
    "intercom": "/intercom",
    "quickbooks": "/quickbooks",
    "sheets": "/sheets",
    "asana": "/asana/api/1.0",
    "slack": "/slack/api",
}

REAL_BASE_URLS: Final[dict[str, str]] = {
    "hubspot": "https://api.hubapi.com",
    "stripe": "https://api.stripe.com",
    "intercom": "https://api.intercom.io",
    "quickbooks": "https://quickbooks.api.intuit.com",
    "sheets": "https://sheets.googleapis.com",
    "asana": "https://app.asana.com/api/1.0",
    "slack": "https://slack.com/api",
}

SANDBOX_IDS: Final[dict[str, str]] = {
    # QuickBooks Online company ("realm") and the first refresh token of the OAuth2 connection.
    "quickbooks_realm_id": "9130350000000001",
    "quickbooks_refresh_token": "AB11sandbox0refresh0token0initial",
    # Token endpoint path under the sandbox URL (real: https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer).
    "quickbooks_token_path": "/quickbooks/oauth2/v1/tokens/bearer",
    # Google Sheets implementation tracker: spreadsheet id, sheet (tab) name and the range that covers it.
    "sheets_spreadsheet_id": "1SandboxImplementationTracker0000000000000",
    "sheets_sheet_name": "Implementations",
    "sheets_range": "Implementations!A1:G",
    # Google's OAuth 2.0 token endpoint (real: https://oauth2.googleapis.com/token); service-account keys the admin
    # API creates name it as their token_uri.
    "google_token_path": "/sheets/oauth2/token",
    # Asana workspace, the customer-success team and the onboarding project template.
    "asana_workspace_gid": "1200000000000001",
    "asana_team_gid": "1200000000000002",
    "asana_onboarding_template_gid": "1200000000000003",
    # Asana project the schema-change tickets go to (change control).
    "asana_patch_project_gid": "1200000000000004",
    # Slack: the channel id alerts resolve to and an incoming-webhook path (any T.../B.../secret path works).
    "slack_channel_id": "C0SANDBOX01",
    "slack_webhook_path": "/slack/services/T0SANDBOX01/B0SANDBOX01/sandboxwebhooksecret",
}

# The ground-truth key of the customer that is billed twice (see `customer_hub.sandbox.world`).
ACME_CUSTOMER_KEY: Final[str] = "acme"
