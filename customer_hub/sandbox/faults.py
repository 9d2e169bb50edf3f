"""Switchable failures, per tool, drawn from the seed so a failing run can be replayed exactly.

A fault configuration is a JSON object keyed by tool (or "all"), for example::

    {"hubspot": {"error_rate": 0.2, "timeout_seconds": 0.5},
     "stripe": {"malformed_page": 2},
     "intercom": {"schema_drift": {"rename": {"email": "email_address"}, "add": {"loyalty_tier": "gold"}}},
     "quickbooks": {"revoked_token": true},
     "slack": {"slack_outage": "503"}}

- error_rate: share of requests answered with a failure: a mix of 429 (with the tool's rate-limit headers),
  500, 502, 503 and slow answers that arrive only after `timeout_seconds` (default 2.0).
- malformed_page: the next N list/search responses carry truncated JSON.
- empty_page: the next N pages of an Intercom or Asana list are empty but name a next page (a cursor for the same
  position), as those APIs answer when they filter a page after cutting it; clients must follow the cursor.
- schema_drift: rename and/or add fields in the tool's records (HubSpot: inside `properties`; Sheets: columns).
- bad_values: {record id: {field: value}} served in place of those records' fields (HubSpot: inside `properties`),
  e.g. a NUL byte in a name or a 300-character domain; the stored record is left alone.
- revoked_token: every call is refused with the tool's own 401 (QuickBooks also refuses token refreshes).
- late_replies: the next N writes are carried out, then answered only after `timeout_seconds`, i.e. after the
  client gave up: the QuickBooks token endpoint (the refresh token has rotated) and Slack's chat.postMessage (the
  message is posted).
- write_timeout_rate: share of successful update requests (the write-back endpoints) answered only after
  `timeout_seconds`: the vendor applied the write, the client saw a timeout.
- token_grace_seconds (QuickBooks): how long a refresh token just rotated away is still accepted (it then returns
  the current refresh token); 0, the default, retires it at once.
- slack_outage: "503" (Slack is down) or "ratelimited" (429 with Retry-After).
- slack_error: an error code such as "invalid_auth" or "channel_not_found", answered as HTTP 200 {"ok": false}.
"""

import random
from dataclasses import asdict, dataclass
from typing import Any

from customer_hub.sandbox.ids import TOOLS

FAILURE_KINDS = ("429", "500", "502", "503", "timeout")
FAILURE_WEIGHTS = (35, 20, 15, 15, 15)


@dataclass
class ToolFaults:
    """The faults switched on for one tool."""

    error_rate: float = 0.0
    timeout_seconds: float = 2.0
    malformed_page: int = 0
    empty_page: int = 0
    schema_drift: dict[str, dict[str, Any]] | None = None
    bad_values: dict[str, dict[str, Any]] | None = None
    revoked_token: bool = False
    late_replies: int = 0
    write_timeout_rate: float = 0.0
    token_grace_seconds: float = 0.0
    slack_outage: str | None = None
    slack_error: str | None = None


class FaultConfigError(ValueError):
    """A fault configuration that names an unknown tool or key, or has a value of the wrong kind."""


class FaultBoard:
    """Current faults per tool and the seeded dice that decide which request fails."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self.tools: dict[str, ToolFaults] = {}
        self._dice: dict[str, random.Random] = {}
        self.clear()

    def clear(self) -> None:
        """Switch every fault off and reset the dice."""
        self.tools = {tool: ToolFaults() for tool in TOOLS}
        self._dice = {tool: random.Random(f"{self._seed}:faults:{tool}") for tool in TOOLS}

    def configure(self, spec: dict[str, Any]) -> None:
        """Merge a configuration into the current faults; the dice of each configured tool restart."""
        updates: dict[str, dict[str, Any]] = {}
        for tool, settings in spec.items():
            targets = TOOLS if tool == "all" else (tool,)
            if tool != "all" and tool not in TOOLS:
                raise FaultConfigError(f"unknown tool {tool!r}; expected one of {', '.join(TOOLS)} or 'all'")
            if not isinstance(settings, dict):
                raise FaultConfigError(f"faults for {tool!r} must be an object, got {settings!r}")
            for target in targets:
                updates.setdefault(target, {}).update(settings)
        for tool, settings in updates.items():
            merged = asdict(self.tools[tool]) | settings
            self.tools[tool] = _validated(tool, merged)
            self._dice[tool] = random.Random(f"{self._seed}:faults:{tool}")

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Faults of every tool that has any switched on."""
        return {
            tool: asdict(faults)
            for tool, faults in self.tools.items()
            if faults != ToolFaults(timeout_seconds=faults.timeout_seconds)
        }

    def draw_failure(self, tool: str) -> str | None:
        """The failure this request gets ("429", "500", "502", "503", "timeout"), or None."""
        faults = self.tools[tool]
        if faults.error_rate <= 0:
            return None
        dice = self._dice[tool]
        if dice.random() >= faults.error_rate:
            return None
        return dice.choices(FAILURE_KINDS, FAILURE_WEIGHTS)[0]

    def take_late_reply(self, tool: str) -> float:
        """Seconds to hold this write's reply (uses up one of the N late replies), else 0."""
        faults = self.tools[tool]
        if faults.late_replies <= 0:
            return 0.0
        faults.late_replies -= 1
        return faults.timeout_seconds

    def draw_write_timeout(self, tool: str) -> float:
        """Seconds to hold an applied write's reply (the `write_timeout_rate` fault), else 0."""
        faults = self.tools[tool]
        if faults.write_timeout_rate <= 0 or self._dice[tool].random() >= faults.write_timeout_rate:
            return 0.0
        return faults.timeout_seconds

    def take_malformed(self, tool: str) -> bool:
        """Whether this list response must be malformed (uses up one of the N)."""
        faults = self.tools[tool]
        if faults.malformed_page <= 0:
            return False
        faults.malformed_page -= 1
        return True

    def take_empty_page(self, tool: str) -> bool:
        """Whether this page must be served empty with a next cursor (uses up one of the N)."""
        faults = self.tools[tool]
        if faults.empty_page <= 0:
            return False
        faults.empty_page -= 1
        return True

    def drift(self, tool: str, record: dict[str, Any]) -> dict[str, Any]:
        """The record with the tool's schema drift applied (the stored record is left alone)."""
        drift = self.tools[tool].schema_drift or {}
        bad = (self.tools[tool].bad_values or {}).get(str(record.get("id", record.get("gid"))), {})
        if not drift and not bad:
            return record
        target_key = "properties" if tool == "hubspot" and "properties" in record else None
        drifted = dict(record)
        fields = dict(drifted[target_key]) if target_key else drifted
        for old, new in drift.get("rename", {}).items():
            if old in fields:
                fields[new] = fields.pop(old)
        fields.update(drift.get("add", {}))
        fields.update(bad)
        if target_key:
            drifted[target_key] = fields
        return drifted


def _validated(tool: str, values: dict[str, Any]) -> ToolFaults:
    known = set(ToolFaults.__dataclass_fields__)
    unknown = set(values) - known
    if unknown:
        raise FaultConfigError(f"unknown fault {sorted(unknown)[0]!r} for {tool}; known: {', '.join(sorted(known))}")
    try:
        faults = ToolFaults(
            error_rate=float(values["error_rate"]),
            timeout_seconds=float(values["timeout_seconds"]),
            malformed_page=int(values["malformed_page"]),
            empty_page=int(values["empty_page"]),
            schema_drift=values["schema_drift"] or None,
            bad_values=values["bad_values"] or None,
            revoked_token=bool(values["revoked_token"]),
            late_replies=int(values["late_replies"]),
            write_timeout_rate=float(values["write_timeout_rate"]),
            token_grace_seconds=float(values["token_grace_seconds"]),
            slack_outage=values["slack_outage"] or None,
            slack_error=values["slack_error"] or None,
        )
    except (TypeError, ValueError) as error:
        raise FaultConfigError(f"bad fault value for {tool}: {error}") from error
    for name in ("error_rate", "write_timeout_rate"):
        if not 0 <= getattr(faults, name) <= 1:
            raise FaultConfigError(f"{tool}.{name} must be between 0 and 1, got {getattr(faults, name)}")
    if faults.slack_outage not in (None, "503", "ratelimited"):
        raise FaultConfigError(f"{tool}.slack_outage must be '503' or 'ratelimited', got {faults.slack_outage!r}")
    drift = faults.schema_drift
    if drift is not None and (not isinstance(drift, dict) or set(drift) - {"rename", "add"}):
        raise FaultConfigError(f"{tool}.schema_drift takes {{'rename': {{old: new}}, 'add': {{field: value}}}}")
    bad = faults.bad_values
    if bad is not None and not (isinstance(bad, dict) and all(isinstance(v, dict) for v in bad.values())):
        raise FaultConfigError(f"{tool}.bad_values takes {{record id: {{field: value}}}}")
    return faults
