"""The `/_sandbox/` admin API: JSON, no auth, the same operations as `SandboxState` methods.

GET    /_sandbox/                          tool base URLs, fixed ids, seed and scale
GET    /_sandbox/counts                    records per tool and object
POST   /_sandbox/mutate                    {"fraction": 0.01, "tools": [...], "objects": [...], "activity": 0, ...}
GET    /_sandbox/faults                    active faults and rate limits
POST   /_sandbox/faults                    merge a fault configuration (see customer_hub.sandbox.faults)
DELETE /_sandbox/faults                    everything off, rate limits back to the start setting
GET    /_sandbox/slack/messages            delivered Slack messages (and refused attempts)
DELETE /_sandbox/slack/messages            forget them
POST   /_sandbox/deals/<id>/close_won      move a HubSpot deal to closed-won now
GET    /_sandbox/writes                    Asana projects and QuickBooks invoices/customers created via the API
POST   /_sandbox/quickbooks/authorize      a fresh QuickBooks refresh token, as re-authorising the app gives
POST   /_sandbox/google/keys               a new service-account key (the JSON file Google hands out once)
POST   /_sandbox/google/tokens             {"lifetime_seconds": 3600, "expire_granted": false}: Google token lifetime;
                                           `expire_granted` lets every access token granted so far expire now
GET    /_sandbox/webhooks                  webhook subscriber, delivery counts and the latest attempts
POST   /_sandbox/webhooks                  {"url": "http://127.0.0.1:8787", "secrets": {...}, "retry_seconds": [...]}
                                           signed webhooks for changes (url null stops; see sandbox.webhooks)
"""

from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request

from customer_hub.sandbox.faults import FaultConfigError
from customer_hub.sandbox.ids import SANDBOX_IDS, TOOL_PATHS
from customer_hub.sandbox.routing import Reply
from customer_hub.sandbox.state import SandboxState
from customer_hub.sandbox.vendors.hubspot import present


class AdminApi:
    """Handlers for the admin routes; each takes the request and the state."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.handlers = {
            "admin:index": self.index,
            "admin:counts": self.counts,
            "admin:mutate": self.mutate,
            "admin:faults": self.faults,
            "admin:slack": self.slack,
            "admin:close_won": self.close_won,
            "admin:writes": self.writes,
            "admin:authorize": self.authorize,
            "admin:google_keys": self.google_keys,
            "admin:google_tokens": self.google_tokens,
            "admin:webhooks": self.webhooks,
        }

    @staticmethod
    def rules() -> list[Rule]:
        """The admin URL rules."""
        return [
            Rule("/_sandbox/", endpoint="admin:index", methods=["GET"]),
            Rule("/_sandbox/counts", endpoint="admin:counts", methods=["GET"]),
            Rule("/_sandbox/mutate", endpoint="admin:mutate", methods=["POST"]),
            Rule("/_sandbox/faults", endpoint="admin:faults", methods=["GET", "POST", "DELETE"]),
            Rule("/_sandbox/slack/messages", endpoint="admin:slack", methods=["GET", "DELETE"]),
            Rule("/_sandbox/deals/<deal_id>/close_won", endpoint="admin:close_won", methods=["POST"]),
            Rule("/_sandbox/writes", endpoint="admin:writes", methods=["GET"]),
            Rule("/_sandbox/quickbooks/authorize", endpoint="admin:authorize", methods=["POST"]),
            Rule("/_sandbox/google/keys", endpoint="admin:google_keys", methods=["POST"]),
            Rule("/_sandbox/google/tokens", endpoint="admin:google_tokens", methods=["POST"]),
            Rule("/_sandbox/webhooks", endpoint="admin:webhooks", methods=["GET", "POST"]),
        ]

    def handle(self, endpoint: str, request: Request, args: dict[str, Any]) -> Reply:
        """Run an admin handler; bad input becomes a 400 with the reason."""
        try:
            return self.handlers[endpoint](request, **args)
        except (FaultConfigError, ValueError, TypeError) as error:
            return Reply({"error": str(error)}, 400)

    def index(self, request: Request) -> Reply:
        root = request.host_url.rstrip("/")
        return Reply(
            {
                "tools": {tool: root + path for tool, path in TOOL_PATHS.items()},
                "ids": SANDBOX_IDS,
                "seed": self.state.seed,
                "scale": self.state.scale,
            }
        )

    def counts(self, request: Request) -> Reply:
        return Reply(self.state.counts())

    def mutate(self, request: Request) -> Reply:
        body = request.get_json(silent=True) or {}
        tools, objects = body.get("tools"), body.get("objects")
        return Reply(
            self.state.mutate(
                float(body.get("fraction", 0.01)),
                list(tools) if tools else None,
                int(body.get("create", 0)),
                int(body.get("delete", 0)),
                int(body.get("merge", 0)),
                list(objects) if objects else None,
                int(body.get("activity", 0)),
            )
        )

    def faults(self, request: Request) -> Reply:
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                raise ValueError("POST /_sandbox/faults takes a JSON object keyed by tool")
            return Reply(self.state.set_faults(body))
        if request.method == "DELETE":
            self.state.clear_faults()
        return Reply(self.state.faults_snapshot())

    def slack(self, request: Request) -> Reply:
        return Reply(self.state.slack_log(clear=request.method == "DELETE"))

    def close_won(self, request: Request, deal_id: str) -> Reply:
        try:
            record = self.state.close_won(deal_id)
        except KeyError:
            return Reply({"error": f"no HubSpot deal {deal_id}"}, 404)
        return Reply(present(record, "deals", None, ["companies", "contacts"]))

    def writes(self, request: Request) -> Reply:
        return Reply(self.state.writes())

    def authorize(self, request: Request) -> Reply:
        with self.state.lock:
            return Reply({"refresh_token": self.state.quickbooks_tokens.authorize()})

    def google_keys(self, request: Request) -> Reply:
        token_uri = request.host_url.rstrip("/") + SANDBOX_IDS["google_token_path"]
        with self.state.lock:
            return Reply(self.state.google_tokens.create_key(token_uri))

    def google_tokens(self, request: Request) -> Reply:
        body = request.get_json(silent=True) or {}
        tokens = self.state.google_tokens
        with self.state.lock:
            if "lifetime_seconds" in body:
                lifetime = int(body["lifetime_seconds"])
                if lifetime < 1:
                    raise ValueError("lifetime_seconds must be at least 1")
                tokens.lifetime_seconds = lifetime
            expired = tokens.expire_granted() if body.get("expire_granted") else 0
            return Reply({"lifetime_seconds": tokens.lifetime_seconds, "expired": expired})

    def webhooks(self, request: Request) -> Reply:
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                raise ValueError('POST /_sandbox/webhooks takes {"url": ..., "secrets": {...}, "retry_seconds": [...]}')
            return Reply(self.state.webhooks.configure(body))
        return Reply(self.state.webhooks.snapshot())
