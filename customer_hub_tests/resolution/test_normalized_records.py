"""`normalize_records`: each record's identity fields in the forms matching compares, one row per record."""

import pandas as pd
import pytest

from customer_hub.resolution import NORMALIZED_COLUMNS, normalize_records

from .records import frame


def one(**fields) -> pd.Series:
    """The normalised row of a single record."""
    return normalize_records(frame({"record_id": "r1", **fields})).iloc[0]


def test_one_row_per_record_in_input_order_with_the_documented_columns():
    records = frame({"record_id": "b", "email": "B@x.io"}, {"record_id": "a"}, {"record_id": "c", "phone": "x"})
    normalized = normalize_records(records)
    assert list(normalized.columns) == list(NORMALIZED_COLUMNS)
    assert normalized["record_id"].tolist() == ["b", "a", "c"]
    assert normalized["email_normalized"].tolist() == ["b@x.io", "", ""]


def test_email_is_the_mailbox_it_reaches():
    row = one(email=" J.Smith+crm@GoogleMail.com ")
    assert row["email_normalized"] == "jsmith@gmail.com"
    assert not row["is_role_mailbox"]
    assert one(email="John.Smith+stripe@Acme.com")["email_normalized"] == "john.smith@acme.com"


def test_role_mailboxes_identify_an_account_not_a_person():
    assert one(email="Billing@Acme.com")["is_role_mailbox"]
    assert one(email="accounts.payable@acme.com")["is_role_mailbox"]
    assert not one(email="billy@acme.com")["is_role_mailbox"]
    configured = normalize_records(
        frame({"record_id": "r", "email": "treasury@acme.com"}), {"role_mailboxes": ["treasury"]}
    )
    assert configured["is_role_mailbox"].tolist() == [True]


def test_company_names_lose_legal_forms_punctuation_and_the():
    assert one(company_name="The ACME Corp.")["company_name_normalized"] == "acme"
    assert one(company_name="Müller Logistik GmbH & Co. KG")["company_name_normalized"] == "muller logistik"


def test_company_domain_from_the_website_or_a_work_address_never_a_mailbox_provider():
    assert one(company_domain="https://www.Acme.com/about")["company_domain_normalized"] == "acme.com"
    assert one(email="wile@Acme.com")["company_domain_normalized"] == "acme.com"
    assert one(email="wile@gmail.com")["company_domain_normalized"] == ""
    assert one(company_domain="yahoo.co.uk", email="w@yahoo.co.uk")["company_domain_normalized"] == ""


def test_phones_in_e164_read_with_the_records_country():
    assert one(phone="5055550142")["phone_e164"] == "+15055550142"
    assert one(phone="020 7946 0958", country="United Kingdom")["phone_e164"] == "+442079460958"
    assert one(phone="12345")["phone_e164"] == ""
    german = normalize_records(frame({"record_id": "r", "phone": "030 1234567"}), {"default_phone_region": "DE"})
    assert german["phone_e164"].tolist() == ["+49301234567"]


def test_person_names_lose_case_accents_and_stray_whitespace():
    row = one(first_name="  JOSÉ ", last_name="Núñez   Jr.")
    assert (row["first_name_normalized"], row["last_name_normalized"]) == ("jose", "nunez")
    assert row["full_name_normalized"] == "jose nunez"
    row = one(full_name="Smith,  John")
    assert (row["first_name_normalized"], row["last_name_normalized"], row["names_swapped"]) == ("john", "smith", False)


def test_a_company_in_a_name_field_is_not_a_person_name():
    row = one(full_name="Acme Corp", company_name="Acme Corp")
    assert (row["first_name_normalized"], row["full_name_normalized"]) == ("", "")
    assert one(first_name="Globex", last_name="Inc")["full_name_normalized"] == ""


def test_names_entered_the_wrong_way_round_are_put_back_when_the_full_name_says_so():
    row = one(first_name="Cook", last_name="Chloe", full_name="Chloe Cook")
    assert row["names_swapped"]
    assert (row["first_name_normalized"], row["last_name_normalized"]) == ("chloe", "cook")


def test_names_entered_the_wrong_way_round_are_put_back_when_the_hub_uses_them_the_other_way():
    people = [
        ("John", "Smith"), ("John", "Doe"), ("John", "Brown"), ("John", "Green"), ("Jane", "Smith"), ("Mary", "Smith"),
        ("Anne", "Smith"), ("Smith", "John"), ("Thomas", "James"), ("James", "Thomas"),
    ]  # fmt: skip
    records = frame(*({"record_id": f"r{i}", "first_name": f, "last_name": la} for i, (f, la) in enumerate(people)))
    normalized = normalize_records(records).set_index("record_id")
    assert normalized["names_swapped"].tolist() == [False] * 7 + [True, False, False]
    assert normalized.loc["r7", ["first_name_normalized", "last_name_normalized"]].tolist() == ["john", "smith"]


def test_a_small_hub_is_no_evidence_of_a_swap():
    records = frame({"record_id": "a", "first_name": "Smith", "last_name": "John"},
                    {"record_id": "b", "first_name": "John", "last_name": "Smith"})  # fmt: skip
    assert not normalize_records(records)["names_swapped"].any()


def test_record_ids_are_required():
    with pytest.raises(ValueError, match="record_id"):
        normalize_records(pd.DataFrame({"email": ["a@b.com"]}))
