"""Synthetic canonical customer records with ground truth, for measuring resolution quality and speed.

The data imitates what five tools hold about the same customers: companies with several colleagues who share a
switchboard number, individual customers with personal addresses, and the usual noise — typos, case, legal-suffix
variants, Gmail aliases (dots, +tags, googlemail.com), swapped or 'Last, First' names, missing fields, phone numbers
in national, international and punctuated formats, companies with the same name in different cities, and strangers
with the same common name. Every record carries `true_account_id` and, when it names a person, `true_person_id`.

    python benchmarks/synthetic_customers.py --size 10000 --seed 7 --out customers.parquet
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field
from functools import cache

import pandas as pd
import phonenumbers

from customer_hub.spokes.canonical import IDENTITY_FIELDS, LINK_FIELDS


def _words(text: str) -> list[str]:
    """Distinct words in order; '_' joins the parts of multi-word names ('Van_der_Berg')."""
    return list(dict.fromkeys(word.replace("_", " ") for word in text.split()))


FIRST_NAMES = _words(
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard Susan Joseph "
    "Jessica Thomas Sarah Charles Karen Christopher Nancy Daniel Lisa Matthew Betty Anthony Margaret Mark Sandra "
    "Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Dorothy Kevin Carol Brian Amanda "
    "George Melissa Edward Deborah Ronald Stephanie Timothy Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob "
    "Kathleen Gary Amy Nicholas Shirley Eric Angela Jonathan Helen Stephen Anna Larry Brenda Justin Pamela Scott "
    "Nicole Brandon Emma Benjamin Samantha Samuel Katherine Gregory Christine Frank Debra Alexander Rachel Raymond "
    "Catherine Patrick Carolyn Jack Janet Dennis Ruth Jerry Maria Tyler Heather Aaron Diane José Zoë François "
    "Søren Chloé Björn Inès Ana Luis Sofia Mateo Lucía Hugo Léa Noah Mia Lukas Hannah Jonas Lea Felix Olivia Liam "
    "Priya Arjun Wei Mei Hiroshi Yuki Omar Fatima Ivan Olga Kwame Amara Tomás Joaquín Renée Chris Sam Alex Jo Al"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera "
    "Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart "
    "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim "
    "Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo "
    "Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler "
    "Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds "
    "Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford "
    "Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman "
    "Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon "
    "Muñoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice "
    "Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer "
    "Hawkins Arnold Pierce Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson "
    "Müller Schröder Núñez Peña Ødegaard Dubois Lefèvre Rossi Bianchi Kowalski Nowak Yamamoto Tanaka Sato Wang Li "
    "Zhang Liu Singh Kumar Shah Okafor Mensah Novak Horvat Jensen Nielsen Larsen Andersson Johansson Virtanen "
    "O'Brien O'Connor McCarthy MacLeod Van_der_Berg De_Vries Van_Dijk Le_Roux Da_Silva Dos_Santos"
)

COMPANY_WORDS = _words(
    "Blue Red Green Silver Golden North South East West Summit Harbor River Lake Ocean Pine Oak Maple Cedar Stone "
    "Iron Bright Clear Swift Rapid Prime Apex Vertex Nova Stellar Lunar Solar Alpine Coastal Urban Metro Pioneer "
    "Frontier Liberty Eagle Falcon Hawk Fox Wolf Bear Lion Tiger Orion Atlas Titan Zenith Crescent Horizon Vista "
    "Meridian Beacon Anchor Compass Keystone Cornerstone Granite Copper Cobalt Crimson Indigo Ivory Jade Onyx Pearl "
    "Ruby Sapphire Emerald Amber Aspen Birch Willow Cypress Redwood Sequoia Everest Denali Sierra Cascade Rocky "
    "Prairie Meadow Valley Canyon Mesa Delta Bay Harbour Island Bridge Gate Tower Castle Crown Royal Noble Quantum "
    "Vector Matrix Pixel Byte Cloud Data Signal Spark Fusion Nexus Vertex Pulse Echo Sonic Optic Kinetic Dynamic "
    "Bold Brave True Pure Fresh Green Wild Happy Lucky Smart Wise Clever Little Big Grand Central United Global"
)
COMPANY_NOUNS = _words(
    "Logistics Analytics Consulting Labs Software Systems Solutions Partners Ventures Holdings Group Industries "
    "Manufacturing Foods Bakery Brewing Coffee Design Studio Media Marketing Digital Networks Robotics Energy Solar "
    "Health Dental Clinic Pharma Bio Capital Finance Insurance Realty Properties Construction Builders Engineering "
    "Outfitters Apparel Goods Supply Trading Imports Exports Freight Transport Travel Tours Events Education Academy "
    "Learning Security Legal Accounting Staffing Recruiting Cleaning Landscaping Plumbing Electric Motors Auto "
    "Marine Aviation Aerospace Telecom Wireless Games Music Films Publishing Printing Packaging Chemicals Metals"
)
LEGAL_FORMS = {
    "US": ["Inc", "Inc.", "Incorporated", "Corp", "Corp.", "Corporation", "LLC", "L.L.C.", "Co.", "Company", ""],
    "CA": ["Inc", "Inc.", "Ltd", "Ltd.", "Corp", "Limited", ""],
    "GB": ["Ltd", "Ltd.", "Limited", "PLC", "LLP", ""],
    "DE": ["GmbH", "AG", "GmbH & Co. KG", "UG", ""],
    "FR": ["SA", "SAS", "S.A.", "SARL", ""],
    "AU": ["Pty Ltd", "Pty. Ltd.", "Ltd", "Limited", ""],
}
PLACES = {
    "US": [
        ("New York", "100{:02d}"),
        ("San Francisco", "941{:02d}"),
        ("Chicago", "606{:02d}"),
        ("Austin", "787{:02d}"),
        ("Boston", "021{:02d}"),
        ("Seattle", "981{:02d}"),
        ("Denver", "802{:02d}"),
        ("Atlanta", "303{:02d}"),
        ("Miami", "331{:02d}"),
        ("Portland", "972{:02d}"),
        ("Los Angeles", "900{:02d}"),
        ("Dallas", "752{:02d}"),
    ],
    "CA": [("Toronto", "M5V {}A1"), ("Vancouver", "V6B {}K2"), ("Montréal", "H2X {}B3")],
    "GB": [("London", "EC{} 1AA"), ("Manchester", "M{} 2BB"), ("Leeds", "LS{} 3CC"), ("Bristol", "BS{} 4DD")],
    "DE": [("Berlin", "101{:02d}"), ("München", "803{:02d}"), ("Hamburg", "201{:02d}"), ("Köln", "506{:02d}")],
    "FR": [("Paris", "750{:02d}"), ("Lyon", "690{:02d}"), ("Marseille", "130{:02d}")],
    "AU": [("Sydney", "20{:02d}"), ("Melbourne", "30{:02d}"), ("Brisbane", "40{:02d}")],
}
COUNTRY_WEIGHTS = {"US": 60, "GB": 14, "DE": 9, "CA": 6, "FR": 5, "AU": 6}
COUNTRY_SPELLINGS = {
    "US": ["US", "USA", "United States", "united states", "U.S.A."],
    "CA": ["CA", "Canada"],
    "GB": ["GB", "UK", "United Kingdom", "England"],
    "DE": ["DE", "Germany", "Deutschland"],
    "FR": ["FR", "France"],
    "AU": ["AU", "Australia"],
}
NATIONAL_NUMBER_SHAPES = {
    "US": ("AAAEEESSSS", 10),
    "CA": ("AAAEEESSSS", 10),
    "GB": ("20ESSSSSSS", 10),
    "DE": ("30SSSSSSSS", 10),
    "FR": ("1SSSSSSSS", 9),
    "AU": ("2SSSSSSSS", 9),
}
PERSONAL_DOMAINS = ["gmail.com"] * 6 + [
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
    "aol.com",
    "gmx.de",
    "proton.me",
    "web.de",
    "hotmail.co.uk",
]
TLDS = {"US": ".com", "CA": ".ca", "GB": ".co.uk", "DE": ".de", "FR": ".fr", "AU": ".com.au"}
ROLE_LOCALS = ["billing", "accounts", "finance", "ap", "invoices", "accounting"]
NAME_SKEW = 0.6


@dataclass
class Person:
    """Someone the tools know, with the details they would each hold."""

    person_id: str
    first: str
    last: str
    work_email: str
    personal_email: str
    phone: str


@dataclass
class Account:
    """A company (with colleagues) or an individual customer (a single person, no company)."""

    account_id: str
    country: str
    city: str
    postcode: str
    name: str = ""
    domain: str = ""
    switchboard: str = ""
    people: list[Person] = field(default_factory=list)


@cache
def _valid_prefix(country: str, prefix: str) -> bool:
    national = prefix.ljust(NATIONAL_NUMBER_SHAPES[country][1], "5")
    number = phonenumbers.parse("+" + str(phonenumbers.country_code_for_region(country)) + national)
    return phonenumbers.is_valid_number(number)


class Generator:
    """Draws accounts, people and the tools' records about them from one seeded random source."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.counters: dict[str, int] = {}
        self.used_emails: set[str] = set()
        self.used_domains: set[str] = set()
        self.used_company_names: dict[str, int] = {}
        self.rows: list[dict[str, object]] = []
        # Zipf-like name frequencies: the commonest first name is ~5% of people and the commonest full name ~0.25%,
        # several times the census share of 'James Smith', so namesakes are plentiful at every size.
        self.first_weights = [1.0 / (rank + 1) ** NAME_SKEW for rank in range(len(FIRST_NAMES))]
        self.last_weights = [1.0 / (rank + 1) ** NAME_SKEW for rank in range(len(LAST_NAMES))]

    # -- identities ------------------------------------------------------------------------------------------
    def next_id(self, kind: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return f"{kind}{self.counters[kind]}"

    def phone(self, country: str) -> str:
        shape, _ = NATIONAL_NUMBER_SHAPES[country]
        while True:
            digits = "".join(
                self.rng.choice("23456789") if ch in "AE" else str(self.rng.randrange(10)) if ch == "S" else ch
                for ch in shape
            )
            if _valid_prefix(country, digits[:6]):
                return "+" + str(phonenumbers.country_code_for_region(country)) + digits

    def unique_email(self, local: str, domain: str) -> str:
        """A new mailbox; Gmail ignores dots, so 'mary.smith' and 'marysmith' there are one mailbox."""

        def mailbox(address_local: str) -> str:
            return (address_local.replace(".", "") if domain == "gmail.com" else address_local) + "@" + domain

        candidate, suffix = local, 1
        while mailbox(candidate) in self.used_emails:
            suffix += 1
            candidate = f"{local}{suffix}"
        self.used_emails.add(mailbox(candidate))
        return f"{candidate}@{domain}"

    @staticmethod
    def ascii_local(text: str) -> str:
        import unicodedata

        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
        return "".join(ch for ch in plain if ch.isalnum())

    def person(self, country: str, domain: str, pattern: str) -> Person:
        first = self.rng.choices(FIRST_NAMES, self.first_weights)[0]
        last = self.rng.choices(LAST_NAMES, self.last_weights)[0]
        f, la = self.ascii_local(first), self.ascii_local(last)
        work = ""
        if domain:
            local = {"first.last": f"{f}.{la}", "flast": f"{f[0]}{la}", "first": f, "firstl": f"{f}{la[0]}"}[pattern]
            work = self.unique_email(local, domain)
        personal_local = self.rng.choice([f"{f}.{la}", f"{f}{la}", f"{f[0]}{la}", f"{la}.{f}"])
        personal_local += str(self.rng.randrange(1, 999)) if self.rng.random() < 0.6 else ""
        personal = self.unique_email(personal_local, self.rng.choice(PERSONAL_DOMAINS))
        phone = self.phone(country) if self.rng.random() < 0.6 else ""
        return Person(self.next_id("P"), first, last, work, personal, phone)

    def company_name(self, country: str) -> str:
        if self.used_company_names and self.rng.random() < 0.02:
            return self.rng.choice(list(self.used_company_names))  # a namesake in another place
        while True:
            words = self.rng.sample(COMPANY_WORDS, self.rng.choice([1, 1, 2]))
            name = " ".join(words + [self.rng.choice(COMPANY_NOUNS)])
            if name not in self.used_company_names:
                self.used_company_names[name] = 1
                return name

    def account(self, individual: bool) -> Account:
        country = self.rng.choices(list(COUNTRY_WEIGHTS), list(COUNTRY_WEIGHTS.values()))[0]
        city, postcode_shape = self.rng.choice(PLACES[country])
        account = Account(self.next_id("A"), country, city, postcode_shape.format(self.rng.randrange(1, 99)))
        if individual:
            account.people.append(self.person(country, "", "first"))
            return account
        account.name = self.company_name(country)
        slug = self.ascii_local(account.name.replace(" ", ""))
        domain = slug + TLDS[country]
        while domain in self.used_domains:
            domain = slug + str(self.rng.randrange(2, 999)) + TLDS[country]
        self.used_domains.add(domain)
        account.domain = domain
        account.switchboard = self.phone(country)
        size = 1 + min(int(self.rng.expovariate(1 / 2.5)), 60)
        pattern = self.rng.choice(["first.last", "first.last", "flast", "first", "firstl"])
        account.people = [self.person(country, domain, pattern) for _ in range(size)]
        return account

    # -- noise -----------------------------------------------------------------------------------------------
    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def typo(self, text: str) -> str:
        if len(text) < 4:
            return text
        i = self.rng.randrange(1, len(text) - 1)
        kind = self.rng.randrange(4)
        if kind == 0:
            return text[:i] + text[i + 1 :]
        if kind == 1:
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if kind == 2:
            return text[:i] + self.rng.choice("aeioulnrst") + text[i + 1 :]
        return text[:i] + text[i] + text[i:]

    def case(self, text: str) -> str:
        roll = self.rng.random()
        if roll < 0.08:
            return text.upper()
        if roll < 0.16:
            return text.lower()
        if roll < 0.2:
            return "  " + text + " "
        return text

    def strip_accents(self, text: str) -> str:
        import unicodedata

        if self.chance(0.3):
            return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
        return text

    def company_variant(self, account: Account, typo_rate: float) -> str:
        name = account.name
        if self.chance(0.05):
            name = "The " + name
        form = self.rng.choice(LEGAL_FORMS[account.country])
        name = f"{name} {form}".strip() if not self.chance(0.1) else f"{name}, {form}".strip(", ")
        if self.chance(typo_rate):
            name = self.typo(name)
        return self.case(name)

    def email_variant(self, email: str) -> str:
        local, domain = email.split("@")
        if domain == "gmail.com":
            if self.chance(0.3):
                local = local.replace(".", "") if "." in local else local[:2] + "." + local[2:]
            if self.chance(0.25):
                local += "+" + self.rng.choice(["stripe", "news", "billing", "crm", "x"])
            if self.chance(0.15):
                domain = "googlemail.com"
        elif self.chance(0.1):
            local += "+" + self.rng.choice(["stripe", "crm"])
        text = f"{local}@{domain}"
        return text.upper() if self.chance(0.05) else (" " + text if self.chance(0.03) else text)

    def phone_variant(self, e164: str, country: str, with_country: bool) -> str:
        number = phonenumbers.parse(e164)
        style = self.rng.random()
        if not with_country and country != "US":
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        if style < 0.3:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        if style < 0.5:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        if style < 0.65:
            return e164
        national = str(number.national_number)
        if country in ("US", "CA"):
            return self.rng.choice(
                [
                    f"{national[:3]}.{national[3:6]}.{national[6:]}",
                    f"1-{national[:3]}-{national[3:6]}-{national[6:]}",
                    f"{national[:3]}-{national[3:6]}-{national[6:]} x{self.rng.randrange(10, 999)}",
                ]
            )
        if with_country:
            return "0" + national
        return f"+{number.country_code} (0){national}"

    def name_fields(self, person: Person, *, swap: float, typo: float) -> tuple[str, str]:
        """(first_name, last_name, full_name) the way one tool would hold them."""
        first, last = self.strip_accents(person.first), self.strip_accents(person.last)
        if self.chance(typo):
            if self.chance(0.5):
                first = self.typo(first)
            else:
                last = self.typo(last)
        first, last = self.case(first), self.case(last)
        if self.chance(swap):
            first, last = last, first
        return first, last

    def full_name(self, person: Person, *, swap: float, typo: float, comma: float) -> str:
        first, last = self.name_fields(person, swap=swap, typo=typo)
        if self.chance(comma):
            return f"{last}, {first}"
        return f"{first} {last}"

    # -- records ---------------------------------------------------------------------------------------------
    def emit(self, tool: str, obj: str, account: Account, person: Person | None, **values: object) -> str:
        record_id = self.next_id(f"{tool}:{obj}:")
        row = {
            "record_id": record_id,
            "source_system": tool,
            "source_object": obj,
            "source_id": record_id,
            "true_account_id": account.account_id,
            "true_person_id": person.person_id if person else None,
        }
        row.update(values)
        self.rows.append(row)
        return record_id

    def place(self, account: Account, probability: float) -> dict[str, object]:
        if not self.chance(probability):
            return {}
        spelling = self.rng.choice(COUNTRY_SPELLINGS[account.country])
        return {"city": self.case(account.city), "postcode": account.postcode, "country": spelling}

    def contact_phone(self, account: Account, person: Person, place: dict[str, object]) -> str:
        e164 = person.phone if person.phone and self.chance(0.8) else account.switchboard
        return self.phone_variant(e164, account.country, "country" in place) if e164 else ""

    def company_records(self, account: Account) -> None:
        hubspot_company = ""
        if self.chance(0.85):
            for copy in range(2 if self.chance(0.08) else 1):
                place = self.place(account, 0.7)
                domain = (
                    self.rng.choice(
                        [
                            account.domain,
                            "www." + account.domain,
                            "https://www." + account.domain,
                            "http://" + account.domain + "/",
                        ]
                    )
                    if copy == 0 or self.chance(0.5)
                    else ""
                )
                phone = (
                    self.phone_variant(account.switchboard, account.country, "country" in place)
                    if self.chance(0.7)
                    else ""
                )
                record_id = self.emit(
                    "hubspot",
                    "company",
                    account,
                    None,
                    company_name=self.company_variant(account, 0.02),
                    company_domain=domain,
                    phone=phone,
                    is_account_only=True,
                    **place,
                )
                hubspot_company = hubspot_company or record_id
        primary = account.people[0]
        if self.chance(0.6):
            keys = f"hubspot_company:{hubspot_company}" if hubspot_company and self.chance(0.5) else ""
            if self.chance(0.6):
                self.emit(
                    "stripe",
                    "customer",
                    account,
                    None,
                    company_name=self.company_variant(account, 0.02),
                    email=f"{self.rng.choice(ROLE_LOCALS)}@{account.domain}",
                    shared_keys=keys,
                    **self.place(account, 0.5),
                )
            else:
                payer = self.rng.choice(account.people)
                self.emit(
                    "stripe",
                    "customer",
                    account,
                    payer,
                    company_name=self.company_variant(account, 0.02),
                    email=self.email_variant(payer.work_email),
                    shared_keys=keys,
                    **self.place(account, 0.5),
                )
        if self.chance(0.5):
            customer_key = f"quickbooks_customer:{self.next_id('qbo')}"
            place = self.place(account, 0.8)
            email = f"{self.rng.choice(ROLE_LOCALS)}@{account.domain}" if self.chance(0.7) else ""
            phone = (
                self.phone_variant(account.switchboard, account.country, "country" in place) if self.chance(0.5) else ""
            )
            self.emit(
                "quickbooks",
                "customer",
                account,
                None,
                company_name=self.company_variant(account, 0.08),
                email=email,
                phone=phone,
                shared_keys=customer_key,
                is_account_only=True,
                **place,
            )
            for _ in range(self.rng.choice([0, 1, 1, 2, 3])):
                self.emit(
                    "quickbooks",
                    "invoice",
                    account,
                    None,
                    company_name=self.company_variant(account, 0.0),
                    shared_keys=customer_key,
                    is_account_only=True,
                )
        if self.chance(0.4):
            email = self.email_variant(primary.work_email) if self.chance(0.5) else ""
            self.emit(
                "sheets",
                "implementation",
                account,
                primary,
                company_name=self.company_variant(account, 0.15),
                full_name=self.full_name(primary, swap=0.15, typo=0.12, comma=0.2),
                email=email,
            )
        for person in account.people:
            self.colleague_records(account, person)

    def colleague_records(self, account: Account, person: Person) -> None:
        for copy in range(2 if self.chance(0.05) else (1 if self.chance(0.85) else 0)):
            place = self.place(account, 0.3)
            first, last = self.name_fields(person, swap=0.02, typo=0.04)
            email = self.email_variant(person.work_email) if copy == 0 or self.chance(0.5) else ""
            self.emit(
                "hubspot",
                "contact",
                account,
                person,
                first_name=first,
                last_name=last,
                email=email,
                phone=self.contact_phone(account, person, place) if self.chance(0.7) else "",
                company_name=self.company_variant(account, 0.03) if self.chance(0.7) else "",
                **place,
            )
        if self.chance(0.5):
            personal = self.chance(0.15)
            email = self.email_variant(person.personal_email if personal else person.work_email)
            place = self.place(account, 0.1)
            self.emit(
                "intercom",
                "user",
                account,
                person,
                full_name=self.full_name(person, swap=0.03, typo=0.03, comma=0.0) if self.chance(0.9) else "",
                email=email,
                company_name=self.company_variant(account, 0.05) if self.chance(0.6) else "",
                phone=self.contact_phone(account, person, place) if self.chance(0.15) else "",
                **place,
            )

    def individual_records(self, account: Account) -> None:
        person = account.people[0]
        if self.chance(0.7):
            place = self.place(account, 0.6)
            first, last = self.name_fields(person, swap=0.02, typo=0.04)
            self.emit(
                "hubspot",
                "contact",
                account,
                person,
                first_name=first,
                last_name=last,
                email=self.email_variant(person.personal_email),
                phone=self.phone_variant(person.phone, account.country, "country" in place)
                if person.phone and self.chance(0.6)
                else "",
                **place,
            )
        if self.chance(0.8):
            place = self.place(account, 0.5)
            self.emit(
                "stripe",
                "customer",
                account,
                person,
                full_name=self.full_name(person, swap=0.02, typo=0.03, comma=0.05),
                email=self.email_variant(person.personal_email),
                phone=self.phone_variant(person.phone, account.country, "country" in place)
                if person.phone and self.chance(0.3)
                else "",
                **place,
            )
        if self.chance(0.3):
            customer_key = f"quickbooks_customer:{self.next_id('qbo')}"
            place = self.place(account, 0.8)
            self.emit(
                "quickbooks",
                "customer",
                account,
                person,
                full_name=self.full_name(person, swap=0.05, typo=0.05, comma=0.2),
                email=self.email_variant(person.personal_email) if self.chance(0.7) else "",
                phone=self.phone_variant(person.phone, account.country, "country" in place)
                if person.phone and self.chance(0.4)
                else "",
                shared_keys=customer_key,
                **place,
            )
            for _ in range(self.rng.choice([0, 1, 2])):
                self.emit("quickbooks", "invoice", account, None, shared_keys=customer_key, is_account_only=True)
        if self.chance(0.5):
            other_address = self.chance(0.05)
            email = person.personal_email
            if other_address:
                local = self.ascii_local(person.first) + "." + self.ascii_local(person.last)
                email = self.unique_email(local + str(self.rng.randrange(1000, 9999)), "yahoo.com")
            self.emit(
                "intercom",
                "user",
                account,
                person,
                full_name=self.full_name(person, swap=0.03, typo=0.03, comma=0.0) if self.chance(0.9) else "",
                email=self.email_variant(email),
                **self.place(account, 0.1),
            )


COLUMNS = (
    "record_id",
    "source_system",
    "source_object",
    "source_id",
    *IDENTITY_FIELDS,
    *LINK_FIELDS,
    "true_person_id",
    "true_account_id",
)


def generate(size: int, seed: int = 7) -> pd.DataFrame:
    """About `size` canonical records (whole accounts, then cut to exactly `size`), rows shuffled.

    Columns are the canonical ones plus `true_person_id` (None for records naming no person) and `true_account_id`.
    """
    generator = Generator(seed)
    while len(generator.rows) < size:
        if generator.chance(0.65):
            generator.company_records(generator.account(individual=False))
        else:
            generator.individual_records(generator.account(individual=True))
    rows = generator.rows[:size]
    random.Random(seed).shuffle(rows)
    frame = pd.DataFrame.from_records(rows).reindex(columns=list(COLUMNS))
    frame["is_account_only"] = frame["is_account_only"].astype("boolean").fillna(False).astype(bool)
    text_columns = [column for column in COLUMNS if column not in ("is_account_only", "true_person_id")]
    frame[text_columns] = frame[text_columns].astype("str").fillna("")
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True, help="output file (.parquet or .csv)")
    args = parser.parse_args()
    frame = generate(args.size, args.seed)
    if args.out.endswith(".csv"):
        frame.to_csv(args.out, index=False)
    else:
        frame.to_parquet(args.out, index=False)
    print(
        f"{len(frame)} records, {frame['true_account_id'].nunique()} accounts, "
        f"{frame['true_person_id'].nunique()} people -> {args.out}"
    )


if __name__ == "__main__":
    main()
