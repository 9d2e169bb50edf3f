"""The `writeback` section of `hub.yaml`: which golden fields go to which tool field, and the guard rails.

Validated when hub.yaml loads, together with `field_ownership`: a mapping that would write a field back into the
tool that owns it would let the hub overwrite the source of truth with its own copy, so it is refused there,
naming the key. Real tools default to `enabled: false`: writing into a CRM is opted into per target.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

WRITABLE: dict[str, tuple[str, ...]] = {
    "hubspot": ("contacts", "companies"),
    "stripe": ("customers",),
    "intercom": ("contacts",),
    "quickbooks": ("customers",),
}
"""Tool objects the hub can write to, each through its vendor's update endpoint."""

QUICKBOOKS_FIELDS = ("Notes", "ResaleNum", "AlternatePhone[FreeFormNumber]", "Fax[FreeFormNumber]", "WebAddr[URI]")
"""QuickBooks Customer fields the hub may set by sparse update. QuickBooks Online has no custom fields on customers
in its API, so the golden id goes into `Notes` (free text, up to 2,000 characters; a write replaces what is there)."""
QUICKBOOKS_IDENTITY = (
    "DisplayName",
    "CompanyName",
    "GivenName",
    "MiddleName",
    "FamilyName",
    "Title",
    "Suffix",
    "FullyQualifiedName",
    "PrintOnCheckName",
    "PrimaryEmailAddr",
    "PrimaryPhone",
    "Mobile",
    "BillAddr",
    "ShipAddr",
)
"""The customer's name, email, phone and addresses: what invoices are addressed and sent to (and what the hub
matches on). They are HubSpot's (field_ownership) and the accounting team's to change in QuickBooks, never the
hub's: a wrong link would re-address another customer's invoices."""

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_QUICKBOOKS_NAME = re.compile(r"^[A-Za-z]+(\[[A-Za-z0-9]+\])?$")
_NESTED = {"stripe": "metadata", "intercom": "custom_attributes"}
"""Tools whose free-form fields are written as `container[key]`."""
TRANSFORMS = ("date",)
"""Suffixes a flow's source value may carry: `created_at|date` keeps the YYYY-MM-DD part."""


REQUIRED_ON_CREATE: dict[tuple[str, str], tuple[str, ...]] = {
    ("hubspot", "contacts"): ("email",),
    ("hubspot", "companies"): ("name", "domain"),
    ("stripe", "customers"): ("email", "name"),
    ("intercom", "contacts"): ("email",),
    ("quickbooks", "customers"): ("DisplayName",),
}
"""Tool fields a created record needs one of: what the tool (and a person) identifies it by. HubSpot and Intercom
keep contact emails unique, QuickBooks display names; a record without any of them could not be found again."""
_QUICKBOOKS_READ_ONLY = ("FullyQualifiedName",)


def field_problem(tool: str, name: str, creating: bool = False) -> str | None:
    """Why `name` is not a field the tool can be written with, or None. HubSpot takes property names; Stripe
    top-level customer fields or `metadata[key]`; Intercom contact attributes or `custom_attributes[key]`;
    QuickBooks the fields of QUICKBOOKS_FIELDS only, and its identity fields too when `creating` a customer (a new
    customer needs a name and an address; an existing one's are the accounting team's)."""
    if tool == "quickbooks":
        if name in QUICKBOOKS_FIELDS:
            return None
        if creating and _QUICKBOOKS_NAME.match(name) and name.split("[")[0] in QUICKBOOKS_IDENTITY:
            if name in _QUICKBOOKS_READ_ONLY:
                return f"{name!r} is set by QuickBooks itself"
            return None
        if name.split("[")[0] in QUICKBOOKS_IDENTITY:
            return (
                f"{name!r} is the QuickBooks customer's identity (name, email, phone, addresses: what invoices are "
                f"addressed and sent to); the hub does not write it. QuickBooks takes {list(QUICKBOOKS_FIELDS)}"
            )
        return f"{name!r} is not a QuickBooks customer field the hub writes; use one of {list(QUICKBOOKS_FIELDS)}"
    match = re.match(r"^(\w+)\[([^\[\]\"]{1,40})\]$", name)  # no quote: the key is read by JSON path
    if match:
        if _NESTED.get(tool) != match.group(1):
            allowed = f"{_NESTED[tool]}[key]" if tool in _NESTED else "plain property names"
            return f"{name!r} is not a {tool} field; {tool} takes {allowed}"
        return None
    return None if _PLAIN.match(name) else f"{name!r} is not a field name"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetSettings(_Strict):
    """Write-back into one tool object: golden field -> tool field, plus the golden id field. `upsert` also creates
    a record for each golden customer the tool has none of; nothing is ever deleted or mirrored."""

    enabled: bool = False
    mode: Literal["update", "upsert"] = Field(
        "update",
        description="update: linked records only; upsert: also create one for a golden customer the tool lacks",
    )
    golden_id_field: str | None = Field(None, description="tool field that receives the golden customer id")
    fields: dict[str, str] = Field(default_factory=dict, description="golden field -> tool field")
    null_policy: Literal["keep", "clear"] = Field("keep", description="keep: never overwrite a value with empty")
    create_fields: dict[str, str] = Field(
        default_factory=dict,
        description="upsert: golden field -> tool field a created record starts with (its name, email, ...)",
    )
    create_where: dict[str, str | float | bool] = Field(
        default_factory=dict, description="upsert: create only for golden customers whose field equals the value"
    )


class FlowSource(_Strict):
    tool: str
    object: str
    where: dict[str, str | float | bool] = Field(default_factory=dict, description="canonical field equals value")


class FlowTarget(_Strict):
    tool: str
    object: str
    by: str = Field("email", description="canonical field both records share (compared case-insensitively)")


class FlowSettings(_Strict):
    """'When a record like `when` lands, find the `find` record by `by` and set its fields': configuration only,
    planned, guarded and ledgered like every other write-back."""

    enabled: bool = False
    when: FlowSource
    find: FlowTarget
    set: dict[str, str] = Field(description="target tool field -> source canonical field (optionally `|date`)")
    latest_by: str = Field("created_at", description="source field picking the newest matching record")
    slack_channel: str | None = Field(None, description="post a summary of each applied run here")

    @field_validator("set")
    @classmethod
    def _transforms(cls, value: dict[str, str]) -> dict[str, str]:
        for target, source in value.items():
            _, _, transform = source.partition("|")
            if transform and transform not in TRANSFORMS:
                raise ValueError(f"set.{target}: unknown transform {transform!r}; use one of {list(TRANSFORMS)}")
        return value


class GuardSettings(_Strict):
    """A plan changing more records than either limit waits for approval (`customer-hub writeback approve`)."""

    max_share: float = Field(0.25, gt=0, le=1, description="share of a target's linked records")
    max_records: int = Field(1000, ge=1)


class WritebackSettings(_Strict):
    batch_size: int = Field(100, ge=1, le=100, description="records per batch request (HubSpot allows 100)")
    concurrency: int = Field(
        4, ge=1, le=10, description="requests in flight per tool (QuickBooks allows 10); pacing keeps them in limits"
    )
    approval: GuardSettings = GuardSettings()
    targets: dict[str, dict[str, TargetSettings]] = Field(default_factory=dict)
    flows: dict[str, FlowSettings] = Field(default_factory=dict)

    def enabled_targets(self) -> list[tuple[str, str, TargetSettings]]:
        return [
            (tool, obj, target)
            for tool, objects in sorted(self.targets.items())
            for obj, target in sorted(objects.items())
            if target.enabled
        ]

    def enabled_flows(self) -> dict[str, FlowSettings]:
        return {name: flow for name, flow in self.flows.items() if flow.enabled}

    def tools(self) -> list[str]:
        """Tools with anything enabled to write: each gets a `<tool>_writeback` asset."""
        wanted = {tool for tool, _, _ in self.enabled_targets()}
        wanted |= {flow.find.tool for flow in self.enabled_flows().values()}
        return sorted(wanted)

    def enable_all(self) -> WritebackSettings:
        """Every target and flow switched on: the sandbox demo's configuration."""
        targets = {
            tool: {obj: target.model_copy(update={"enabled": True}) for obj, target in objects.items()}
            for tool, objects in self.targets.items()
        }
        flows = {name: flow.model_copy(update={"enabled": True}) for name, flow in self.flows.items()}
        return self.model_copy(update={"targets": targets, "flows": flows})


def _owners(field_ownership: Mapping[str, str | list[str]], field: str) -> list[str]:
    owners = field_ownership.get(field, [])
    return [owners] if isinstance(owners, str) else list(owners)


def problems(settings: WritebackSettings, field_ownership: Mapping[str, str | list[str]]) -> list[str]:
    """Every key of the section that cannot work, each with its fix: unknown targets, bad field names, a field
    written into its owning tool, two writers of one tool field."""
    found: list[str] = []
    written: dict[tuple[str, str, str], str] = {}

    def claim(tool: str, obj: str, name: str, key: str, checked: bool = False) -> None:
        problem = None if checked else field_problem(tool, name)
        if problem:
            found.append(f"writeback.{key}: {problem}")
        elif (tool, obj, name) in written:
            found.append(
                f"writeback.{key}: {tool} {obj} field {name!r} is already written by {written[tool, obj, name]}"
            )
        written[tool, obj, name] = f"writeback.{key}"

    for tool, objects in settings.targets.items():
        for obj, target in objects.items():
            if obj not in WRITABLE.get(tool, ()):
                found.append(f"writeback.targets.{tool}.{obj}: cannot write there; writable: {WRITABLE}")
                continue
            found += _upsert_problems(tool, obj, target)
            if target.golden_id_field:
                claim(tool, obj, target.golden_id_field, f"targets.{tool}.{obj}.golden_id_field")
            for golden_field, tool_field in target.create_fields.items():
                key = f"targets.{tool}.{obj}.create_fields.{golden_field}"
                problem = field_problem(tool, tool_field, creating=True)
                if problem:
                    found.append(f"writeback.{key}: {problem}")
                else:
                    claim(tool, obj, tool_field, key, checked=True)
            for golden_field, tool_field in target.fields.items():
                key = f"targets.{tool}.{obj}.fields.{golden_field}"
                if tool in _owners(field_ownership, golden_field):
                    found.append(
                        f"writeback.{key}: {tool} owns {golden_field!r} (field_ownership), so the hub never writes it "
                        f"back there; remove the mapping or change field_ownership.{golden_field}"
                    )
                    continue
                claim(tool, obj, tool_field, key)
    for name, flow in settings.flows.items():
        if flow.find.object not in WRITABLE.get(flow.find.tool, ()):
            found.append(f"writeback.flows.{name}.find: cannot write to {flow.find.tool} {flow.find.object}")
            continue
        for tool_field in flow.set:
            claim(flow.find.tool, flow.find.object, tool_field, f"flows.{name}.set.{tool_field}")
    return found


def _upsert_problems(tool: str, obj: str, target: TargetSettings) -> list[str]:
    """An upsert target must stamp created records with the golden id (how a lost create is found again and the
    next sync links the record) and give them what the tool identifies them by; create settings need upsert."""
    key = f"writeback.targets.{tool}.{obj}"
    if target.mode != "upsert":
        unused = [name for name in ("create_fields", "create_where") if getattr(target, name)]
        return [f"{key}.{name}: only used with mode: upsert (mode is {target.mode})" for name in unused]
    found = []
    if not target.golden_id_field:
        found.append(f"{key}: mode upsert needs golden_id_field: created records carry the golden customer id")
    required = REQUIRED_ON_CREATE[(tool, obj)]
    if not set(required) & set(target.create_fields.values()):
        found.append(
            f"{key}.create_fields: mode upsert needs one of {list(required)} mapped (what {tool} identifies a new "
            f"{obj} record by), e.g. create_fields: {{email: {required[0]}}}"
        )
    return found


def writeback_settings(section: Mapping | None) -> WritebackSettings:
    """The validated section (`{}`: nothing is written anywhere)."""
    return WritebackSettings.model_validate(section or {})
