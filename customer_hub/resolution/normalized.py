"""Each record's identity fields in the normalised forms matching compares, for people to read.

A steward checking why two records were (or were not) linked needs to see what the engine saw:
'J.Smith+crm@GoogleMail.com' is the mailbox jsmith@gmail.com, billing@ is an account's mailbox and not a person's,
'The ACME Corp.' is 'acme', a gmail.com address names no company, '(505) 555-0142' is +15055550142. The forms come
from `prepare.normalise`, the same vectorised pass matching uses, so this view and the matching never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_hub.resolution.prepare import joined_names, names_a_person, normalise
from customer_hub.resolution.settings import ResolutionSettings, coerce_settings
from customer_hub.resolution.text import Coded

NORMALIZED_COLUMNS = (
    "record_id",
    "email_normalized",
    "is_role_mailbox",
    "company_name_normalized",
    "company_domain_normalized",
    "phone_e164",
    "first_name_normalized",
    "last_name_normalized",
    "full_name_normalized",
    "names_swapped",
)
"""The columns of `normalize_records`, in order."""

SWAP_MIN_USES = 4
"""Records that must use a name part in one place before that use says anything: a small hub proves nothing."""
SWAP_RATIO = 3
"""A name part counts as a surname when at least `SWAP_RATIO` times as many records use it as one as use it as a
first name (and the other way round for a first name), so a part common both ways ('Thomas', 'Morgan') rarely
decides."""


def _crossed(first: Coded, last: Coded, other_first: Coded, other_last: Coded) -> np.ndarray:
    """Where a record's two different name parts are the other reading's, the other way round."""
    own_first, own_last = first.text(), last.text()
    both = (own_first != "") & (own_last != "") & (own_first != own_last)
    return both & (own_first == other_last.text()) & (own_last == other_first.text())


@dataclass(frozen=True)
class NameUses:
    """How many records use each name part as a first name and as a last name: the hub-wide evidence that one
    record's names were entered the other way round. Kept apart from the records it judges, so a run can judge a
    few changed records against the whole hub's counts without normalising every record again."""

    as_first: pd.Series
    as_last: pd.Series

    @classmethod
    def of(cls, first: Iterable[str | None], last: Iterable[str | None]) -> NameUses:
        """Counted from each record's first and last name part, before any swap ('' or None where it has none)."""

        def counts(parts: Iterable[str | None]) -> pd.Series:
            values = pd.Series(list(parts), dtype="str")
            return values[values.notna() & (values != "")].value_counts()

        return cls(counts(first), counts(last))

    def roles(self) -> pd.DataFrame:
        """Per name part, whether the records prove it a surname and whether they prove it a first name."""
        parts = self.as_first.index.union(self.as_last.index)
        as_first = self.as_first.reindex(parts, fill_value=0).to_numpy()
        as_last = self.as_last.reindex(parts, fill_value=0).to_numpy()
        return pd.DataFrame(
            {
                "surname": (as_last >= SWAP_MIN_USES) & (as_last >= SWAP_RATIO * as_first),
                "first_name": (as_first >= SWAP_MIN_USES) & (as_first >= SWAP_RATIO * as_last),
            },
            index=parts,
        )

    def swapped(self, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Where a record's first name is proven a surname and its surname a first name ('' where it has none)."""
        roles = self.roles()
        surname = roles["surname"].reindex(pd.Index(first, dtype="str"), fill_value=False).to_numpy(dtype=bool)
        given = roles["first_name"].reindex(pd.Index(last, dtype="str"), fill_value=False).to_numpy(dtype=bool)
        return (first != "") & (last != "") & surname & given

    def deciding(self, other: NameUses) -> list[str]:
        """The name parts whose role (surname, first name, neither) differs between these uses and `other`: only
        records holding one of them can be judged differently."""
        mine, theirs = self.roles(), other.roles()
        parts = mine.index.union(theirs.index)
        moved = mine.reindex(parts, fill_value=False) != theirs.reindex(parts, fill_value=False)
        return parts[moved.any(axis=1).to_numpy()].tolist()


def record_name_parts(
    records: pd.DataFrame, settings: ResolutionSettings | Mapping[str, Any] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each of `records`' first and last name part as `NameUses` counts them, before their swaps can be judged
    (which needs the hub's counts, these included). Phones are not read: no name depends on them."""
    without_phones = records.drop(columns=["phone"], errors="ignore")
    return name_parts(normalize_records(without_phones, settings, NameUses.of((), ())))


def name_parts(normalized: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each record's first and last name part as `NameUses` counts them (before any swap; '' where none), from
    `normalize_records`' output."""
    first = normalized["first_name_normalized"].fillna("").to_numpy(dtype=object)
    last = normalized["last_name_normalized"].fillna("").to_numpy(dtype=object)
    swapped = normalized["names_swapped"].to_numpy(dtype=bool)
    return np.where(swapped, last, first), np.where(swapped, first, last)


def normalize_records(
    records: pd.DataFrame,
    settings: ResolutionSettings | Mapping[str, Any] | None = None,
    uses: NameUses | None = None,
) -> pd.DataFrame:
    """One row per record, in input order, with the normalised form of each identity field ('' where the record
    has no usable value):

    - `email_normalized`: the mailbox the address reaches: trimmed, lower case, '+tag' dropped, Gmail dots ignored,
      googlemail.com read as gmail.com ('J.Smith+crm@GoogleMail.com ' -> 'jsmith@gmail.com').
    - `is_role_mailbox`: the address is a function's (billing@, info@, accounts@...): it identifies an account,
      never a person.
    - `company_name_normalized`: case, accents, punctuation, a leading (or, after a comma, trailing) 'The', legal
      forms, a trading name after 'd/b/a', a former name and a department dropped, abbreviated words spelled out
      ('The ACME Corp.' -> 'acme'; 'Soylent Corp dba Soylent Foods' -> 'soylent'; 'Hooli Intl Inc - Billing' -> 'hooli
      international').
    - `company_domain_normalized`: the stated website's bare host, or else the domain of the email address; never a
      free-mail provider's ('https://www.Acme.com/about' -> 'acme.com'; 'jo@gmail.com' -> '').
    - `phone_e164`: the number in E.164, read with the record's country or `settings.default_phone_region`
      ('(505) 555-0142' -> '+15055550142'); '' when libphonenumber's rules say it is not a valid number.
    - `first_name_normalized`, `last_name_normalized`, `full_name_normalized`: without case, accents, titles,
      punctuation or stray whitespace, from the first/last name fields or else `full_name` ('Smith, John' is read
      last name first); '' where the name is really a company's ('Acme Inc', or the record's own company name).
    - `company_name_normalized`: '' where the company field only repeats the buyer's own name on a personal
      free-mail record (an individual customer, not a company).
    - `names_swapped`: first and last name were entered the other way round and are given back in their right
      places. Evidence: the record's own full name says so, or the other records use its first name as a surname
      and its surname as a first name (see `SWAP_RATIO`): those of `records`, or the hub's as counted in `uses`.

    Same settings as `resolve` (`role_mailboxes`, `free_mail_domains`, `default_phone_region`); `record_id` is
    required and unique.
    """
    config = coerce_settings(settings)
    fields = normalise(records, config)
    first, last = fields.own_names()
    personal = fields.email.present() & ~fields.email_is_role & fields.email_is_free
    is_named, own_name = names_a_person(joined_names(first, last)[0], fields.company, personal)
    first, last = first.where(is_named), last.where(is_named)
    company = fields.company.where(~own_name)
    own_first, own_last = first.text(), last.text()
    uses = uses if uses is not None else NameUses.of(own_first, own_last)
    swapped = _crossed(first, last, fields.split_first, fields.split_last) | uses.swapped(own_first, own_last)
    first, last = Coded.choose(~swapped, first, last), Coded.choose(~swapped, last, first)

    def text(column: Coded) -> pd.Series:
        return pd.Series(column.text(), dtype="str")

    return pd.DataFrame(
        {
            "record_id": fields.record_id,
            "email_normalized": text(fields.email),
            "is_role_mailbox": fields.email_is_role,
            "company_name_normalized": text(company),
            "company_domain_normalized": text(fields.company_domain),
            "phone_e164": text(fields.phone),
            "first_name_normalized": text(first),
            "last_name_normalized": text(last),
            "full_name_normalized": text(joined_names(first, last)[0]),
            "names_swapped": swapped,
        },
        columns=list(NORMALIZED_COLUMNS),
    )
