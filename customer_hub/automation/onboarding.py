"""The closed-won onboarding flow: an Asana project from the template, a QuickBooks draft invoice, a fresh MRR.

Every write is idempotent, so the flow can be re-run any number of times and leaves one project and one invoice:
- Asana has no idempotency key, so the project name carries the deal id (`[deal <id>]`) and the flow looks for
  it before instantiating the template;
- QuickBooks creates are keyed by a `requestid` derived from the deal id (a retry of a lost response returns the
  first invoice), and the invoice's DocNumber is derived from the deal id too, so a later run finds it by query;
- whatever a step created is recorded in `onboarding_flows` at once, and later attempts skip recorded steps;
- before a step writes to a tool it claims the deal in the hub store (`onboarding_store.claim`, compare-and-set
  with a lease), so two attempts starting at once (a retry beside the sensor's run) cannot both find nothing and
  both create: the other waits for the claim, then finds the recorded result and writes nothing.

Pure Python: the connectors are passed in, so tests use the sandbox or fakes and Dagster is only the shell.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine

from customer_hub.automation.closed_won import deal_amount, deal_modified_at
from customer_hub.automation.settings import OnboardingSettings
from customer_hub.spokes.asana import deal_marker, onboarding_project_name
from customer_hub.store import onboarding_store
from customer_hub.store.health import health_logged, safe_error_text

T = TypeVar("T")
CLOSED_WON_STAGE = "closedwon"
_REQUEST_NAMESPACE = uuid.UUID("6f1f0c8e-3a57-4b8e-9a43-0c5d3c9b1e27")
"""Fixed namespace for request ids: the same deal gives the same QuickBooks requestid in every process, forever."""
DOC_NUMBER_LIMIT = 21
"""QuickBooks' DocNumber is at most 21 characters."""
CLAIM_LEASE = timedelta(minutes=10)
"""A claim lapses this long after it was taken, so a killed attempt cannot hold its deal for ever; far longer than
one step takes (a template instantiation, an invoice create)."""


class DealSource(Protocol):
    def get_deal(self, deal_id: str) -> dict[str, Any]: ...
    def get_company(self, company_id: str) -> dict[str, Any]: ...


class ProjectTool(Protocol):
    def find_project(self, name_or_marker: str) -> dict[str, Any] | None: ...
    def instantiate_template(self, template_gid: str, name: str, team_gid: str | None = None) -> dict[str, Any]: ...


class InvoiceTool(Protocol):
    def find_invoice(self, doc_number: str) -> dict[str, Any] | None: ...
    def find_customer_by_name(self, name: str) -> dict[str, Any] | None: ...
    def create_customer(self, display_name: str, email: str | None, request_id: str) -> dict[str, Any]: ...
    def create_invoice(
        self, customer_id: str, amount: float, description: str, request_id: str, doc_number: str | None = None
    ) -> dict[str, Any]: ...


CustomerRefresh = Callable[["OnboardingDeal"], datetime | None]
"""Refreshes the deal's customer in customer_360; returns when, or None when the hub does not know it yet."""


class OnboardingError(RuntimeError):
    """The deal cannot be onboarded as it stands; the message says what to fix in which tool."""


@dataclass(frozen=True)
class OnboardingDeal:
    """What the flow needs to know about a closed-won deal, read from HubSpot once per attempt."""

    deal_id: str
    name: str
    amount: float
    company_id: str | None
    company_name: str
    company_domain: str | None
    closed_at: datetime | None


@dataclass(frozen=True)
class OnboardingBatch:
    """The deals one onboarding run carries from step to step.

    A run the sensor (or a person) starts for a deal holds that deal; a run without a deal id, such as the UI's
    "Materialize all", holds every deal the hub store has detected and not yet onboarded."""

    deals: tuple[OnboardingDeal, ...] = ()


def for_each_deal(items: Iterable[T], step: Callable[[T], Any], deal_id: Callable[[T], str]) -> list[Any]:
    """`step` applied to every item; raises after trying them all, so one deal's failing tool does not hold back
    the others' step. A single failure is re-raised as is (its tool's error is what the run alert shows)."""
    results, errors = [], []
    for item in items:
        try:
            results.append(step(item))
        except Exception as error:
            errors.append((deal_id(item), error))
    if len(errors) == 1:
        raise errors[0][1]
    if errors:
        raise OnboardingError(
            f"{len(errors)} deals failed (each flow row records its error; re-running completes only what is "
            "missing): " + "; ".join(f"deal {deal}: {safe_error_text(error)}" for deal, error in errors)
        ) from errors[0][1]
    return results


def request_id(kind: str, deal_id: str) -> str:
    """The QuickBooks requestid of one create for one deal: stable across retries, processes and restarts."""
    return str(uuid.uuid5(_REQUEST_NAMESPACE, f"onboarding:{kind}:{deal_id}"))


def invoice_doc_number(deal_id: str) -> str:
    """The invoice number that ties a QuickBooks invoice to its HubSpot deal (found again by query)."""
    return f"HS-{deal_id}"[:DOC_NUMBER_LIMIT]


def _needed(tool: Any, name: str) -> Any:
    if tool is None:
        raise ValueError(f"this onboarding step needs the {name} connector, and none was given")
    return tool


def _company_of(deal: dict[str, Any]) -> str | None:
    items = ((deal.get("associations") or {}).get("companies") or {}).get("results") or []
    ids = [str(item["id"]) for item in items if isinstance(item, dict) and item.get("id")]
    return ids[0] if ids else None


def read_deal(hubspot: DealSource, deal_id: str, closed_at: datetime | None = None) -> OnboardingDeal:
    """The deal and its company from HubSpot; refuses deals that are not closed-won or have no amount."""
    deal = hubspot.get_deal(deal_id)
    properties = deal.get("properties") or {}
    if properties.get("dealstage") != CLOSED_WON_STAGE:
        raise OnboardingError(
            f"HubSpot deal {deal_id} is in stage {properties.get('dealstage')!r}, not closed-won: nothing to onboard"
        )
    amount = deal_amount(deal)
    if amount is None or amount <= 0:
        raise OnboardingError(
            f"HubSpot deal {deal_id} has no positive amount; set the amount in HubSpot and re-run the onboarding job"
        )
    name = str(properties.get("dealname") or f"Deal {deal_id}").strip()
    company_id = _company_of(deal)
    company_name, domain = None, None
    if company_id:
        company = (hubspot.get_company(company_id).get("properties")) or {}
        company_name = (company.get("name") or "").strip() or None
        domain = (company.get("domain") or "").strip() or None
    return OnboardingDeal(
        deal_id=str(deal_id),
        name=name,
        amount=round(amount, 2),
        company_id=company_id,
        company_name=company_name or name,
        company_domain=domain,
        closed_at=closed_at or deal_modified_at(deal),
    )


@dataclass
class OnboardingFlow:
    """One deal's flow against real (or sandbox) tools; each step can run on its own, in order, any number of times.

    A step needs only its own tool (`None` for the others), so one tool's missing credentials never stop another
    tool's step. `trigger` and `run_id` go to the integration health log, one row per step, failures included.
    """

    engine: Engine
    hubspot: DealSource | None
    asana: ProjectTool | None
    quickbooks: InvoiceTool | None
    settings: OnboardingSettings
    refresh_customer: CustomerRefresh
    team_gid: str | None = None
    trigger: str = "manual"
    run_id: str | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    claim_wait_seconds: float = 120.0
    """How long an attempt waits for another attempt's claim on the deal before it stops, writing nothing."""
    claim_poll_seconds: float = 0.2
    owner: str = field(default_factory=lambda: f"process-{uuid.uuid4().hex[:12]}")
    """Who claims the deal: the Dagster run id when there is one (its steps share the claim), else this flow."""

    def __post_init__(self) -> None:
        if self.run_id:
            self.owner = self.run_id

    @contextmanager
    def _claimed(self, deal_id: str) -> Iterator[None]:
        """Hold the deal's claim for one writing step, waiting while another attempt holds it."""
        deadline = time.monotonic() + self.claim_wait_seconds
        while holder := onboarding_store.claim(self.engine, deal_id, self.owner, self.clock(), CLAIM_LEASE):
            if time.monotonic() >= deadline:
                raise OnboardingError(
                    f"deal {deal_id} is being onboarded by {holder}; this attempt stopped without writing to any "
                    f"tool: re-run it once that attempt ends (a claim lapses after {CLAIM_LEASE})"
                )
            time.sleep(self.claim_poll_seconds)
        try:
            yield
        finally:
            onboarding_store.release(self.engine, deal_id, self.owner)

    @contextmanager
    def _step(self, deal_id: str, step: str, tool: str | None) -> Iterator[Any]:
        """Health-log the step; on failure record the error on the flow (created objects stay) and re-raise."""
        try:
            with health_logged(self.engine, f"onboarding.{step}", self.trigger, tool=tool, run_id=self.run_id) as entry:
                yield entry
        except Exception as error:
            onboarding_store.record_failure(self.engine, deal_id, f"{step}: {safe_error_text(error)}")
            raise

    def begin(
        self, deal_id: str, *, detected_at: datetime | None = None, closed_at: datetime | None = None
    ) -> OnboardingDeal:
        """Open an attempt and read the deal; returns the `OnboardingDeal` the other steps take."""
        deal_id = str(deal_id)
        onboarding_store.start_attempt(
            self.engine, deal_id, detected_at=detected_at or self.clock(), deal_closed_at=closed_at
        )
        with self._step(deal_id, "read_deal", "hubspot") as entry:
            deal = read_deal(_needed(self.hubspot, "hubspot"), deal_id, closed_at)
            entry.records_in = 1
        onboarding_store.record_deal(
            self.engine, deal_id, deal_name=deal.name, amount=deal.amount, deal_closed_at=deal.closed_at
        )
        return deal

    def ensure_project(self, deal: OnboardingDeal) -> str:
        """The deal's Asana project: the recorded one, else one found by its deal marker, else a new one."""
        recorded = (onboarding_store.read_flow(self.engine, deal.deal_id) or {}).get("asana_project_gid")
        if recorded:
            return recorded
        template = self.settings.asana_template_gid
        with self._claimed(deal.deal_id), self._step(deal.deal_id, "asana_project", "asana") as entry:
            recorded = (onboarding_store.read_flow(self.engine, deal.deal_id) or {}).get("asana_project_gid")
            if recorded:  # another attempt created it while this one waited for the claim
                return recorded
            if not template:
                raise OnboardingError("automation.onboarding.asana_template_gid is not set in hub.yaml")
            asana = _needed(self.asana, "asana")
            project = asana.find_project(deal_marker(deal.deal_id))
            if project is None:
                name = onboarding_project_name(deal.company_name, deal.deal_id)
                project = asana.instantiate_template(template, name, self.settings.asana_team_gid or self.team_gid)
                entry.records_out = 1
            gid = str(project["gid"])
            onboarding_store.record_project(self.engine, deal.deal_id, gid, self.clock())
        return gid

    def ensure_invoice(self, deal: OnboardingDeal) -> str:
        """The deal's QuickBooks draft invoice: recorded, else found by its DocNumber, else created idempotently."""
        recorded = (onboarding_store.read_flow(self.engine, deal.deal_id) or {}).get("quickbooks_invoice_id")
        if recorded:
            return recorded
        doc_number = invoice_doc_number(deal.deal_id)
        with self._claimed(deal.deal_id), self._step(deal.deal_id, "quickbooks_invoice", "quickbooks") as entry:
            recorded = (onboarding_store.read_flow(self.engine, deal.deal_id) or {}).get("quickbooks_invoice_id")
            if recorded:  # another attempt drafted it while this one waited for the claim
                return recorded
            quickbooks = _needed(self.quickbooks, "quickbooks")
            invoice = quickbooks.find_invoice(doc_number)
            if invoice is None:
                customer = quickbooks.find_customer_by_name(deal.company_name) or quickbooks.create_customer(
                    deal.company_name, None, request_id("customer", deal.deal_id)
                )
                description = self.settings.quickbooks_description.format(deal_name=deal.name, deal_id=deal.deal_id)
                invoice = quickbooks.create_invoice(
                    str(customer["Id"]), deal.amount, description, request_id("invoice", deal.deal_id), doc_number
                )
                entry.records_out = 1
            invoice_id = str(invoice["Id"])
            onboarding_store.record_invoice(self.engine, deal.deal_id, invoice_id, self.clock())
        return invoice_id

    def finish(self, deal: OnboardingDeal) -> dict[str, Any]:
        """Refresh the customer's MRR in customer_360 and close the flow; returns the final flow row."""
        with self._step(deal.deal_id, "customer_360", None):
            refreshed_at = self.refresh_customer(deal)
        return onboarding_store.record_done(self.engine, deal.deal_id, refreshed_at)

    def run(
        self, deal_id: str, *, detected_at: datetime | None = None, closed_at: datetime | None = None
    ) -> dict[str, Any]:
        """Every step in order; what an earlier attempt completed is skipped."""
        deal = self.begin(deal_id, detected_at=detected_at, closed_at=closed_at)
        self.ensure_project(deal)
        self.ensure_invoice(deal)
        return self.finish(deal)
