"""QuickBooks spend: the vendors the company pays, and its purchases (card expenses) and bills from them.

What a shadow-IT scan has to tell apart: the tools in the inventory (one billed above its configured cost), SaaS
nobody listed (monthly and annual, one under a misspelt name, one no catalogue knows but booked as software, one
cancelled months ago), and spend that recurs but is no SaaS (rent, cleaning) or does not recur (travel, laptops,
legal work, card fees that vary every month). The amounts and dates are fixed per seed, not scaled: a company of
any customer count pays for about the same tools.
"""

import random
from dataclasses import dataclass

from customer_hub.sandbox.clock import BASE_TIME, iso_date, qbo_time
from customer_hub.sandbox.seeding.common import IdSequence, Seeded
from customer_hub.sandbox.store import Record

USD = {"value": "USD", "name": "United States Dollar"}
CARD_ACCOUNT = {"value": "41", "name": "Company credit card"}
PAYABLES_ACCOUNT = {"value": "33", "name": "Accounts Payable (A/P)"}
ACCOUNTS = {
    "software": {"value": "71", "name": "Software & subscriptions"},
    "rent": {"value": "72", "name": "Rent & lease"},
    "travel": {"value": "73", "name": "Travel"},
    "supplies": {"value": "74", "name": "Office supplies"},
    "equipment": {"value": "75", "name": "Computers & equipment"},
    "legal": {"value": "76", "name": "Legal & professional services"},
    "fees": {"value": "77", "name": "Bank fees & service charges"},
    "cleaning": {"value": "78", "name": "Repairs & maintenance"},
}
MONTH = 30.44 * 86400
YEAR = 365 * 86400


@dataclass(frozen=True)
class Payee:
    """A vendor and how the company pays it: `every` months apart (0: irregular), `months` of history."""

    display: str
    company: str | None
    web: str | None
    email: str | None
    account: str
    amount: float
    every: int
    months: int = 14
    ended_months_ago: int = 0
    by_bill: bool = False
    raise_to: float | None = None
    """The amount of the last five charges (seats added), when it changed."""
    varies: float = 0.0
    """Share by which each charge varies (usage-based fees); 0 for a fixed price."""


PAYEES = (
    # in the inventory (hub.yaml systems): Intercom now costs more than its configured 400 a month
    Payee("HubSpot Inc.", "HubSpot, Inc.", "https://www.hubspot.com", None, "software", 800.0, 1),
    Payee("Intercom R&D Unlimited Company", None, None, "billing@intercom.io", "software", 400.0, 1, raise_to=520.0),
    Payee("Intuit QuickBooks", "Intuit Inc.", "https://quickbooks.intuit.com", None, "software", 90.0, 1),
    Payee("Asana, Inc.", "Asana, Inc.", "https://asana.com", None, "software", 3000.0, 12, by_bill=True),
    Payee("Stripe", "Stripe, Inc.", "https://stripe.com", None, "fees", 260.0, 1, varies=0.45),
    # SaaS nobody put in the inventory
    Payee("Zoom Video Communications Inc.", None, "https://zoom.us", None, "software", 149.9, 1),
    Payee("Notion Labs, Inc.", None, None, "billing@makenotion.com", "software", 1920.0, 12, by_bill=True),
    Payee("Figma", "Figma, Inc.", None, None, "software", 1800.0, 12),
    Payee("Calendy LLC", None, None, None, "software", 48.0, 1),  # misspelt by whoever set the vendor up
    Payee("Pitchwise Analytics", None, None, None, "software", 79.0, 1),  # no catalogue knows it
    Payee("Loom Inc", None, "https://www.loom.com", None, "software", 62.5, 1, ended_months_ago=5),
    Payee("Slack Technologies", None, "https://slack.com", None, "software", 437.5, 1),
    # recurring, but no SaaS; and spend that does not recur
    Payee("WeWork", "WeWork Companies LLC", "https://www.wework.com", None, "rent", 2400.0, 1),
    Payee("Sparkle Office Cleaning", None, None, None, "cleaning", 300.0, 1),
    Payee("Dell Technologies", None, "https://www.dell.com", None, "equipment", 1849.0, 0),
    Payee("Delta Air Lines", None, None, None, "travel", 412.0, 0),
    Payee("Office Depot", None, None, None, "supplies", 86.0, 0),
    Payee("Baker & Lane LLP", None, None, "accounts@bakerlane.example", "legal", 4200.0, 0, by_bill=True),
)
IRREGULAR_CHARGES = {"Dell Technologies": 2, "Delta Air Lines": 4, "Office Depot": 6, "Baker & Lane LLP": 1}


def new_vendor(vendor_id: str, payee: Payee, created: int, phone: str) -> Record:
    """A QuickBooks Vendor entity as the JSON API returns it."""
    record: Record = {
        "domain": "QBO",
        "sparse": False,
        "Id": vendor_id,
        "SyncToken": "0",
        "MetaData": {"CreateTime": qbo_time(created), "LastUpdatedTime": qbo_time(created)},
        "DisplayName": payee.display,
        "PrintOnCheckName": payee.company or payee.display,
        "Active": True,
        "PrimaryPhone": {"FreeFormNumber": phone},
        "Vendor1099": False,
        "Balance": 0.0,
        "CurrencyRef": dict(USD),
        "AcctNum": f"AC-{vendor_id}",
    }
    if payee.company:
        record["CompanyName"] = payee.company
    if payee.web:
        record["WebAddr"] = {"URI": payee.web}
    if payee.email:
        record["PrimaryEmailAddr"] = {"Address": payee.email}
    return record


def _expense_line(amount: float, account: str, description: str) -> Record:
    return {
        "Id": "1",
        "Amount": amount,
        "DetailType": "AccountBasedExpenseLineDetail",
        "Description": description,
        "AccountBasedExpenseLineDetail": {
            "AccountRef": dict(ACCOUNTS[account]),
            "BillableStatus": "NotBillable",
            "TaxCodeRef": {"value": "NON"},
        },
    }


def _transaction(txn_id: str, payee: Payee, amount: float, moment: int, memo: str) -> Record:
    """What a purchase and a bill share: ids, times, currency, the memo and one expense line."""
    return {
        "domain": "QBO",
        "sparse": False,
        "Id": txn_id,
        "SyncToken": "0",
        "MetaData": {"CreateTime": qbo_time(moment), "LastUpdatedTime": qbo_time(moment)},
        "TxnDate": iso_date(moment),
        "CurrencyRef": dict(USD),
        "PrivateNote": memo,
        "Line": [_expense_line(amount, payee.account, memo)],
    }


def new_purchase(purchase_id: str, vendor: Record, payee: Payee, amount: float, moment: int, memo: str) -> Record:
    """A card Purchase from a vendor with one account-based expense line."""
    return {
        **_transaction(purchase_id, payee, amount, moment, memo),
        "AccountRef": dict(CARD_ACCOUNT),
        "PaymentType": "CreditCard",
        "EntityRef": {"value": vendor["Id"], "name": vendor["DisplayName"], "type": "Vendor"},
        "Credit": False,
        "TotalAmt": amount,
        "PrintStatus": "NotSet",
    }


def new_bill(bill_id: str, vendor: Record, payee: Payee, amount: float, moment: int, memo: str, paid: bool) -> Record:
    """A Bill from a vendor, due in 30 days; paid ones have no balance left."""
    return {
        **_transaction(bill_id, payee, amount, moment, memo),
        "DocNumber": f"INV-{bill_id}",
        "VendorRef": {"value": vendor["Id"], "name": vendor["DisplayName"]},
        "APAccountRef": dict(PAYABLES_ACCOUNT),
        "TotalAmt": amount,
        "DueDate": iso_date(moment + 30 * 86400),
        "Balance": 0.0 if paid else amount,
    }


def _charges(rng: random.Random, payee: Payee) -> list[tuple[int, float]]:
    """(epoch second, amount) of every charge from this payee, oldest first."""
    if not payee.every:
        count = IRREGULAR_CHARGES[payee.display]
        moments = sorted(BASE_TIME - rng.randrange(5, 400) * 86400 for _ in range(count))
        return [(moment, round(payee.amount * rng.uniform(0.6, 1.6), 2)) for moment in moments]
    period = payee.every * MONTH
    last = BASE_TIME - payee.ended_months_ago * MONTH - rng.randrange(3, 20) * 86400
    count = max(2, round(payee.months * MONTH / period))
    charges = []
    for index in range(count):
        moment = int(last - (count - 1 - index) * period) + rng.randrange(0, 2) * 86400  # the card posts a day late
        late = count - index <= 5
        amount = payee.raise_to if payee.raise_to and late else payee.amount
        if payee.varies:
            amount *= rng.uniform(1 - payee.varies, 1 + payee.varies)
        charges.append((moment, round(amount, 2)))
    return charges


def seed_quickbooks_spend(seeded: Seeded, seed: int) -> None:
    """~18 vendors, ~150 purchases and a few bills over the 14 months before the end of the seeded history."""
    rng = random.Random(f"{seed}:quickbooks:spend")
    vendor_ids, purchase_ids, bill_ids = IdSequence(rng, 5001, 2), IdSequence(rng, 20001, 3), IdSequence(rng, 30001, 2)
    seeded.sequences.update(
        {
            ("quickbooks", "vendors"): vendor_ids,
            ("quickbooks", "purchases"): purchase_ids,
            ("quickbooks", "bills"): bill_ids,
        }
    )
    vendors = seeded.stream("quickbooks", "vendors", numeric_ids=True)
    entries: list[tuple[int, float, Payee, Record]] = []
    first = BASE_TIME - 3 * YEAR
    for payee in PAYEES:
        phone = f"+1 (800) 555-{rng.randrange(1000, 10000)}"
        created = first + rng.randrange(0, 300) * 86400
        vendor = new_vendor(vendor_ids.next(), payee, created, phone)
        vendors.add(vendor["Id"], vendor, created * 1000)
        entries += [(moment, amount, payee, vendor) for moment, amount in _charges(rng, payee)]
    purchases = seeded.stream("quickbooks", "purchases", numeric_ids=True)
    bills = seeded.stream("quickbooks", "bills", numeric_ids=True)
    for moment, amount, payee, vendor in sorted(entries, key=lambda entry: (entry[0], entry[2].display)):
        memo = f"{payee.display} {iso_date(moment)[:7]}"
        if payee.by_bill:
            bill = new_bill(bill_ids.next(), vendor, payee, amount, moment, memo, paid=moment < BASE_TIME - 40 * 86400)
            bills.add(bill["Id"], bill, moment * 1000)
        else:
            purchase = new_purchase(purchase_ids.next(), vendor, payee, amount, moment, memo)
            purchases.add(purchase["Id"], purchase, moment * 1000)
