"""Stripe: customers, subscriptions and invoices as billing left them, shaped like API version 2020-08-27."""

import random

from customer_hub.sandbox.clock import BASE_TIME
from customer_hub.sandbox.messiness import company_name_variant, email_case_variant, gmail_alias, phone_format
from customer_hub.sandbox.seeding.common import Seeded, moment_after, token
from customer_hub.sandbox.store import Record
from customer_hub.sandbox.vocabulary import PLANS, ROLE_MAILBOXES
from customer_hub.sandbox.world import ACTIVE, BILLED, CHURNED, PAST_DUE, PROSPECT, Customer, World

MONTH = 30 * 86400


def catalogue(rng: random.Random) -> list[tuple[Record, Record]]:
    """One product with one monthly price per plan."""
    items = []
    created = BASE_TIME - 4 * 365 * 86400
    for name, cents in PLANS:
        product_id = f"prod_{token(rng, 14)}"
        product = {
            "id": product_id,
            "object": "product",
            "active": True,
            "created": created,
            "description": None,
            "images": [],
            "livemode": False,
            "metadata": {},
            "name": name,
            "package_dimensions": None,
            "shippable": None,
            "statement_descriptor": None,
            "tax_code": None,
            "unit_label": None,
            "updated": created,
            "url": None,
        }
        price = {
            "id": f"price_{token(rng, 24)}",
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": created,
            "currency": "usd",
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "product": product_id,
            "recurring": {"aggregate_usage": None, "interval": "month", "interval_count": 1, "usage_type": "licensed"},
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring",
            "unit_amount": cents,
            "unit_amount_decimal": str(cents),
        }
        items.append((product, price))
    return items


def plan_of(price: Record) -> Record:
    """The legacy `plan` view of a price, still returned next to `price` by this API version."""
    return {
        "id": price["id"],
        "object": "plan",
        "active": True,
        "aggregate_usage": None,
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": "usd",
        "interval": "month",
        "interval_count": 1,
        "livemode": False,
        "metadata": {},
        "nickname": None,
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def new_customer(
    customer_id: str,
    name: str | None,
    email: str | None,
    phone: str | None,
    customer: Customer | None,
    created: int,
    metadata: dict[str, str],
) -> Record:
    """A Stripe customer object; without a seeded `customer` (created through the API) it has no address."""
    address = None
    if customer is not None:
        city, region, postal, country = customer.city[:4]
        address = {
            "city": city,
            "country": country,
            "line1": customer.street,
            "line2": None,
            "postal_code": postal,
            "state": region or None,
        }
    return {
        "id": customer_id,
        "object": "customer",
        "address": address,
        "balance": 0,
        "created": created,
        "currency": "usd",
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": email,
        "invoice_prefix": customer_id[4:12].upper(),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
        "livemode": False,
        "metadata": metadata,
        "name": name,
        "next_invoice_sequence": 1,
        "phone": phone,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def new_subscription(
    rng: random.Random, customer_id: str, price: Record, quantity: int, created: int, status: str
) -> Record:
    """A subscription with one item; canceled ones end before the seeded history does."""
    sub_id = f"sub_{token(rng, 24)}"
    periods = max(1, (BASE_TIME - created) // MONTH)
    if status == "canceled":
        periods = rng.randint(1, periods)
    period_start = created + (periods - 1) * MONTH
    ended = period_start + MONTH if status == "canceled" else None
    item = {
        "id": f"si_{token(rng, 14)}",
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "metadata": {},
        "plan": plan_of(price),
        "price": price,
        "quantity": quantity,
        "subscription": sub_id,
        "tax_rates": [],
    }
    return {
        "id": sub_id,
        "object": "subscription",
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False},
        "billing_cycle_anchor": created,
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": ended,
        "collection_method": "charge_automatically",
        "created": created,
        "current_period_end": period_start + MONTH,
        "current_period_start": period_start,
        "customer": customer_id,
        "days_until_due": None,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discount": None,
        "ended_at": ended,
        "items": {
            "object": "list",
            "data": [item],
            "has_more": False,
            "total_count": 1,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": {},
        "next_pending_invoice_item_invoice": None,
        "pause_collection": None,
        "payment_settings": {"payment_method_options": None, "payment_method_types": None},
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "plan": plan_of(price),
        "quantity": quantity,
        "schedule": None,
        "start_date": created,
        "status": status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_start": None,
    }


def new_invoice(
    rng: random.Random,
    customer_id: str,
    snapshot: Record,
    subscription: Record | None,
    amount: int,
    period_start: int,
    status: str,
    number: str,
    description: str,
) -> Record:
    """An invoice for one period; `snapshot` is the customer as it was when the invoice was finalised."""
    invoice_id = f"in_{token(rng, 24)}"
    paid = status == "paid"
    item = subscription["items"]["data"][0] if subscription else None
    line = {
        "id": f"il_{token(rng, 24)}",
        "object": "line_item",
        "amount": amount,
        "currency": "usd",
        "description": description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "livemode": False,
        "metadata": {},
        "period": {"end": period_start + MONTH, "start": period_start},
        "plan": item["plan"] if item else None,
        "price": item["price"] if item else None,
        "proration": False,
        "proration_details": {"credited_items": None},
        "quantity": item["quantity"] if item else 1,
        "subscription": subscription["id"] if subscription else None,
        "tax_amounts": [],
        "tax_rates": [],
        "type": "subscription" if subscription else "invoiceitem",
    }
    if item:
        line["subscription_item"] = item["id"]
    else:
        line["invoice_item"] = f"ii_{token(rng, 24)}"
    finalized = period_start + 3600
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Customer Hub Demo",
        "account_tax_ids": None,
        "amount_due": amount,
        "amount_paid": amount if paid else 0,
        "amount_remaining": 0 if paid or status == "void" else amount,
        "application_fee_amount": None,
        "attempt_count": 1 if status != "draft" else 0,
        "attempted": status != "draft",
        "auto_advance": not paid,
        "automatic_tax": {"enabled": False, "status": None},
        "billing_reason": "subscription_cycle" if subscription else "manual",
        "charge": None,
        "collection_method": "charge_automatically",
        "created": period_start,
        "currency": "usd",
        "custom_fields": None,
        "customer": customer_id,
        "customer_address": snapshot.get("address"),
        "customer_email": snapshot.get("email"),
        "customer_name": snapshot.get("name"),
        "customer_phone": snapshot.get("phone"),
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discount": None,
        "discounts": [],
        "due_date": None,
        "ending_balance": 0 if status != "draft" else None,
        "footer": None,
        "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_sandbox/{invoice_id}",
        "invoice_pdf": f"https://pay.stripe.com/invoice/acct_sandbox/{invoice_id}/pdf",
        "last_finalization_error": None,
        "lines": {
            "object": "list",
            "data": [line],
            "has_more": False,
            "total_count": 1,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": number,
        "on_behalf_of": None,
        "paid": paid,
        "paid_out_of_band": False,
        "payment_intent": None,
        "payment_settings": {"payment_method_options": None, "payment_method_types": None},
        "period_end": period_start,
        "period_start": period_start - MONTH,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "quote": None,
        "receipt_number": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": status,
        "status_transitions": {
            "finalized_at": finalized if status != "draft" else None,
            "marked_uncollectible_at": finalized + 20 * 86400 if status == "uncollectible" else None,
            "paid_at": finalized + 60 if paid else None,
            "voided_at": finalized + 86400 if status == "void" else None,
        },
        "subscription": subscription["id"] if subscription else None,
        "subtotal": amount,
        "tax": None,
        "test_clock": None,
        "total": amount,
        "total_discount_amounts": [],
        "total_tax_amounts": [],
        "transfer_data": None,
        "webhooks_delivered_at": finalized,
    }


class _StripeSeeder:
    def __init__(self, seeded: Seeded, seed: int) -> None:
        self.seeded = seeded
        self.rng = random.Random(f"{seed}:stripe")
        self.catalogue = catalogue(self.rng)
        seeded.extras["stripe_catalogue"] = self.catalogue
        self.customers = seeded.stream("stripe", "customers")
        self.subscriptions = seeded.stream("stripe", "subscriptions")
        self.invoices = seeded.stream("stripe", "invoices")
        self.pending: list[tuple[int, str, str, Record]] = []  # (created, stream, customer key, record)
        self.invoice_numbers: dict[str, int] = {}

    def _add(self, created: int, stream: str, customer_key: str, record: Record) -> None:
        self.pending.append((created, stream, customer_key, record))

    def customer(
        self, customer: Customer, name: str | None, email: str | None, phone: str | None, metadata: dict[str, str]
    ) -> Record:
        created = moment_after(self.rng, customer.since, 20)
        record = new_customer(f"cus_{token(self.rng, 14)}", name, email, phone, customer, created, metadata)
        self._add(created, "customers", customer.key, record)
        return record

    def subscription(self, customer: Customer, stripe_customer: Record, plan: int, status: str) -> Record:
        created = stripe_customer["created"] + self.rng.randrange(60, 3600)
        record = new_subscription(
            self.rng, stripe_customer["id"], self.catalogue[plan][1], customer.seats, created, status
        )
        self._add(created, "subscriptions", customer.key, record)
        return record

    def invoices_for(self, customer: Customer, stripe_customer: Record, subscription: Record, count: int) -> None:
        end = subscription["ended_at"] or subscription["current_period_start"]
        amount = subscription["plan"]["amount"] * subscription["quantity"]
        latest = None
        for months_back in range(count - 1, -1, -1):
            start = end - months_back * MONTH
            if start < subscription["created"]:
                continue
            status = "paid"
            if months_back == 0 and subscription["status"] == "past_due":
                status = "uncollectible" if self.rng.random() < 0.3 else "open"
            elif months_back == 0 and self.rng.random() < 0.08:
                status = "open"
            elif self.rng.random() < 0.02:
                status = "void"
            latest = self.invoice(customer, stripe_customer, subscription, amount, start, status)
        if latest:
            subscription["latest_invoice"] = latest["id"]

    def invoice(
        self,
        customer: Customer,
        stripe_customer: Record,
        subscription: Record | None,
        amount: int,
        start: int,
        status: str,
    ) -> Record:
        prefix = stripe_customer["invoice_prefix"]
        sequence = self.invoice_numbers.get(prefix, 0) + 1
        self.invoice_numbers[prefix] = sequence
        stripe_customer["next_invoice_sequence"] = sequence + 1
        if subscription:
            price = subscription["plan"]
            product = next(prod["name"] for prod, _ in self.catalogue if prod["id"] == price["product"])
            description = f"{subscription['quantity']} × {product} (at ${price['amount'] / 100:.2f} / month)"
        else:
            description = "Onboarding package"
        record = new_invoice(
            self.rng,
            stripe_customer["id"],
            stripe_customer,
            subscription,
            amount,
            start,
            status,
            f"{prefix}-{sequence:04d}",
            description,
        )
        self._add(start, "invoices", customer.key, record)
        return record

    def billed_customer(self, customer: Customer) -> None:
        rng = self.rng
        person = customer.people[0]
        if customer.is_company:
            name = company_name_variant(rng, customer.stem, customer.suffix)
            email = f"{rng.choice(ROLE_MAILBOXES)}@{customer.domain}" if rng.random() < 0.35 else person.email
        else:
            name = f"{person.last_name} {person.first_name}" if rng.random() < 0.05 else person.full_name
            email = person.email
            if email and email.endswith("@gmail.com") and rng.random() < 0.15:
                email = gmail_alias(rng, email, "billing")
        if email and rng.random() < 0.05:
            email = email_case_variant(rng, email)
        phone = phone_format(rng, customer.phone) if rng.random() < 0.4 else None
        metadata = {}
        hubspot_id = self.seeded.links.get("hubspot_company", {}).get(customer.key)
        if hubspot_id and rng.random() < 0.35:
            metadata["hubspot_company_id"] = hubspot_id
        record = self.customer(customer, name if rng.random() < 0.97 else None, email, phone, metadata)
        self.seeded.links.setdefault("stripe_customer", {})[customer.key] = record["id"]
        self._subscriptions(customer, record)
        if rng.random() < 0.03:
            self._second_signup(customer, email)

    def _second_signup(self, customer: Customer, first_email: str | None) -> None:
        """The same customer signs up again under another address (no subscription this time)."""
        rng, person = self.rng, customer.people[0]
        if customer.is_company:
            other_email = person.email if first_email != person.email else f"{ROLE_MAILBOXES[0]}@{customer.domain}"
            name = company_name_variant(rng, customer.stem, customer.suffix)
        else:
            other_email = gmail_alias(rng, person.email, "2") if person.email else None
            name = person.full_name
        self.customer(customer, name, other_email, None, {})

    def _subscriptions(self, customer: Customer, record: Record) -> None:
        rng = self.rng
        if customer.status == CHURNED and rng.random() >= 0.3:
            return
        status = {ACTIVE: "active", PAST_DUE: "past_due", CHURNED: "canceled"}[customer.status]
        subs = [self.subscription(customer, record, customer.plan, status)]
        if customer.status == ACTIVE and rng.random() < 0.05:
            subs.append(self.subscription(customer, record, 0, "active"))
        for sub in subs:
            self.invoices_for(customer, record, sub, rng.randint(2, 5) if status != "canceled" else rng.randint(1, 3))

    def orphan_invoice(self, customer: Customer) -> None:
        """An invoice whose customer was deleted: the id matches no customer any more."""
        person = customer.people[0]
        ghost = new_customer(
            f"cus_{token(self.rng, 14)}", customer.legal_name, person.email, None, customer, customer.since, {}
        )
        start = moment_after(self.rng, customer.since, 200)
        self.invoice(
            customer,
            ghost,
            None,
            self.rng.choice((25000, 50000, 120000)),
            start,
            self.rng.choice(("paid", "open", "void")),
        )

    def acme(self, acme: Customer) -> None:
        """Two Stripe customers for Acme, both paying for Hub Pro: the double billing the hub must catch."""
        first = self.customer(acme, "Acme Corp", "billing@acme.com", "+1 505-555-0100", {})
        self.seeded.links.setdefault("stripe_customer", {})[acme.key] = first["id"]
        second = self.customer(acme, "ACME Corporation", "finance@acme.com", None, {})
        for record in (first, second):
            sub = self.subscription(acme, record, 1, "active")
            self.invoices_for(acme, record, sub, 3)

    def commit(self) -> None:
        """Store everything in creation order, the order Stripe lists by."""
        for created, stream, customer_key, record in sorted(self.pending, key=lambda item: (item[0], item[3]["id"])):
            self.seeded.stream("stripe", stream).add(record["id"], record, created * 1000)
            self.seeded.truth.add("stripe", stream, record["id"], customer_key)


CARD_BRANDS = (("visa", 60), ("mastercard", 25), ("amex", 15))


def new_payment_method(rng: random.Random, customer: Record) -> Record:
    """A saved card (the customer's default payment method), as `GET /v1/payment_methods/{id}` shows it."""
    brand = rng.choices([b for b, _ in CARD_BRANDS], [w for _, w in CARD_BRANDS])[0]
    return {
        "id": f"pm_{token(rng, 24)}",
        "object": "payment_method",
        "billing_details": {
            "address": dict(customer["address"] or {}),
            "email": customer["email"],
            "name": customer["name"],
            "phone": customer["phone"],
        },
        "card": {
            "brand": brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": "US",
            "exp_month": rng.randint(1, 12),
            "exp_year": rng.randint(2026, 2031),
            "fingerprint": token(rng, 16),
            "funding": "credit",
            "generated_from": None,
            "last4": f"{rng.randrange(10000):04d}",
            "networks": {"available": [brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": customer["created"],
        "customer": customer["id"],
        "livemode": False,
        "metadata": {},
        "type": "card",
    }


def _payment_methods(seeded: Seeded, seed: int) -> None:
    """Most paying customers saved a card as their default payment method (its own random stream, so adding cards
    left every other seeded value as it was)."""
    rng = random.Random(f"{seed}:stripe-payment-methods")
    methods: dict[str, Record] = {}
    for customer in seeded.stream("stripe", "customers"):
        if rng.random() < 0.85:
            method = new_payment_method(rng, customer)
            methods[method["id"]] = method
            customer["invoice_settings"]["default_payment_method"] = method["id"]
    seeded.extras["stripe_payment_methods"] = methods


def seed_stripe(seeded: Seeded, world: World, seed: int) -> None:
    """Customers (~1,100), subscriptions (~900) and invoices (~3,000) per 2,000 customers; most customers have a
    default card."""
    seeder = _StripeSeeder(seeded, seed)
    seeder.acme(world.acme)
    for customer in world.customers[1:]:
        if customer.status in BILLED:
            seeder.billed_customer(customer)
        elif customer.status == PROSPECT and seeder.rng.random() < 0.07:
            seeder.orphan_invoice(customer)
    seeder.commit()
    _payment_methods(seeded, seed)
