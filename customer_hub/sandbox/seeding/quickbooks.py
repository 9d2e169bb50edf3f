"""QuickBooks Online: the customers accounting invoices, and those invoices.

Accounting keys customers by a unique DisplayName, bills the role mailbox, and also invoices "offline" customers
that no other tool has heard of: their invoices are the unmatched ones. Some companies have a sub-customer (a job:
`Job`, `ParentRef`, 'Parent:Job' in `FullyQualifiedName`) with invoices of its own, as QuickBooks keeps projects
and offices invoiced apart.
"""

import random

from customer_hub.sandbox.clock import BASE_TIME, iso_date, qbo_time
from customer_hub.sandbox.messiness import company_name_variant, phone_format
from customer_hub.sandbox.seeding.common import IdSequence, Seeded, moment_after
from customer_hub.sandbox.store import Record
from customer_hub.sandbox.vocabulary import INVOICE_NOTES, JOB_NAMES, PLANS, ROLE_MAILBOXES
from customer_hub.sandbox.world import BILLED, OFFLINE, Customer, World

USD = {"value": "USD", "name": "United States Dollar"}
SERVICES_ITEM = {"value": "1", "name": "Services"}
PRIVATE_NOTE_SHARE = 0.15
"""Invoices a bookkeeper annotated (PO numbers, terms): the field is then part of the stream's usual schema, so a
live change that writes a note is a value change, not schema drift."""
JOB_SHARE = 0.08
"""Company customers in QuickBooks with a sub-customer (job) of their own."""


def bill_address(customer_id: str, customer: Customer) -> Record:
    """A customer's billing address in QuickBooks' PhysicalAddress shape."""
    city, region, postal, country = customer.city[:4]
    address = {
        "Id": str(int(customer_id) + 1000),
        "Line1": customer.street,
        "City": city,
        "Country": country,
        "PostalCode": postal,
    }
    if region:
        address["CountrySubDivisionCode"] = region
    return address


def new_customer(
    customer_id: str,
    display_name: str,
    company_name: str | None,
    given: str | None,
    family: str | None,
    email: str | None,
    phone: str | None,
    address: Record | None,
    created: int,
    updated: int,
) -> Record:
    """A QuickBooks Customer entity as the JSON API returns it."""
    record: Record = {
        "Taxable": False,
        "Job": False,
        "BillWithParent": False,
        "Balance": 0.0,
        "BalanceWithJobs": 0.0,
        "CurrencyRef": dict(USD),
        "PreferredDeliveryMethod": "Email",
        "IsProject": False,
        "domain": "QBO",
        "sparse": False,
        "Id": customer_id,
        "SyncToken": "0",
        "MetaData": {"CreateTime": qbo_time(created), "LastUpdatedTime": qbo_time(updated)},
        "FullyQualifiedName": display_name,
        "DisplayName": display_name,
        "PrintOnCheckName": company_name or display_name,
        "Active": True,
    }
    if address:
        record["BillAddr"] = address
    if given:
        record["GivenName"] = given
    if family:
        record["FamilyName"] = family
    if company_name:
        record["CompanyName"] = company_name
    if phone:
        record["PrimaryPhone"] = {"FreeFormNumber": phone}
    if email:
        record["PrimaryEmailAddr"] = {"Address": email}
    return record


def new_invoice(
    invoice_id: str,
    doc_number: str,
    customer: Record,
    lines: list[tuple[str, float]],
    txn_date: str,
    due_date: str,
    balance: float,
    created: int,
    updated: int,
    private_note: str | None = None,
) -> Record:
    """A QuickBooks Invoice entity with sales-item lines and the subtotal line QuickBooks appends."""
    total = round(sum(amount for _, amount in lines), 2)
    line_items = [
        {
            "Id": str(number),
            "LineNum": number,
            "Description": description,
            "Amount": amount,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {
                "ItemRef": dict(SERVICES_ITEM),
                "UnitPrice": amount,
                "Qty": 1,
                "TaxCodeRef": {"value": "NON"},
            },
        }
        for number, (description, amount) in enumerate(lines, start=1)
    ]
    line_items.append({"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    record: Record = {
        "AllowIPNPayment": False,
        "AllowOnlinePayment": False,
        "AllowOnlineCreditCardPayment": False,
        "AllowOnlineACHPayment": False,
        "domain": "QBO",
        "sparse": False,
        "Id": invoice_id,
        "SyncToken": "0",
        "MetaData": {"CreateTime": qbo_time(created), "LastUpdatedTime": qbo_time(updated)},
        "CustomField": [],
        "DocNumber": doc_number,
        "TxnDate": txn_date,
        "CurrencyRef": dict(USD),
        "LinkedTxn": [],
        "Line": line_items,
        "TxnTaxDetail": {"TotalTax": 0},
        "CustomerRef": {"value": customer["Id"], "name": customer["DisplayName"]},
        "DueDate": due_date,
        "TotalAmt": total,
        "ApplyTaxAfterDiscount": False,
        "PrintStatus": "NotSet",
        "EmailStatus": "NotSet",
        "Balance": balance,
    }
    if "PrimaryEmailAddr" in customer:
        record["BillEmail"] = dict(customer["PrimaryEmailAddr"])
    if "BillAddr" in customer:
        record["BillAddr"] = dict(customer["BillAddr"])
    if private_note:
        record["PrivateNote"] = private_note
    return record


def unique_display_name(name: str, used: set[str]) -> str:
    """QuickBooks refuses duplicate display names, so bookkeepers add a counter."""
    candidate, counter = name, 2
    while candidate.lower() in used:
        candidate = f"{name} ({counter})"
        counter += 1
    used.add(candidate.lower())
    return candidate


class _QuickBooksSeeder:
    def __init__(self, seeded: Seeded, seed: int) -> None:
        self.seeded = seeded
        self.rng = random.Random(f"{seed}:quickbooks")
        # Notes draw from their own generator so adding them left every other seeded value as it was.
        self.notes_rng = random.Random(f"{seed}:quickbooks:notes")
        self.customer_ids = IdSequence(self.rng, 1, 1)
        self.invoice_ids = IdSequence(self.rng, 130, 2)
        self.doc_numbers = IdSequence(self.rng, 1001, 1)
        seeded.sequences.update(
            {
                ("quickbooks", "customers"): self.customer_ids,
                ("quickbooks", "invoices"): self.invoice_ids,
                ("quickbooks", "doc_numbers"): self.doc_numbers,
            }
        )
        self.used_names: set[str] = set()
        self.created: dict[str, int] = {}
        """When each customer record was created (epoch seconds), by id."""
        self.companies: list[tuple[Customer, Record, int]] = []
        """Company customers, their QuickBooks record and when it was created, for the jobs opened under some."""
        self.customers = seeded.stream("quickbooks", "customers", numeric_ids=True)
        self.invoices = seeded.stream("quickbooks", "invoices", numeric_ids=True)

    def customer(self, customer: Customer, display: str, email: str | None) -> Record:
        rng = self.rng
        person = customer.people[0]
        created = moment_after(rng, customer.since, 60)
        customer_id = self.customer_ids.next()
        company = display if customer.is_company else None
        phone = phone_format(rng, customer.phone) if rng.random() < 0.6 else None
        given, family = (person.first_name, person.last_name) if rng.random() < 0.7 else (None, None)
        record = new_customer(
            customer_id,
            unique_display_name(display, self.used_names),
            company,
            given,
            family,
            email,
            phone,
            bill_address(customer_id, customer),
            created,
            created,
        )
        self.customers.add(customer_id, record, created * 1000)
        self.seeded.truth.add("quickbooks", "customers", customer_id, customer.key)
        self.created[customer_id] = created
        return record

    def invoices_for(self, customer: Customer, record: Record, count: int) -> None:
        rng = self.rng
        name, cents = PLANS[customer.plan]
        start = moment_after(rng, customer.since, 30)
        for index in range(count):
            issued = start + index * rng.randrange(25, 95) * 86400
            if issued > BASE_TIME - 86400:
                break
            amount = round(cents * customer.seats * rng.choice((1, 3, 12)) / 100, 2)
            lines = [(f"{name} subscription", amount)]
            if rng.random() < 0.15:
                lines.append(("Implementation services", float(rng.choice((1500, 2500, 4000)))))
            self._invoice(customer, record, lines, issued)

    def _invoice(self, customer: Customer, record: Record, lines: list[tuple[str, float]], issued: int) -> None:
        rng = self.rng
        invoice_id = self.invoice_ids.next()
        due = issued + 30 * 86400
        total = round(sum(amount for _, amount in lines), 2)
        overdue_open = due < BASE_TIME and rng.random() < 0.12
        balance = total if (due >= BASE_TIME and rng.random() < 0.6) or overdue_open else 0.0
        updated = moment_after(rng, issued, 40) if balance == 0.0 else issued
        invoice = new_invoice(
            invoice_id,
            self.doc_numbers.next(),
            record,
            lines,
            iso_date(issued),
            iso_date(due),
            balance,
            issued,
            updated,
            self._private_note(),
        )
        self.invoices.add(invoice_id, invoice, updated * 1000)
        self.seeded.truth.add("quickbooks", "invoices", invoice_id, customer.key)
        record["Balance"] = round(record["Balance"] + balance, 2)
        record["BalanceWithJobs"] = record["Balance"]

    def _private_note(self) -> str | None:
        rng = self.notes_rng
        if rng.random() >= PRIVATE_NOTE_SHARE:
            return None
        return rng.choice(INVOICE_NOTES).format(po=rng.randrange(4500000000, 4600000000))

    def billed_customer(self, customer: Customer) -> None:
        rng = self.rng
        person = customer.people[0]
        if customer.is_company:
            display = company_name_variant(rng, customer.stem, customer.suffix)
            email = f"{rng.choice(ROLE_MAILBOXES)}@{customer.domain}" if rng.random() < 0.55 else person.email
        else:
            display = person.full_name if rng.random() < 0.9 else f"{person.last_name}, {person.first_name}"
            email = person.email
        if rng.random() < 0.05:
            email = None
        record = self.customer(customer, display, email)
        self.invoices_for(customer, record, rng.randint(2, 7))
        if customer.is_company:
            self.companies.append((customer, record, self.created[record["Id"]]))
        if rng.random() < 0.04:
            duplicate = self.customer(
                customer,
                company_name_variant(rng, customer.stem, customer.suffix) if customer.is_company else person.full_name,
                email,
            )
            self.invoices_for(customer, duplicate, 1)

    def jobs(self, seed: int) -> None:
        """A sub-customer under some companies, invoiced apart. Drawn from generators of their own and after every
        other record, so adding jobs left every other seeded value and id as it was."""
        rng = random.Random(f"{seed}:quickbooks:jobs")
        for customer, parent, parent_created in self.companies:
            if rng.random() >= JOB_SHARE:
                continue
            created = moment_after(rng, parent_created, 30)  # opened under a customer QuickBooks already holds
            job_id = self.customer_ids.next()
            display = unique_display_name(rng.choice(JOB_NAMES), self.used_names)
            job = new_customer(job_id, display, None, None, None, None, None, parent.get("BillAddr"), created,
                               created)  # fmt: skip
            job.update(
                Job=True,
                Level=1,
                BillWithParent=rng.random() < 0.5,
                ParentRef={"value": parent["Id"], "name": parent["DisplayName"]},
                FullyQualifiedName=f"{parent['DisplayName']}:{display}",
            )
            self.customers.add(job_id, job, created * 1000)
            self.seeded.truth.add("quickbooks", "customers", job_id, customer.key)
            self.invoices_for(customer, job, rng.randint(1, 3))
            parent["BalanceWithJobs"] = round(parent["Balance"] + job["Balance"], 2)

    def acme(self, acme: Customer) -> None:
        """Accounting knows only one of Acme's two Stripe customers: the one billed at billing@acme.com."""
        record = self.customer(acme, "Acme Corp", "billing@acme.com")
        for months_ago in (3, 2, 1):
            issued = BASE_TIME - months_ago * 30 * 86400
            self._invoice(acme, record, [("Hub Pro subscription (25 seats)", 4975.0)], issued)


def seed_quickbooks(seeded: Seeded, world: World, seed: int) -> None:
    """Customers (~700) and invoices (~2,500) per 2,000 customers."""
    seeder = _QuickBooksSeeder(seeded, seed)
    seeder.acme(world.acme)
    for customer in world.customers[1:]:
        chance = (
            1.0
            if customer.status == OFFLINE
            else ((0.72 if customer.is_company else 0.2) if customer.status in BILLED else 0.0)
        )
        if seeder.rng.random() < chance:
            seeder.billed_customer(customer)
    seeder.jobs(seed)
