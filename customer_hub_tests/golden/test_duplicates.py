"""Within-tool duplicates: a tool holding one customer or one person twice, and nothing else."""

from __future__ import annotations

from customer_hub.golden.duplicates import duplicate_groups


def _link(record_id: str, customer: str, person: str | None = None) -> dict:
    tool, obj, _ = record_id.split(":")
    return {
        "record_id": record_id,
        "source_system": tool,
        "source_object": obj,
        "golden_customer_id": customer,
        "golden_person_id": person,
    }


def test_colleagues_invoices_and_deals_are_not_duplicates():
    healthy = [
        _link("hubspot:companies:1", "G1"),
        _link("hubspot:contacts:11", "G1", "P1"),
        _link("hubspot:contacts:12", "G1", "P2"),
        _link("hubspot:deals:5", "G1"),
        _link("hubspot:deals:6", "G1"),
        _link("quickbooks:customers:1", "G1"),
        _link("quickbooks:invoices:7", "G1"),
        _link("quickbooks:invoices:8", "G1"),
    ]
    assert duplicate_groups(healthy) == []
    assert duplicate_groups([]) == []


def test_a_person_twice_lists_every_record_the_tool_holds_for_the_customer():
    links = [
        _link("hubspot:companies:1", "G1"),
        _link("hubspot:contacts:11", "G1", "P1"),
        _link("hubspot:contacts:12", "G1", "P1"),
        _link("hubspot:deals:5", "G1"),
        _link("stripe:customers:a", "G1"),
        _link("stripe:customers:b", "G1"),
        _link("intercom:contacts:x", "G2", "P9"),
    ]
    [hubspot, stripe] = duplicate_groups(links)
    assert (hubspot["golden_customer_id"], hubspot["tool"], hubspot["count"]) == ("G1", "hubspot", 3)
    assert hubspot["records"] == ["hubspot:companies:1", "hubspot:contacts:11", "hubspot:contacts:12"]
    assert hubspot["duplicates"] == [
        {
            "level": "person",
            "object": "contacts",
            "golden_person_id": "P1",
            "records": ["hubspot:contacts:11", "hubspot:contacts:12"],
        }
    ]
    assert (stripe["tool"], stripe["duplicates"][0]["level"]) == ("stripe", "customer")


def test_a_person_spread_over_two_customers_is_reported_once_under_the_first():
    links = [
        _link("intercom:contacts:x", "G1", "P1"),
        _link("intercom:contacts:y", "G2", "P1"),
    ]
    [entry] = duplicate_groups(links)
    assert (entry["golden_customer_id"], entry["tool"]) == ("G1", "intercom")
    assert entry["records"] == ["intercom:contacts:x", "intercom:contacts:y"]
