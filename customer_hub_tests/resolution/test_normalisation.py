"""Normalisers: the forms that decide which values count as equal."""

import numpy as np
import pandas as pd
import pytest

from customer_hub.resolution import companies, resolve_with_review
from customer_hub.resolution.companies import normalize_company_name
from customer_hub.resolution.domains import free_mail_mask, is_free_mail, normalize_domain
from customer_hub.resolution.emails import (
    is_role_mailbox,
    normalize_email,
    normalize_emails,
    one_typo_apart,
    spells_name,
)
from customer_hub.resolution.names import normalize_person_names, split_full_names
from customer_hub.resolution.phones import normalize_phone, normalize_phones
from customer_hub.resolution.places import normalize_cities, normalize_postcodes, normalize_streets
from customer_hub.resolution.text import replace_where

from .records import frame


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("J.Smith+stripe@GoogleMail.com ", "jsmith@gmail.com"),
        ("john.smith@gmail.com", "johnsmith@gmail.com"),
        ("jo.hn.smith+newsletter@gmail.com", "johnsmith@gmail.com"),
        ("John.Smith+crm@Acme.com", "john.smith@acme.com"),
        ("mailto:ANNA@example.org", "anna@example.org"),
        ("Pam Beesly <Pam@DunderMifflin.com>", "pam@dundermifflin.com"),  # as a mail client copies it
        ('"Beesly, Pam" <mailto:pam@dundermifflin.com>', "pam@dundermifflin.com"),
        ("Pam <pam@dundermifflin.com>, Jim <jim@dundermifflin.com>", ""),  # two addresses: whose?
        ("Pam <pam@dundermifflin.com>; jim@dundermifflin.com", ""),
        ("not an email", ""),
        (None, ""),
    ],
)
def test_email_canonical_form(raw, canonical):
    assert normalize_email(raw) == canonical


@pytest.mark.parametrize("address", ["billing@acme.com", "Accounts.Payable@acme.com", "AP@acme.com", "info@acme.de"])
def test_role_mailboxes_are_recognised(address):
    assert is_role_mailbox(address)


def test_personal_addresses_are_not_role_mailboxes():
    assert not is_role_mailbox("billy@acme.com")
    assert not is_role_mailbox("jane.doe@acme.com")


def test_extra_role_mailboxes_can_be_configured():
    assert not is_role_mailbox("treasury@acme.com")
    assert is_role_mailbox("treasury@acme.com", ["treasury"])


def test_email_frame_keeps_row_order_and_domains():
    frame = normalize_emails(pd.Series(["B@x.io", None, "billing@x.io", "B@x.io"]))
    assert frame["email"].tolist() == ["b@x.io", "", "billing@x.io", "b@x.io"]
    assert frame["email_domain"].tolist() == ["x.io", "", "x.io", "x.io"]
    assert frame["email_is_role"].tolist() == [False, False, True, False]


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("https://www.Acme.com/about?x=1", "acme.com"),
        ("WWW.acme.co.uk", "acme.co.uk"),
        ("http://acme.io:8080/", "acme.io"),
        ("jane@Acme.io", "acme.io"),
        ("acme", ""),
        (None, ""),
    ],
)
def test_domains_from_urls_and_addresses(raw, domain):
    assert normalize_domain(raw) == domain


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.co.uk",
        "hotmail.fr",
        "gmx.de",
        "gmx.net",
        "proton.me",
        "web.de",
        "icloud.com",
        "outlook.com",
        "aol.com",
    ],
)
def test_free_mail_domains(domain):
    assert is_free_mail(domain)


def test_company_domains_are_not_free_mail():
    assert not is_free_mail("acme.com")
    assert not is_free_mail("live.acme-events.com")
    assert is_free_mail("partner-mail.net", extra=["partner-mail.net"])


@pytest.mark.parametrize(
    "name",
    [
        "Acme Corp",
        "ACME Corporation",
        "Acme Corp.",
        "The Acme Company",
        "acme, inc",
        "Acme Incorporated",
        "Acme L.L.C.",
        "Acme Ltd",
        "Acme Limited",
        "Acme GmbH",
        "Acme AG",
        "Acme S.A.",
        "Acme SAS",
        "Acme BV",
        "Acme Pty Ltd",
        "Acme PLC",
        "Acme & Co.",
        "Acme A/S",
        "Acme Sp. z o.o.",
        "Acme Kft.",
    ],
)
def test_legal_forms_and_case_are_ignored(name):
    assert normalize_company_name(name) == "acme"


def test_company_names_keep_what_tells_companies_apart():
    assert normalize_company_name("Müller Logistik GmbH & Co. KG") == "muller logistik"
    assert normalize_company_name("Johnson & Johnson") == "johnson and johnson"
    assert normalize_company_name("Acme Labs Inc") != normalize_company_name("Acme Inc")
    # a Russian legal form before or after the name, read in Latin letters
    assert normalize_company_name("ООО «Ромашка»") == normalize_company_name("Ромашка ООО") == "romashka"


@pytest.mark.parametrize(
    ("name", "read"),
    [("Thornmore, Carlos", "carlos thornmore"), ("Müller, Jürgen", "jurgen muller"), ("Acme, Inc.", "acme"),
     ("Acme, LLC", "acme"), ("Acme Company, The", "acme"), ("Smith, Jones & Co", "smith jones")],
)  # fmt: skip
def test_an_individual_filed_surname_first_reads_as_the_person_writes_the_name(name, read):
    assert normalize_company_name(name) == read


_WRITTEN_EVERY_WAY = [
    "Acme Company, The", "ACME CO ,  THE ", "Acme,\nthe", "Smith, Theo", "Athena Corp",
    "Acme Corp (formerly Widget Inc)", "Acme Corp, FKA Widget", "Sushi Aka", "Acme (Accounts Payable)",
    "Acme Inc. - Billing", "Acme INC:HQ", "Billings Montana Co", "Société Générale Inc - Finance", "Ωinc - billing",
    "Acme Intl", "INTL Paper", "Warner Bros", "Hooli Mfg", "plain name", "", "Über Café", "Acme (FİNANCE)",
    "acme international", "acmebrothers", "größe management",
]  # fmt: skip


@pytest.mark.parametrize(
    ("hint", "pattern"),
    [
        (companies._FORMER_NAME_HINT, companies._FORMER_NAME),
        (companies._DEPARTMENT_HINT, companies._DEPARTMENT),
        (companies._DEPARTMENT_HINT, companies._DEPARTMENT_AFTER_FORM),
        (companies._THE_AFTER_COMMA_HINT, companies._THE_AFTER_COMMA),
        (",", companies._SURNAME_FIRST),
        (companies._SHORTEST_HINT, companies._SHORTEST_WORD),
        (companies._SHORTEST_HINT, companies._SHORTEST_ENDING),
    ],
)
def test_company_patterns_done_only_where_their_words_are_give_what_they_give_everywhere(hint, pattern):
    names = pd.Series(_WRITTEN_EVERY_WAY * 2, dtype="str")
    everywhere = names.str.replace(pattern, "<>", regex=True)
    assert replace_where(names, hint, pattern, "<>").tolist() == everywhere.tolist()
    assert (everywhere != names).any()  # the pattern does something to these names


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("1-415-555-2671", "US", "+14155552671"),
        ("+1 (415) 555-2671", "GB", "+14155552671"),
        ("415-555-2671 x204", "US", "+14155552671"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 (0)20 7946 0958", "US", "+442079460958"),
        ("0044 20 7946 0958", "DE", "+442079460958"),
        ("0049 30 901820", "US", "+4930901820"),  # '00' is not the US prefix (011), but no US number starts so
        ("(0039) 06 1234 5678", "US", "+390612345678"),
        ("0044", "US", ""),
        ("030 1234567", "DE", "+49301234567"),
        ("12345", "US", ""),
        ("000-000-0000", "US", ""),
        ("", "US", ""),
    ],
)
def test_phones_to_e164(raw, region, e164):
    assert normalize_phone(raw, region) == e164


def test_phone_region_per_row():
    numbers = normalize_phones(pd.Series(["020 7946 0958", "020 7946 0958"]), pd.Series(["GB", "US"]))
    assert numbers.tolist() == ["+442079460958", ""]


def test_person_names_lose_accents_titles_and_stray_spaces():
    names = normalize_person_names(pd.Series(["  Dr. José   Núñez Jr. ", "O'Brien", "Søren"]))
    assert names.tolist() == ["jose nunez", "obrien", "soren"]


def test_names_in_other_scripts_are_read_in_latin_letters_and_symbols_are_still_dropped():
    names = normalize_person_names(pd.Series(["Иван Петров", "张伟", "Σωκράτης", "Seán O’Brien"]))
    assert names.tolist() == ["ivan petrov", "zhangwei", "sokratis", "sean obrien"]
    assert normalize_company_name("Acme Widgets® Inc.") == "acme widgets"
    assert normalize_company_name("Ромашка") == "romashka"


@pytest.mark.parametrize(
    ("normalize", "one", "other"),
    [
        (normalize_streets, "Hauptstraße 5", "Hauptstr. 5"),
        (normalize_streets, "1600 Pennsylvania Avenue N.W.", "1600 Pennsylvania Ave NW"),
        (normalize_postcodes, "94105-1234", "94105"),
        (normalize_cities, "St. Louis", "Saint Louis"),
        (normalize_cities, "Ft. Worth", "Fort Worth"),
    ],
)
def test_an_address_written_short_or_long_reads_the_same(normalize, one, other):
    assert normalize(pd.Series([one]))[0] == normalize(pd.Series([other]))[0]


def test_full_names_written_last_name_first():
    parts = split_full_names(pd.Series(["Smith, John", "John van der Berg", "Madonna"]))
    assert parts["first_name"].tolist() == ["john", "john", "madonna"]
    assert parts["last_name"].tolist() == ["smith", "van der berg", ""]


def test_a_chinese_full_name_is_read_family_name_first():
    parts = split_full_names(pd.Series(["张伟", "王小明", "欧阳娜娜"]))
    assert parts["first_name"].tolist() == ["wei", "xiaoming", "nana"]
    assert parts["last_name"].tolist() == ["zhang", "wang", "ouyang"]


@pytest.mark.parametrize(
    "written",
    [
        "Jane Doe, CPA",
        "Jane Doe, MBA, Ph.D.",
        "Doe, Jane, MD",
        "Jane Doe (Acme)",
        "Jane Doe - Acme Corp",
        "Jane (JJ) Doe (Acme)",
        "(Acme) Jane Doe - Sales",
    ],
)
def test_a_degree_after_a_comma_or_a_company_beside_the_name_is_no_part_of_it(written):
    parts = split_full_names(pd.Series([written]))
    assert (parts["first_name"][0], parts["last_name"][0]) == ("jane", "doe")


@pytest.mark.parametrize(
    ("written", "first", "last"),
    [
        ("Ng, Ba", "ba", "ng"),  # 'ba' is a degree too, but after one word the comma puts the surname first
        ("Vance, JD", "jd", "vance"),
        ("Jack Ma", "jack", "ma"),
        ("Jean - Pierre Dupont", "jean", "pierre dupont"),  # a dash after one word is part of the name
        ("Smith - Jones, Anne", "anne", "smith jones"),
        ("Garcia Lopez, Ma", "ma", "garcia lopez"),
    ],
)
def test_names_that_look_like_a_degree_or_an_aside_stay_names(written, first, last):
    parts = split_full_names(pd.Series([written]))
    assert (parts["first_name"][0], parts["last_name"][0]) == (first, last)


def _evidence(first_a: str, last_a: str, first_b: str, last_b: str) -> dict:
    records = frame(
        {"record_id": "a", "first_name": first_a, "last_name": last_a},
        {"record_id": "b", "first_name": first_b, "last_name": last_b},
    )
    return resolve_with_review(records).explain("a", "b")["pair"]["evidence"]


def test_swapped_first_and_last_names_still_match():
    evidence = _evidence("John", "Smith", "Smith", "John")
    assert evidence["names_swapped"] is True
    assert evidence["first_name"][0] == evidence["last_name"][0] == "exact"


def test_different_first_names_do_not_match_on_a_shared_surname():
    assert _evidence("John", "Smith", "Jane", "Smith")["first_name"][0] == "different"
    assert _evidence("Jon", "Smith", "John", "Smith")["first_name"][0] == "close"
    assert _evidence("Bill", "Smith", "William", "Smith")["first_name"][0] == "nickname"
    accents = _evidence("José", "Núñez", "jose", "NUNEZ")
    assert accents["first_name"][0] == accents["last_name"][0] == "exact"


def test_a_number_or_address_written_as_people_copy_them_links_its_records():
    """Copied from a mail client or dialled from abroad, the same address and number still link two records."""
    records = frame(
        {"record_id": "hubspot:contacts:1", "full_name": "Pam Beesly", "email": "pam@dundermifflin.com"},
        {"record_id": "intercom:contacts:1", "full_name": "Pam Beesly", "email": "Pam Beesly <pam@dundermifflin.com>"},
        {"record_id": "hubspot:contacts:2", "full_name": "Jonas Weber", "phone": "+49 30 901820", "country": "DE"},
        {"record_id": "stripe:customers:2", "full_name": "Jonas Weber", "phone": "0049 30 901820"},
    )
    people = resolve_with_review(records).records["golden_person_id"]
    assert people.nunique() == 2
    assert people.iloc[0] == people.iloc[1] and people.iloc[2] == people.iloc[3]


def test_phones_read_ahead_link_records_as_phones_read_now():
    """customer_records keeps each phone in E.164 (`phone_e164`, '' for no valid number) so matching need not parse
    them all again; a record that was never read (null) makes matching read every phone itself."""
    records = frame(
        {"record_id": "hubspot:contacts:1", "full_name": "Ana Lima", "phone": "(505) 555-0142"},
        {"record_id": "stripe:customers:1", "full_name": "Ana Lima", "phone": "+1 505 555 0142"},
        {"record_id": "intercom:contacts:1", "full_name": "Ana Lima", "phone": "not a number"},
    )
    parsed = resolve_with_review(records).records
    read_ahead = resolve_with_review(records.assign(phone_e164=["+15055550142", "+15055550142", ""])).records
    pd.testing.assert_frame_equal(read_ahead, parsed)
    assert parsed["golden_person_id"].iloc[0] == parsed["golden_person_id"].iloc[1]

    # the stored value is what is compared: different stored numbers keep the two apart
    apart = resolve_with_review(records.assign(phone_e164=["+15055550142", "+15055550199", ""])).records
    assert apart["golden_person_id"].iloc[0] != apart["golden_person_id"].iloc[1]
    never_read = resolve_with_review(records.assign(phone_e164=["+15055550142", None, None])).records
    pd.testing.assert_frame_equal(never_read, parsed)


@pytest.mark.parametrize(
    ("address_a", "address_b", "typo"),
    [
        ("laura.sngh@brookstudio.com", "laura.singh@brookstudio.com", True),  # a letter dropped
        ("dmitri@marrtinlabs.com", "dmitri@martinlabs.com", True),  # a letter doubled, in the domain
        ("amri@pioneerstudio.com", "amir@pioneerstudio.com", True),  # two letters swapped
        ("robertt@meadow.com", "robertw@meadow.com", False),  # a letter changed: two colleagues named Robert
        ("jsmith@acme.com", "jsmith2@acme.com", False),  # a digit: namesakes told apart
        ("jane@acme.com", "jane.doe@acme.com", False),  # more than one keystroke
    ],
)
def test_one_typo_apart_is_a_slip_of_the_keyboard_not_a_colleague(address_a, address_b, typo):
    assert one_typo_apart(np.array([address_a], dtype=object), np.array([address_b], dtype=object)).tolist() == [typo]


@pytest.mark.parametrize(
    ("local_part", "first", "last", "spelled"),
    [
        ("john.smith", "john", "smith", True),
        ("jsmith", "john", "smith", True),
        ("j_smith", "john", "smith", True),
        ("smith.john", "john", "smith", True),
        ("johns", "john", "smith", True),
        ("john", "john", "smith", True),
        ("anna.mueller", "anna", "muller", True),  # Müller, folded, spelled out
        ("mvandenberg", "mark", "van den berg", True),
        ("bob.smith", "robert", "smith", True),  # the name he goes by
        ("smith.bob", "robert", "smith", True),
        ("bill", "william", "brown", True),
        ("rob.smyth", "robert", "smith", False),
        ("john.smith2", "john", "smith", False),  # a digit numbers a namesake
        ("jane.smith", "john", "smith", False),
        ("sales.team", "john", "smith", False),
        ("js", "john", "smith", False),
    ],
)
def test_an_address_spells_its_holders_name_as_companies_write_one(local_part, first, last, spelled):
    assert spells_name(local_part, first, last) is spelled


@pytest.mark.parametrize(
    ("domain", "free"),
    [("ahoo.com", True), ("gmial.com", True), ("hotmaill.com", True), ("martinlabs.com", False), ("gmx.it", True)],
)
def test_a_mailbox_provider_typed_with_a_slip_is_still_no_company(domain, free):
    assert free_mail_mask(pd.Series([domain])).tolist() == [free]
