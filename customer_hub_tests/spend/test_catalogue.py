"""Which SaaS company a vendor in the books is: domains first, whole-name fuzzy matching second."""

import pytest

from customer_hub.spend.catalogue import (
    CatalogueEntry,
    VendorMatcher,
    domain_of,
    load_catalogue,
    normalise_name,
    parse_catalogue,
    vendor_domains,
)


@pytest.fixture(scope="module")
def matcher() -> VendorMatcher:
    return VendorMatcher(load_catalogue())


def test_names_lose_legal_suffixes_punctuation_and_card_statement_numbers():
    assert normalise_name("Notion Labs, Inc.") == "notion labs"
    assert normalise_name("ZOOM.US 888-799-9666") == "zoom us"
    assert normalise_name("Intercom R&D Unlimited Company") == "intercom r d unlimited"


def test_domains_come_from_the_website_the_email_and_the_name():
    assert domain_of("https://www.loom.com/pricing") == "loom.com"
    assert domain_of("billing@makenotion.com") == "makenotion.com"
    assert domain_of("not a url") is None
    assert vendor_domains("ZOOM.US 888-799-9666", None, None) == {"zoom.us"}


@pytest.mark.parametrize(
    "name,domains,expected",
    [
        ("ZOOM.US 888-799-9666", set(), "Zoom"),
        ("Anything", {"app.hubspot.com"}, "HubSpot"),  # a subdomain of a catalogue domain
        ("Calendy LLC", set(), "Calendly"),  # a typo still scores above 90
        ("Notion Labs, Inc.", set(), "Notion"),
        ("Make Good Coffee Roasters", set(), None),  # one shared word is not a match
        ("Pitchwise Analytics", set(), None),
        ("Sparkle Office Cleaning", set(), None),
    ],
)
def test_vendors_match_the_catalogue_by_domain_or_whole_name(matcher, name, domains, expected):
    found = matcher.match(name, domains)
    assert (found.entry.name if found else None) == expected


def test_the_shipped_catalogue_names_the_hubs_own_tools_and_a_bad_row_is_refused_with_its_line():
    tools = {entry.tool for entry in load_catalogue() if entry.tool}
    assert tools == {"hubspot", "stripe", "intercom", "quickbooks", "sheets", "asana"}
    assert parse_catalogue(["name,domains,aliases,category,tool", "Acme SaaS,acme.io,,crm,"]) == (
        CatalogueEntry("Acme SaaS", ("acme.io",), (), "crm", None),
    )
    with pytest.raises(ValueError, match="line 3: every vendor needs a name and at least one domain"):
        parse_catalogue(["name,domains,aliases,category,tool", "Good,good.io,,x,", "No domain,,,x,"])
