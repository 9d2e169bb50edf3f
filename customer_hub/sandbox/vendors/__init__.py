"""The imitated tools, one module each."""

from customer_hub.sandbox.routing import VendorApi
from customer_hub.sandbox.vendors.asana import AsanaApi
from customer_hub.sandbox.vendors.hubspot import HubSpotApi
from customer_hub.sandbox.vendors.intercom import IntercomApi
from customer_hub.sandbox.vendors.quickbooks import QuickBooksApi
from customer_hub.sandbox.vendors.sheets import SheetsApi
from customer_hub.sandbox.vendors.slack import SlackApi
from customer_hub.sandbox.vendors.stripe import StripeApi


def all_vendors() -> list[VendorApi]:
    """A fresh instance of every tool's imitation."""
    return [HubSpotApi(), StripeApi(), IntercomApi(), QuickBooksApi(), SheetsApi(), AsanaApi(), SlackApi()]
