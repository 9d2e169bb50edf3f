"""A project or an accounting customer named after an individual customer is that customer's account."""

from __future__ import annotations

from customer_hub.resolution import ResolutionSettings, resolve

from .records import by_id, frame


def _priya(suffix: str, email: str, city: str = "New York") -> list[dict]:
    """An individual customer as Stripe and Intercom hold her: her own name in Stripe's company field."""
    return [
        {"record_id": f"stripe-{suffix}", "source_system": "stripe", "source_object": "customers",
         "full_name": "Priya Miller", "company_name": "Priya Miller", "email": email, "city": city},
        {"record_id": f"intercom-{suffix}", "source_system": "intercom", "source_object": "contacts",
         "first_name": "Priya", "last_name": "Miller", "email": email},
    ]  # fmt: skip


def _project(record_id: str, name: str) -> dict:
    return {"record_id": record_id, "source_system": "asana", "source_object": "projects", "company_name": name,
            "is_account_only": True}  # fmt: skip


def test_a_project_named_after_an_individual_is_her_account_whichever_way_round_the_name_is():
    records = frame(*_priya("1", "priya.miller@gmail.com"), _project("asana-1", "Priya Miller"),
                    _project("qbo-1", "Miller, Priya"))  # fmt: skip

    resolved = by_id(resolve(records))

    assert resolved.loc["asana-1", "golden_customer_id"] == resolved.loc["stripe-1", "golden_customer_id"]
    assert resolved.loc["qbo-1", "golden_customer_id"] == resolved.loc["stripe-1", "golden_customer_id"]
    # 'Miller, Priya' is read as she writes it; each record joins her as named after her, not the other by the name
    assert set(resolved.loc[["asana-1", "qbo-1"], "match_rule"]) == {"named_after_person"}


def test_projects_named_after_two_namesake_individuals_stay_apart():
    """Two individual Priya Millers, and two projects 'Priya Miller': nothing says whose each project is, nor that
    the two are one customer's, so neither the name nor the person joins them."""
    records = frame(*_priya("1", "priya.miller@gmail.com"), *_priya("2", "pm1987@yahoo.com", "Leeds"),
                    _project("asana-1", "Priya Miller"), _project("asana-2", "Priya Miller"))  # fmt: skip

    resolved = by_id(resolve(records))

    customers = resolved["golden_customer_id"]
    assert customers["asana-1"] != customers["asana-2"]
    assert not {customers["asana-1"], customers["asana-2"]} & {customers["stripe-1"], customers["stripe-2"]}


def test_a_project_and_a_sheet_row_that_share_her_name_both_join_her():
    """Each is named after her, so each joins her."""
    sheet_row = {"record_id": "sheet-1", "source_system": "sheets", "source_object": "implementations",
                 "company_name": "Priya Miller", "is_account_only": True}  # fmt: skip
    records = frame(*_priya("1", "priya.miller@gmail.com"), _project("asana-1", "Priya Miller"), sheet_row)

    resolved = by_id(resolve(records))

    assert resolved.loc["asana-1", "golden_customer_id"] == resolved.loc["stripe-1", "golden_customer_id"]
    assert resolved.loc["sheet-1", "golden_customer_id"] == resolved.loc["stripe-1", "golden_customer_id"]


def test_an_account_that_also_names_a_company_stays_where_it_is():
    """A QuickBooks customer 'Acme Corp' on the project's id makes the account Acme's as much as Priya's."""
    acme = {"record_id": "qbo-1", "source_system": "quickbooks", "source_object": "customers",
            "company_name": "Acme Corp", "is_account_only": True, "shared_keys": "asana_project:77"}  # fmt: skip
    project = {**_project("asana-1", "Priya Miller"), "shared_keys": "asana_project:77"}

    resolved = by_id(resolve(frame(*_priya("1", "priya.miller@gmail.com"), project, acme)))

    assert resolved.loc["asana-1", "golden_customer_id"] != resolved.loc["stripe-1", "golden_customer_id"]


def test_a_namesake_at_a_company_does_not_make_the_name_ambiguous_but_two_individuals_do():
    colleague = {"record_id": "hs-1", "source_system": "hubspot", "source_object": "contacts", "first_name": "Priya",
                 "last_name": "Miller", "email": "pmiller@acme.com", "company_name": "Acme Inc"}  # fmt: skip
    one_individual = frame(*_priya("1", "priya.miller@gmail.com"), colleague, _project("asana-1", "Priya Miller"))
    two_individuals = frame(*_priya("1", "priya.miller@gmail.com"), *_priya("2", "pm1987@yahoo.com", "Leeds"),
                            _project("asana-1", "Priya Miller"))  # fmt: skip

    one = by_id(resolve(one_individual))
    two = by_id(resolve(two_individuals))

    assert one.loc["asana-1", "golden_customer_id"] == one.loc["stripe-1", "golden_customer_id"]
    assert two.loc["asana-1", "match_rule"] == "singleton"


def test_a_name_held_only_by_a_company_contact_or_in_another_order_stays_alone():
    """'Paul Smith' as a Stripe customer's company is not Acme's contact Paul Smith's account, and the firm
    'Morgan Stanley' is not the individual Stanley Morgan."""
    contact = {"record_id": "hs-1", "source_system": "hubspot", "source_object": "contacts", "first_name": "Paul",
               "last_name": "Smith", "email": "paul@acme.com", "company_name": "Acme Inc"}  # fmt: skip
    stanley = {"record_id": "ic-1", "source_system": "intercom", "source_object": "contacts", "first_name": "Stanley",
               "last_name": "Morgan", "email": "stanley.morgan@gmail.com"}  # fmt: skip
    records = frame(contact, stanley, _project("stripe-9", "Paul Smith"), _project("asana-9", "Morgan Stanley"))

    resolved = by_id(resolve(records))

    assert resolved.loc["stripe-9", "match_rule"] == "singleton"
    assert resolved.loc["asana-9", "match_rule"] == "singleton"


def test_a_company_name_with_a_legal_form_or_a_steward_keep_apart_stays_alone():
    with_legal_form = frame(*_priya("1", "priya.miller@gmail.com"), _project("asana-1", "Priya Miller Ltd"))
    kept_apart = frame(*_priya("1", "priya.miller@gmail.com"), _project("asana-2", "Priya Miller"))
    settings = ResolutionSettings.model_validate(
        {"decisions": [{"record_a": "asana-2", "record_b": "stripe-1", "action": "keep_apart", "level": "customer"}]}
    )

    assert by_id(resolve(with_legal_form)).loc["asana-1", "match_rule"] == "singleton"
    resolved = by_id(resolve(kept_apart, settings))
    assert resolved.loc["asana-2", "golden_customer_id"] != resolved.loc["stripe-1", "golden_customer_id"]
