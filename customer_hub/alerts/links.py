"""Where an alert's links lead: the Dagster UI as people reach it, and each named record's page in its own tool.

An alert that names a record should open that record: the steward reads it on a phone, away from the machine the
hub runs on. So the Dagster address is the *public* one (`alerts.public_ui_url`, or the variable named by
`alerts.public_ui_url_env`), falling back to the UI `customer-hub ui` started (it sets `RUNNING_UI_ENV` for the
processes it runs) and only then to the local default. Record links follow each vendor's own URL scheme; a tool
whose account id is not configured (HubSpot's portal id, Intercom's app id) gets no link rather than a wrong one.

Pure: configuration and environment in, strings out; no Dagster, no network.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from customer_hub.config import AlertsConfig, HubConfig

RUNNING_UI_ENV = "CUSTOMER_HUB_RUNNING_UI_URL"
"""Set by `customer-hub ui` for the webserver, daemon and runs it starts: the address that UI answers on."""
DEFAULT_UI_URL = "http://127.0.0.1:3000"
"""Where `customer-hub ui` (`make ui`) serves by default."""

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "0.0.0.0", "::1", "[::1]"}
_STRIPE_TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
_HUBSPOT_OBJECT_TYPES = {"contacts": "0-1", "companies": "0-2", "deals": "0-3"}
_STRIPE_PATHS = {"customers": "customers", "subscriptions": "subscriptions", "invoices": "invoices"}
_TOOL_NAMES = {"hubspot": "HubSpot", "stripe": "Stripe", "intercom": "Intercom", "quickbooks": "QuickBooks",
               "sheets": "Sheets", "asana": "Asana"}  # fmt: skip
_SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal", "customers": "customer",
             "subscriptions": "subscription", "invoices": "invoice", "conversations": "conversation",
             "implementations": "implementation", "projects": "project"}  # fmt: skip


@dataclass(frozen=True)
class UiAddress:
    """The Dagster UI's address for links, and where it came from (said in the demo and in the logs)."""

    url: str
    source: str

    @property
    def is_local(self) -> bool:
        """A loopback address works only on the machine itself: a link to it is useless on a phone."""
        return (urlsplit(self.url).hostname or "") in _LOCAL_HOSTS


def ui_address(alerts: AlertsConfig, env: Mapping[str, str] | None = None) -> UiAddress:
    """The public UI address: `$<public_ui_url_env>`, then `alerts.public_ui_url`, then the running UI's address
    (`$CUSTOMER_HUB_RUNNING_UI_URL`), then where `make ui` serves by default."""
    env = os.environ if env is None else env
    for value, source in (
        (env.get(alerts.public_ui_url_env), f"${alerts.public_ui_url_env}"),
        (alerts.public_ui_url, "alerts.public_ui_url in hub.yaml"),
        (env.get(RUNNING_UI_ENV), "the UI `customer-hub ui` started"),
    ):
        if value and value.strip():
            return UiAddress(value.strip().rstrip("/"), source)
    return UiAddress(DEFAULT_UI_URL, "where `make ui` serves by default")


@dataclass(frozen=True)
class ToolLinks:
    """What each tool's record URLs need: the app's root and the account ids that are part of its URLs."""

    hubspot_app: str = "https://app.hubspot.com"
    hubspot_portal_id: str | None = None
    stripe_dashboard: str = "https://dashboard.stripe.com"
    stripe_test_mode: bool = False
    intercom_app: str = "https://app.intercom.com"
    intercom_app_id: str | None = None
    quickbooks_app: str = "https://app.qbo.intuit.com"
    sheets_spreadsheet_id: str | None = None
    asana_app: str = "https://app.asana.com"


def _setting(config: HubConfig, tool: str, key: str) -> str | None:
    system = config.systems.get(tool)
    value = str(system.settings.get(key) or "").strip() if system else ""
    return value or None


def _intercom_app(base_url: str) -> str:
    """Intercom's regional workspaces live on their own hosts: api.eu.intercom.io -> app.eu.intercom.com."""
    host = urlsplit(base_url).hostname or ""
    region = host.removeprefix("api.").removesuffix("intercom.io").rstrip(".")
    return f"https://app.{region}.intercom.com" if region in ("eu", "au") else "https://app.intercom.com"


def tool_links(config: HubConfig, env: Mapping[str, str] | None = None) -> ToolLinks:
    """The record-link settings from hub.yaml (`systems.<tool>.settings.portal_id`, `app_id`, `app_url`) and the
    environment (a Stripe test key means test-mode dashboard links; only its prefix is looked at)."""
    env = os.environ if env is None else env
    stripe = config.systems.get("stripe")
    key_env = stripe.credentials.get("api_key", "STRIPE_API_KEY") if stripe else "STRIPE_API_KEY"
    intercom = config.systems.get("intercom")
    quickbooks = config.systems.get("quickbooks")
    sandbox_company = bool(quickbooks) and "sandbox" in (urlsplit(quickbooks.base_url).hostname or "")
    defaults = ToolLinks()
    return ToolLinks(
        hubspot_app=_setting(config, "hubspot", "app_url") or defaults.hubspot_app,
        hubspot_portal_id=_setting(config, "hubspot", "portal_id"),
        stripe_test_mode=(env.get(key_env) or "").startswith(_STRIPE_TEST_KEY_PREFIXES),
        intercom_app=_setting(config, "intercom", "app_url")
        or (_intercom_app(intercom.base_url) if intercom else defaults.intercom_app),
        intercom_app_id=_setting(config, "intercom", "app_id"),
        quickbooks_app=_setting(config, "quickbooks", "app_url")
        or ("https://app.sandbox.qbo.intuit.com" if sandbox_company else defaults.quickbooks_app),
        sheets_spreadsheet_id=_setting(config, "sheets", "spreadsheet_id"),
        asana_app=_setting(config, "asana", "app_url") or defaults.asana_app,
    )


def record_url(tools: ToolLinks, tool: str, obj: str, source_id: str) -> str | None:
    """The page of one record in its tool, or None when the tool's URLs need an id hub.yaml does not give."""
    sid = quote(str(source_id), safe="")
    if tool == "hubspot" and obj in _HUBSPOT_OBJECT_TYPES and tools.hubspot_portal_id:
        return f"{tools.hubspot_app}/contacts/{tools.hubspot_portal_id}/record/{_HUBSPOT_OBJECT_TYPES[obj]}/{sid}"
    if tool == "stripe" and obj in _STRIPE_PATHS:
        mode = "/test" if tools.stripe_test_mode else ""
        return f"{tools.stripe_dashboard}{mode}/{_STRIPE_PATHS[obj]}/{sid}"
    if tool == "intercom" and tools.intercom_app_id:
        if obj == "contacts":
            return f"{tools.intercom_app}/a/apps/{tools.intercom_app_id}/users/{sid}/all-conversations"
        if obj == "conversations":
            return f"{tools.intercom_app}/a/inbox/{tools.intercom_app_id}/inbox/conversation/{sid}"
    if tool == "quickbooks" and obj == "customers":
        return f"{tools.quickbooks_app}/app/customerdetail?nameId={sid}"
    if tool == "quickbooks" and obj == "invoices":
        return f"{tools.quickbooks_app}/app/invoice?txnId={sid}"
    if tool == "sheets" and tools.sheets_spreadsheet_id:
        return f"https://docs.google.com/spreadsheets/d/{quote(tools.sheets_spreadsheet_id, safe='')}/edit"
    if tool == "asana" and obj == "projects":
        return f"{tools.asana_app}/0/{sid}/list"
    return None


def record_label(tool: str, obj: str, source_id: str) -> str:
    """How a link to a record reads: "HubSpot contact 101", "Stripe subscription sub_1"."""
    return f"{_TOOL_NAMES.get(tool, tool)} {_SINGULAR.get(obj, obj)} {source_id}"


@dataclass(frozen=True)
class Links:
    """Everything an alert links to: assets and runs in Dagster, records in their tools."""

    ui: UiAddress
    tools: ToolLinks = field(default_factory=ToolLinks)

    def asset(self, asset_key: str) -> str:
        return f"{self.ui.url}/assets/{quote(asset_key, safe='/')}"

    def run(self, run_id: str) -> str:
        return f"{self.ui.url}/runs/{quote(run_id, safe='')}"

    def record(self, record_id: str) -> tuple[str, str | None]:
        """(label, url or None) for a hub record id `tool:object:source_id`."""
        tool, obj, source_id = (str(record_id).split(":", 2) + ["", ""])[:3]
        return record_label(tool, obj, source_id), record_url(self.tools, tool, obj, source_id)


def links_for(config: HubConfig, env: Mapping[str, str] | None = None) -> Links:
    """The links of this hub, from hub.yaml and the environment."""
    return Links(ui_address(config.alerts, env), tool_links(config, env))


def offender_records(offender: Mapping[str, Any]) -> list[str]:
    """The hub record ids an offending item names, in the order it names them: a pair's two records, a duplicate
    group's records, a double billing's subscriptions, an invoice's record."""
    found: list[str] = []
    for key in ("record_id", "record_a", "record_b"):
        if isinstance(offender.get(key), str):
            found.append(offender[key])
    for value in offender.get("records") or ():
        if isinstance(value, str):
            found.append(value)
    return [record for record in dict.fromkeys(found) if record.count(":") >= 2]
