"""In-memory stand-ins for the three tools the onboarding flow writes to, with the vendors' idempotency rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


class FakeHubSpot:
    def __init__(self) -> None:
        self.deals: dict[str, dict[str, Any]] = {}
        self.companies: dict[str, dict[str, Any]] = {}

    def add_deal(
        self, deal_id: str, *, stage: str = "closedwon", amount: str | None = "12000", company: str | None = "Acme Corp"
    ) -> None:
        associations = {"companies": {"results": []}, "contacts": {"results": []}}
        if company:
            company_id = f"c{deal_id}"
            self.companies[company_id] = {"id": company_id, "properties": {"name": company, "domain": "acme.test"}}
            associations["companies"]["results"].append({"id": company_id, "type": "deal_to_company"})
        self.deals[deal_id] = {
            "id": deal_id,
            "properties": {
                "dealname": f"{company or 'Someone'} - annual",
                "amount": amount,
                "dealstage": stage,
                "hs_lastmodifieddate": datetime.now(UTC).isoformat(),
            },
            "associations": associations,
        }

    def get_deal(self, deal_id: str) -> dict[str, Any]:
        return self.deals[deal_id]

    def get_company(self, company_id: str) -> dict[str, Any]:
        return self.companies[company_id]


class FakeAsana:
    """No idempotency key, like Asana: a second instantiate makes a second project."""

    def __init__(self) -> None:
        self.projects: list[dict[str, Any]] = []
        self.instantiations = 0

    def find_project(self, name_or_marker: str) -> dict[str, Any] | None:
        return next((p for p in self.projects if name_or_marker.casefold() in p["name"].casefold()), None)

    def instantiate_template(self, template_gid: str, name: str, team_gid: str | None = None) -> dict[str, Any]:
        self.instantiations += 1
        project = {"gid": str(1300 + len(self.projects)), "name": name, "template": template_gid, "team": team_gid}
        self.projects.append(project)
        return project


class FakeQuickBooks:
    """`requestid` makes creates idempotent, like QuickBooks: the same id returns the first result."""

    def __init__(self) -> None:
        self.customers: list[dict[str, Any]] = []
        self.invoices: list[dict[str, Any]] = []
        self.by_request: dict[str, dict[str, Any]] = {}
        self.fail_invoice_creates = 0
        self.lose_invoice_responses = 0

    def find_invoice(self, doc_number: str) -> dict[str, Any] | None:
        return next((i for i in self.invoices if i.get("DocNumber") == doc_number), None)

    def find_customer_by_name(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.customers if c["DisplayName"] == name), None)

    def create_customer(self, display_name: str, email: str | None, request_id: str) -> dict[str, Any]:
        if request_id not in self.by_request:
            customer = {"Id": str(500 + len(self.customers)), "DisplayName": display_name}
            self.customers.append(customer)
            self.by_request[request_id] = customer
        return self.by_request[request_id]

    def create_invoice(
        self, customer_id: str, amount: float, description: str, request_id: str, doc_number: str | None = None
    ) -> dict[str, Any]:
        if self.fail_invoice_creates:
            self.fail_invoice_creates -= 1
            raise ConnectionError("quickbooks: POST /invoice failed (HTTP 503)")
        if request_id not in self.by_request:
            invoice = {
                "Id": str(900 + len(self.invoices)),
                "CustomerRef": {"value": customer_id},
                "TotalAmt": amount,
                "DocNumber": doc_number,
                "Line": [{"Description": description, "Amount": amount}],
            }
            self.invoices.append(invoice)
            self.by_request[request_id] = invoice
        if self.lose_invoice_responses:
            self.lose_invoice_responses -= 1
            raise TimeoutError("quickbooks: POST /invoice timed out (the invoice was created)")
        return self.by_request[request_id]
