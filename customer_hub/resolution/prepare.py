"""From raw canonical records to the coded, normalised columns matching works on.

Every column is optional except `record_id`: tools hold different subsets of the identity fields. Whether a record
names a person is read from the data unless the record says it describes an account only (a HubSpot company, an
invoice): a person name or a personal (non-role) address makes it a person record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from customer_hub.resolution.companies import names_a_company, normalize_company_names
from customer_hub.resolution.domains import free_mail_mask, normalize_domains
from customer_hub.resolution.emails import normalize_emails
from customer_hub.resolution.names import normalize_person_names, split_full_names
from customer_hub.resolution.phones import e164_coded
from customer_hub.resolution.places import normalize_cities, normalize_countries, normalize_postcodes
from customer_hub.resolution.settings import ResolutionSettings
from customer_hub.resolution.text import Coded, as_text

_TRUE_TEXT = frozenset({"true", "1", "yes", "y", "t"})


@dataclass(frozen=True)
class Features:
    """Normalised fields, one entry per record in input order.

    `email` is the canonical address (role mailboxes included), `person_email` only a person record's personal
    address. `company_domain` is the stated web domain or else the domain of a non-free-mail address. Initials are
    character codes (0 where there is no name) so that blocks can be built with integer arithmetic.
    """

    record_id: pd.Series
    email: Coded
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
    city: Coded
    postcode: Coded
    shared_keys: pd.Series
    is_person: np.ndarray
    has_account_evidence: np.ndarray

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


def _names(records: pd.DataFrame) -> tuple[Coded, Coded]:
    """First and last names from the given parts, or else split from `full_name`."""
    first_given = Coded.normalise(_column(records, "first_name"), normalize_person_names)
    last_given = Coded.normalise(_column(records, "last_name"), normalize_person_names)
    codes, uniques = pd.factorize(_column(records, "full_name"))
    split = split_full_names(as_text(pd.Series(uniques)))
    use_given = first_given.present() | last_given.present()
    first = Coded.choose(use_given, first_given, Coded.from_unique(codes, split["first_name"]))
    last = Coded.choose(use_given, last_given, Coded.from_unique(codes, split["last_name"]))
    return first, last


def _joined_names(first: Coded, last: Coded) -> tuple[Coded, Coded]:
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


def prepare(records: pd.DataFrame, settings: ResolutionSettings) -> Features:
    """Normalise `records` for matching (see `Features`)."""
    if "record_id" not in records.columns:
        raise ValueError("records need a record_id column")
    record_id = as_text(_column(records, "record_id"))
    if record_id.duplicated().any():
        raise ValueError("record_id values must be unique")

    email_codes, email_uniques = pd.factorize(_column(records, "email"))
    emails = normalize_emails(as_text(pd.Series(email_uniques)), settings.role_mailboxes)
    email = Coded.from_unique(email_codes, emails["email"])
    email_domain = Coded.from_unique(email_codes, emails["email_domain"])
    role = np.append(emails["email_is_role"].to_numpy(dtype=bool, copy=True), False)[email_codes]
    email_is_free = _free_mail(email_domain, settings)

    first, last = _names(records)
    unnamed = ~first.present() & ~last.present()
    first_in_address, last_in_address = _names_in_addresses(email_codes, emails)
    first = Coded.choose(~unnamed, first, first_in_address)
    last = Coded.choose(~unnamed, last, last_in_address)
    full_name, name_key = _joined_names(first, last)
    company = Coded.normalise(_column(records, "company_name"), normalize_company_names)
    both = np.flatnonzero(full_name.present() & company.present())
    name_is_company = _per_record(names_a_company(pd.Series(full_name.values, dtype="str")), full_name)
    name_is_company[both] |= full_name.text(both) == company.text(both)
    is_named = ~name_is_company
    first, last, full_name, name_key = (part.where(is_named) for part in (first, last, full_name, name_key))

    explicit_domain = Coded.normalise(_column(records, "company_domain"), normalize_domains)
    explicit_domain = explicit_domain.where(~_free_mail(explicit_domain, settings))
    company_domain = Coded.choose(explicit_domain.present(), explicit_domain, email_domain.where(~email_is_free))

    country = Coded.normalise(_column(records, "country"), normalize_countries)
    phone = e164_coded(_column(records, "phone"), country, settings.default_phone_region)
    shared = as_text(_column(records, "shared_keys")).str.strip()
    shared = shared[(shared != "").to_numpy(dtype=bool, copy=True)]

    personal = email.present() & ~role
    is_person = ~_account_only_flags(records) & (full_name.present() | personal)
    has_shared_key = np.zeros(len(record_id), dtype=bool)
    has_shared_key[shared.index.to_numpy()] = True
    return Features(
        record_id=record_id,
        email=email,
        person_email=email.where(personal & is_person),
        email_domain=email_domain,
        email_is_free=email_is_free,
        first=first,
        last=last,
        full_name=full_name,
        name_key=name_key,
        first_initial=_initials(first),
        last_initial=_initials(last),
        company=company,
        company_domain=company_domain,
        phone=phone,
        city=Coded.normalise(_column(records, "city"), normalize_cities),
        postcode=Coded.normalise(_column(records, "postcode"), normalize_postcodes),
        shared_keys=shared,
        is_person=is_person,
        has_account_evidence=company.present() | company_domain.present() | has_shared_key,
    )
