"""A company filed without its website is the account of the work addresses whose domain spells its name."""

from __future__ import annotations

from customer_hub.resolution import resolve

from .records import by_id, frame


def _crm_company(record_id: str, name: str, **fields: str) -> dict:
    return {"record_id": record_id, "source_system": "hubspot", "source_object": "companies", "company_name": name,
            "is_account_only": True, **fields}  # fmt: skip


def _support_contact(record_id: str, email: str, **fields: str) -> dict:
    return {"record_id": record_id, "source_system": "intercom", "source_object": "contacts", "email": email,
            "city": "Toronto", **fields}  # fmt: skip


def test_a_work_address_that_spells_the_company_is_its_customer():
    records = frame(
        _crm_company("company", "Thompson Analytics Co.", phone="+1 416 620 0881"),
        _support_contact("billing", "accounts@thompsonanalytics.com"),
        _support_contact("other", "accounts@thompsonanalytic.com"),
    )

    resolved = by_id(resolve(records))

    assert resolved.loc["billing", "golden_customer_id"] == resolved.loc["company", "golden_customer_id"]
    assert resolved.loc["billing", "match_rule"] == "company_name_domain"
    assert resolved.loc["other", "golden_customer_id"] != resolved.loc["company", "golden_customer_id"]


def test_a_name_two_domains_spell_or_another_domain_holds_joins_neither_by_its_spelling():
    records = frame(
        _crm_company("acme-crm", "Brightforge Ltd"),
        _support_contact("acme-us", "jo@brightforge.com"),
        _support_contact("acme-uk", "sam@brightforge.co.uk"),
        _crm_company("nova-crm", "Nova Robotics", company_domain="novagroup.com"),
        _support_contact("nova-other", "kim@novarobotics.com"),
    )

    resolved = by_id(resolve(records))

    customers = resolved["golden_customer_id"]
    assert customers["acme-crm"] not in {customers["acme-us"], customers["acme-uk"]}
    assert customers["nova-crm"] != customers["nova-other"]
