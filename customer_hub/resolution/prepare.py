"""From raw canonical records to the coded, normalised columns matching works on.

Every column is optional except `record_id`: tools hold different subsets of the identity fields. Whether a record
names a person is read from the data unless the record says it describes an account only (a HubSpot company, an
invoice): a person name or a personal (non-role) address makes it a person record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from customer_hub.resolution.birth_dates import normalize_birth_dates
from customer_hub.resolution.blocking import pairs_in_blocks
from customer_hub.resolution.companies import names_a_company, normalize_company_names
from customer_hub.resolution.domains import free_mail_mask, normalize_domains, registrable_domains
from customer_hub.resolution.emails import normalize_emails
from customer_hub.resolution.names import normalize_person_names, split_full_names
from customer_hub.resolution.pair_similarity import one_slip_apart
from customer_hub.resolution.phones import e164_coded
from customer_hub.resolution.places import (
    normalize_cities,
    normalize_countries,
    normalize_postcodes,
    normalize_streets,
)
from customer_hub.resolution.settings import ResolutionSettings
from customer_hub.resolution.text import Coded, as_text, words
from customer_hub.resolution.union_find import connected_components

_TRUE_TEXT = frozenset({"true", "1", "yes", "y", "t"})


@dataclass(frozen=True)
class Features:
    """Normalised fields, one entry per record in input order.

    `email` is the canonical address (role mailboxes included), `personal_email` any record's address that is not a
    role mailbox, `person_email` only a person record's personal address. `company_domain` is the stated web
    domain or else the domain of a non-free-mail address. Initials are character codes (0 where there is no name)
    so that blocks can be built with integer arithmetic.
    """

    record_id: pd.Series
    email: Coded
    personal_email: Coded
    person_email: Coded
    email_domain: Coded
    email_is_free: np.ndarray
    first: Coded
    last: Coded
    full_name: Coded
    name_key: Coded
    first_initial: np.ndarray
    last_initial: np.ndarray
    company: Coded
    company_domain: Coded
    phone: Coded
    street: Coded
    city: Coded
    postcode: Coded
    country: Coded
    birth_date: Coded
    shared_keys: SharedKeys
    is_person: np.ndarray
    has_account_evidence: np.ndarray
    states_name: np.ndarray
    """True where the record's name is its own (given or in its full name), False where it was read from its
    address ('chloe.cook@') or there is none."""
    company_as_name: Coded
    """The company name read as a person's full name, as `full_name` writes it ('Miller, Priya' and 'Priya Miller'
    both read 'priya miller'), on records that name no person and have no company domain; empty where it is no
    two-part name or ends in a legal form. An Asana project or a QuickBooks customer for an individual is named
    after the person."""

    @property
    def size(self) -> int:
        """Number of records."""
        return len(self.record_id)


def _column(records: pd.DataFrame, name: str) -> pd.Series:
    if name in records.columns:
        return records[name].reset_index(drop=True)
    return pd.Series([None] * len(records), dtype="object")


def _account_only_flags(records: pd.DataFrame) -> np.ndarray:
    codes, uniques = pd.factorize(_column(records, "is_account_only"))
    flags = as_text(pd.Series(uniques)).str.strip().str.lower().isin(_TRUE_TEXT).to_numpy(dtype=bool, copy=True)
    return np.append(flags, False)[codes]


def _per_record(flags: pd.Series, coded: Coded) -> np.ndarray:
    """A per-value boolean spread to records (False where empty)."""
    return np.append(flags.to_numpy(dtype=bool, copy=True), False)[coded.codes]


def _free_mail(domains: Coded, settings: ResolutionSettings) -> np.ndarray:
    return _per_record(free_mail_mask(pd.Series(domains.values, dtype="str"), settings.free_mail_domains), domains)


def _initials(names: Coded) -> np.ndarray:
    firsts = np.fromiter((ord(value[0]) for value in names.values), dtype=np.int64, count=len(names.values))
    return np.append(firsts, 0)[names.codes]


def _names_in_addresses(email_codes: np.ndarray, emails: pd.DataFrame) -> tuple[Coded, Coded]:
    """First and last names read from personal addresses shaped 'first.last' (or 'last_first', '-' too, trailing
    digits allowed): a record holding only 'chloe.cook@hotmail.com' still names Chloe Cook."""
    local = emails["local_part"]
    pattern = r"^([a-z]+)[._-]([a-z]+)[0-9]*$"
    shaped = local.str.fullmatch(r"[a-z]+[._-][a-z]+[0-9]*") & ~emails["email_is_role"]
    first = local.str.replace(pattern, r"\1", regex=True).where(shaped, "")
    last = local.str.replace(pattern, r"\2", regex=True).where(shaped, "")
    return Coded.from_unique(email_codes, first), Coded.from_unique(email_codes, last)


def joined_names(first: Coded, last: Coded) -> tuple[Coded, Coded]:
    """Full names ('first last') and name keys (the two parts in alphabetical order, so swaps share a key)."""
    pair = (first.codes + 1) * (len(last.values) + 1) + (last.codes + 1)
    codes, pairs = pd.factorize(pair)
    first_text = np.append(first.values, "").astype(object)[pairs // (len(last.values) + 1) - 1]
    last_text = np.append(last.values, "").astype(object)[pairs % (len(last.values) + 1) - 1]
    ordered = first_text <= last_text
    low, high = np.where(ordered, first_text, last_text), np.where(ordered, last_text, first_text)
    full = (pd.Series(first_text, dtype="str") + " " + pd.Series(last_text, dtype="str")).str.strip()
    key = (pd.Series(low, dtype="str") + " " + pd.Series(high, dtype="str")).str.strip()
    return Coded.from_unique(codes, full), Coded.from_unique(codes, key)


@dataclass(frozen=True)
class Normalised:
    """Each record's identity fields in normalised form, one entry per record in input order: what matching
    (`prepare`) and the readable view of a record (`normalize_records`) are both built from, so they never disagree.

    Name parts come three ways: `given_*` as entered in the first/last name fields, `split_*` read from `full_name`,
    `address_*` read from a personal 'first.last' address. `company_domain` is the stated web domain or else the
    domain of a non-free-mail address.
    """

    record_id: pd.Series
    email: Coded
    email_domain: Coded
    email_is_role: np.ndarray
    email_is_free: np.ndarray
    given_first: Coded
    given_last: Coded
    split_first: Coded
    split_last: Coded
    address_first: Coded
    address_last: Coded
    company: Coded
    company_domain: Coded
    country: Coded
    phone: Coded

    def own_names(self) -> tuple[Coded, Coded]:
        """First and last names as the record states them: the given parts, or else those read from `full_name`."""
        use_given = self.given_first.present() | self.given_last.present()
        return (
            Coded.choose(use_given, self.given_first, self.split_first),
            Coded.choose(use_given, self.given_last, self.split_last),
        )


def normalise(records: pd.DataFrame, settings: ResolutionSettings) -> Normalised:
    """Normalise the identity fields of `records` (see `Normalised`); `record_id` is required and must be unique."""
    if "record_id" not in records.columns:
        raise ValueError("records need a record_id column")
    record_id = as_text(_column(records, "record_id"))
    if not record_id.is_unique:  # a hash table's answer: `duplicated()` marks every row, ten times the work
        raise ValueError("record_id values must be unique")

    email_codes, email_uniques = pd.factorize(_column(records, "email"))
    emails = normalize_emails(as_text(pd.Series(email_uniques)), settings.role_mailboxes)
    email_domain = Coded.from_unique(email_codes, emails["email_domain"])
    email_is_free = _free_mail(email_domain, settings)
    address_first, address_last = _names_in_addresses(email_codes, emails)
    full_name_codes, full_name_uniques = pd.factorize(_column(records, "full_name"))
    split = split_full_names(as_text(pd.Series(full_name_uniques)))

    explicit_domain = Coded.normalise(_column(records, "company_domain"), normalize_domains)
    explicit_domain = explicit_domain.where(~_free_mail(explicit_domain, settings))
    country = Coded.normalise(_column(records, "country"), normalize_countries)
    return Normalised(
        record_id=record_id,
        email=Coded.from_unique(email_codes, emails["email"]),
        email_domain=email_domain,
        email_is_role=np.append(emails["email_is_role"].to_numpy(dtype=bool, copy=True), False)[email_codes],
        email_is_free=email_is_free,
        given_first=Coded.normalise(_column(records, "first_name"), normalize_person_names),
        given_last=Coded.normalise(_column(records, "last_name"), normalize_person_names),
        split_first=Coded.from_unique(full_name_codes, split["first_name"]),
        split_last=Coded.from_unique(full_name_codes, split["last_name"]),
        address_first=address_first,
        address_last=address_last,
        company=Coded.normalise(_column(records, "company_name"), normalize_company_names),
        company_domain=Coded.choose(explicit_domain.present(), explicit_domain, email_domain.where(~email_is_free)),
        country=country,
        phone=_phones(records, country, settings),
    )


STORED_E164 = "phone_e164"
"""An optional input column: each record's phone already read as E.164 with the same settings ('' where it is no
valid number), as customer_records keeps it. Used only when every record has one."""


def _phones(records: pd.DataFrame, country: Coded, settings: ResolutionSettings) -> Coded:
    """The records' phones in E.164: as given in `STORED_E164`, else read from `phone` and the record's country."""
    stored = records[STORED_E164].reset_index(drop=True) if STORED_E164 in records.columns else None
    if stored is not None and not stored.isna().any():
        return Coded.normalise(stored, lambda values: values)
    return e164_coded(_column(records, "phone"), country, settings.default_phone_region)


_HOST_LABELS = words("mail email e-mail webmail smtp mx post corp office hq global intl emea apac latam europe")
"""Labels a company puts in front of its own domain for a mail host or a region ('mail.acme.com', 'eu.acme.com';
two-letter labels, country and region codes, count too)."""


def _subdomains_read_as_held(domain: Coded) -> Coded:
    """A company domain under another domain that records hold, in front of it only a mail host or a region
    (`_HOST_LABELS`), is read as that one: 'nina@mail.massivedynamic.com' works at massivedynamic.com when some
    record's domain is massivedynamic.com. The parent is the name registered under a public suffix
    (`registrable_domains`), so 'acme.co.uk' can be one and 'co.uk' never is. A tenant's name a host hands out
    under its own ('bakery.wordpress.com', 'acme.onmicrosoft.com') is no host label, so tenants stay apart, from each
    other and from the host itself as a customer."""
    held = np.zeros(len(domain.values), dtype=bool)
    held[domain.codes[domain.codes >= 0]] = True
    if not held.any():
        return domain
    values = pd.Series(domain.values, dtype="str")
    parent = registrable_domains(values)
    at = pd.Index(values).get_indexer(parent)
    under = [
        value[: -len(top) - 1].split(".") if top and value.endswith("." + top) else []
        for value, top in zip(values.tolist(), parent.tolist(), strict=True)
    ]
    hosted = np.array(
        [bool(labels) and all(label in _HOST_LABELS or len(label) == 2 for label in labels) for labels in under],
        dtype=bool,
    )
    reads = (at >= 0) & hosted & held[np.maximum(at, 0)]
    return domain.read_as(np.where(reads, at, np.arange(len(values))))


def _domains_read_through_slips(company: Coded, domain: Coded) -> Coded:
    """Company domains one slip of the keyboard (`one_slip_apart`) from another domain found under the same company
    name, read as the more common of the two: a work address typed 'karen@pririezenith.de' at Prairiezenith would
    otherwise give the company a second domain, and a name that two domains carry is trusted for neither."""
    both = np.flatnonzero(company.present() & domain.present())
    pairs = pd.DataFrame({"name": company.codes[both], "domain": domain.codes[both]}).drop_duplicates()
    if not pairs["name"].duplicated().any():
        return domain
    rows = np.arange(len(pairs), dtype=np.int64)
    left, right = pairs_in_blocks(rows, pairs["name"].to_numpy(np.int64), _DOMAINS_PER_NAME)
    domains_a, domains_b = pairs["domain"].to_numpy(np.int64)[left], pairs["domain"].to_numpy(np.int64)[right]
    values = np.asarray(domain.values, dtype=object)
    slips = one_slip_apart(values[domains_a], values[domains_b])
    if not slips.any():
        return domain
    held = np.bincount(domain.codes[domain.present()], minlength=len(values))
    a, b = domains_a[slips], domains_b[slips]
    rare, common = np.where(held[a] < held[b], a, b), np.where(held[a] < held[b], b, a)
    labels = connected_components(len(values), rare, common)  # a chain of slips reads as its most common domain
    order = np.lexsort((np.arange(len(values)), -held))
    first = np.full(len(values), len(values), dtype=np.int64)
    np.minimum.at(first, labels[order], np.arange(len(values)))
    return domain.read_as(order[first[labels]])


_DOMAINS_PER_NAME = 20
"""Distinct domains under one company name beyond which the name is not searched for mistyped ones."""


UNREAD_PHONE = "unread:"
"""Marks a phone matching compares as written because it could not be read as E.164 (`_phones_as_compared`)."""


def _phones_as_compared(records: pd.DataFrame, e164: Coded) -> Coded:
    """Phones as matching compares them: E.164 where the number could be read, and where libphonenumber rejects it
    (a digit short, a range it does not know) the digits as written, with an international '00' read as '+': the
    same unreadable number on two records still agrees. Under seven digits, or one digit repeated, is no number.
    Only matching sees these; the hub shows and writes back E.164 alone."""
    codes, uniques = pd.factorize(_column(records, "phone"))
    text = as_text(pd.Series(uniques)).str.strip()
    digits = text.str.replace(r"\D", "", regex=True)
    international = text.str.startswith("+") | digits.str.startswith("00")
    digits = digits.where(~digits.str.startswith("00"), digits.str[2:])
    usable = (digits.str.len() >= 7) & ~digits.str.fullmatch(r"(\d)\1*")
    written = (UNREAD_PHONE + international.map({True: "+", False: ""}).astype("str") + digits).where(usable, "")
    return Coded.choose(e164.present(), e164, Coded.from_unique(codes, written))


def names_a_person(full_name: Coded, company: Coded, personal_address: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which records' names are people's, and which records' company name is only their own name.

    A name is really a company's when it ends in a legal form ('Acme Inc') or equals the record's own company name
    (Stripe customers are often named after the company) - unless the record's address is a personal one at a
    free-mail provider: then the tool copied the buyer's name into the company field ('Lars Harris' buying as
    himself), the name is a person's and the company field says nothing about an account. The name is compared
    as a company name, so a legal form that could be a surname ('Nova Consulting Co.') still makes it equal."""
    both = np.flatnonzero(full_name.present() & company.present())
    name_is_company = _per_record(names_a_company(pd.Series(full_name.values, dtype="str")), full_name)
    as_company = normalize_company_names(pd.Series(full_name.values, dtype="str")).to_numpy(dtype=object)
    same = np.zeros(len(full_name.codes), dtype=bool)
    same[both] = as_company[full_name.codes[both]] == company.text(both)
    own_name = same & personal_address & ~name_is_company
    return ~(name_is_company | (same & ~own_name)), own_name


@dataclass(frozen=True)
class SharedKeys:
    """The ids records carry of other records ('stripe_customer:cus_L'), one entry per record and key: the record's
    position and the key's code. Split once here, as text, for both the account evidence and the links it makes."""

    records: np.ndarray
    codes: np.ndarray

    @classmethod
    def split(cls, shared: pd.Series) -> SharedKeys:
        """From each record's ';'-separated keys (`shared`, indexed by record position)."""
        records: list[int] = []
        keys: list[str] = []
        for record, text in zip(shared.index.tolist(), shared.tolist(), strict=True):
            for key in text.split(";"):
                if key := key.strip():
                    records.append(record)
                    keys.append(key)
        codes = pd.factorize(np.array(keys, dtype=object))[0] if keys else np.zeros(0, dtype=np.int64)
        return cls(np.array(records, dtype=np.int64), np.asarray(codes, dtype=np.int64))

    def holders(self, size: int) -> np.ndarray:
        """True for records carrying a key that some other record carries too. A key only a record's own id
        produces (a HubSpot contact's own id) links nothing, so it is no evidence of an account."""
        flags = np.zeros(size, dtype=bool)
        if len(self.codes):
            shared = np.bincount(self.codes)[self.codes] > 1
            flags[self.records[shared]] = True
        return flags


def _company_as_name(records: pd.DataFrame, wanted: np.ndarray) -> Coded:
    """The company names of the `wanted` records read as a person's full name, as `joined_names` writes full names
    ('priya miller'; 'Miller, Priya' is read last name first); empty where the name has fewer than two parts or
    ends in a legal form, and for the other records (people and records with a domain are placed by other
    evidence). Word order counts: 'Morgan Stanley' is not Stanley Morgan."""

    def names(values: pd.Series) -> pd.Series:
        split = split_full_names(values)
        first, last = split["first_name"], split["last_name"]
        full = first + " " + last
        return full.where((first != "") & (last != "") & ~names_a_company(full), "")

    return Coded.normalise(_column(records, "company_name").where(wanted), names)


def prepare(records: pd.DataFrame, settings: ResolutionSettings) -> Features:
    """Normalise `records` for matching (see `Features`)."""
    fields = normalise(records, settings)
    first, last = fields.own_names()
    unnamed = ~first.present() & ~last.present()
    first = Coded.choose(~unnamed, first, fields.address_first)
    last = Coded.choose(~unnamed, last, fields.address_last)
    full_name, name_key = joined_names(first, last)
    personal = fields.email.present() & ~fields.email_is_role
    is_named, own_name = names_a_person(full_name, fields.company, personal & fields.email_is_free)
    first, last, full_name, name_key = (part.where(is_named) for part in (first, last, full_name, name_key))
    company = fields.company.where(~own_name)
    company_domain = _domains_read_through_slips(company, _subdomains_read_as_held(fields.company_domain))

    shared = as_text(_column(records, "shared_keys")).str.strip()
    shared = SharedKeys.split(shared[(shared != "").to_numpy(dtype=bool, copy=True)])
    is_person = ~_account_only_flags(records) & (full_name.present() | personal)
    has_shared_key = shared.holders(fields.record_id.size)
    return Features(
        record_id=fields.record_id,
        email=fields.email,
        personal_email=fields.email.where(personal),
        person_email=fields.email.where(personal & is_person),
        email_domain=fields.email_domain,
        email_is_free=fields.email_is_free,
        first=first,
        last=last,
        full_name=full_name,
        name_key=name_key,
        first_initial=_initials(first),
        last_initial=_initials(last),
        company=company,
        company_domain=company_domain,
        phone=_phones_as_compared(records, fields.phone),
        street=Coded.normalise(_column(records, "street"), normalize_streets),
        city=Coded.normalise(_column(records, "city"), normalize_cities),
        postcode=Coded.normalise(_column(records, "postcode"), normalize_postcodes),
        country=fields.country,
        birth_date=Coded.normalise(_column(records, "birth_date"), normalize_birth_dates),
        shared_keys=shared,
        is_person=is_person,
        has_account_evidence=company.present() | company_domain.present() | has_shared_key,
        states_name=~unnamed & full_name.present(),
        company_as_name=_company_as_name(records, ~is_person & ~company_domain.present()),
    )
