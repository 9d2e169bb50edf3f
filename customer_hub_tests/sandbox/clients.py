"""Just enough of each vendor's client to page through the sandbox the way real clients do."""

from typing import Any

import requests

from customer_hub.sandbox import SANDBOX_IDS, SandboxServer

BEARER = {"Authorization": "Bearer sandbox-token", "Intercom-Version": "2.16"}
TIMEOUT = 10


def hubspot_all(
    server: SandboxServer, http: requests.Session, object_type: str, archived: bool = False
) -> list[dict[str, Any]]:
    """Every object (or every archived one) via GET /crm/v3/objects/{type} and paging.next.after."""
    records: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100, "archived": str(archived).lower()}
    while True:
        page = http.get(
            f"{server.base_url('hubspot')}/crm/v3/objects/{object_type}", params=params, headers=BEARER, timeout=TIMEOUT
        ).json()
        records += page["results"]
        if "paging" not in page:
            return records
        params["after"] = page["paging"]["next"]["after"]


def hubspot_search(
    server: SandboxServer, http: requests.Session, object_type: str, filters: list[dict[str, Any]], limit: int = 200
) -> list[dict[str, Any]]:
    """Every match of a search, following paging.next.after."""
    records, after = [], "0"
    while True:
        body = {
            "filterGroups": [{"filters": filters}],
            "limit": limit,
            "after": after,
            "properties": [],
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        }
        page = http.post(
            f"{server.base_url('hubspot')}/crm/v3/objects/{object_type}/search",
            json=body,
            headers=BEARER,
            timeout=TIMEOUT,
        ).json()
        records += page["results"]
        if "paging" not in page:
            return records
        after = page["paging"]["next"]["after"]


def stripe_all(server: SandboxServer, http: requests.Session, name: str, **params: Any) -> list[dict[str, Any]]:
    """Every object via starting_after + has_more, newest first."""
    records: list[dict[str, Any]] = []
    query = {"limit": 100, **params}
    while True:
        page = http.get(f"{server.base_url('stripe')}/v1/{name}", params=query, headers=BEARER, timeout=TIMEOUT).json()
        records += page["data"]
        if not page["has_more"]:
            return records
        query["starting_after"] = page["data"][-1]["id"]


def intercom_all(server: SandboxServer, http: requests.Session, name: str) -> list[dict[str, Any]]:
    """Every contact or conversation via pages.next.starting_after."""
    key = "data" if name == "contacts" else "conversations"
    records, params = [], {"per_page": 150}
    while True:
        page = http.get(f"{server.base_url('intercom')}/{name}", params=params, headers=BEARER, timeout=TIMEOUT).json()
        records += page[key]
        following = page["pages"].get("next")
        if not following:
            return records
        params["starting_after"] = following["starting_after"]


def intercom_search(
    server: SandboxServer, http: requests.Session, name: str, query: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every match of a search, following pages.next.starting_after."""
    key = "data" if name == "contacts" else "conversations"
    records, pagination = [], {"per_page": 150}
    while True:
        page = http.post(
            f"{server.base_url('intercom')}/{name}/search",
            json={"query": query, "pagination": pagination},
            headers=BEARER,
            timeout=TIMEOUT,
        ).json()
        records += page[key]
        following = page["pages"].get("next")
        if not following:
            return records
        pagination = {"per_page": 150, "starting_after": following["starting_after"]}


def quickbooks_token(server: SandboxServer, http: requests.Session, refresh_token: str) -> dict[str, Any]:
    """Exchange a refresh token at the token endpoint (HTTP basic with the app's client id and secret)."""
    return http.post(
        server.url + SANDBOX_IDS["quickbooks_token_path"],
        auth=("client-id", "client-secret"),
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        timeout=TIMEOUT,
    )


def quickbooks_headers(server: SandboxServer, http: requests.Session) -> dict[str, str]:
    """Headers with an access token from the seeded refresh token (use once per sandbox: refresh tokens rotate)."""
    issued = quickbooks_token(server, http, SANDBOX_IDS["quickbooks_refresh_token"]).json()
    return {"Authorization": f"Bearer {issued['access_token']}", "Accept": "application/json"}


def quickbooks_url(server: SandboxServer, endpoint: str) -> str:
    """A company endpoint of the sandbox realm."""
    return f"{server.base_url('quickbooks')}/v3/company/{SANDBOX_IDS['quickbooks_realm_id']}/{endpoint}"


def quickbooks_all(
    server: SandboxServer, http: requests.Session, headers: dict[str, str], entity: str, where: str = ""
) -> list[dict[str, Any]]:
    """Every entity via STARTPOSITION/MAXRESULTS paging."""
    records: list[dict[str, Any]] = []
    while True:
        query = f"select * from {entity}{where} STARTPOSITION {len(records) + 1} MAXRESULTS 1000"
        page = http.get(
            quickbooks_url(server, "query"),
            params={"query": query, "minorversion": "75"},
            headers=headers,
            timeout=TIMEOUT,
        ).json()["QueryResponse"]
        if not page.get(entity):
            return records
        records += page[entity]


def asana_all(server: SandboxServer, http: requests.Session, opt_fields: str = "name") -> list[dict[str, Any]]:
    """Every project via offset + next_page."""
    records: list[dict[str, Any]] = []
    params = {"workspace": SANDBOX_IDS["asana_workspace_gid"], "limit": 100, "opt_fields": opt_fields}
    while True:
        page = http.get(f"{server.base_url('asana')}/projects", params=params, headers=BEARER, timeout=TIMEOUT).json()
        records += page["data"]
        if not page["next_page"]:
            return records
        params["offset"] = page["next_page"]["offset"]


def google_service_account_key(server: SandboxServer, http: requests.Session) -> dict[str, str]:
    """A new key of the sandbox's Google service account (the JSON file the Cloud console hands out)."""
    return http.post(f"{server.url}/_sandbox/google/keys", timeout=TIMEOUT).json()


def sheets_headers(server: SandboxServer, http: requests.Session) -> dict[str, str]:
    """Bearer headers with an access token from the sandbox's Google token endpoint, as google-auth gets one."""
    from google.auth.transport.requests import Request
    from google.oauth2.service_account import Credentials

    key = google_service_account_key(server, http)
    credentials = Credentials.from_service_account_info(
        key, scopes=["https://www.googleapis.com/auth/spreadsheets.readonly"]
    )
    credentials.refresh(Request(http))
    return {"Authorization": f"Bearer {credentials.token}"}


def sheet_values(server: SandboxServer, http: requests.Session) -> list[list[str]]:
    """The implementation tracker's cells, header row first."""
    url = (
        f"{server.base_url('sheets')}/v4/spreadsheets/{SANDBOX_IDS['sheets_spreadsheet_id']}/values/"
        f"{SANDBOX_IDS['sheets_range']}"
    )
    return http.get(url, headers=sheets_headers(server, http), timeout=TIMEOUT).json()["values"]
