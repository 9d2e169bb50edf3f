"""Each record's identity fields in the normalised forms matching compares, for people to read.

A steward checking why two records were (or were not) linked needs to see what the engine saw:
'J.Smith+crm@GoogleMail.com' is the mailbox jsmith@gmail.com, billing@ is an account's mailbox and not a person's,
'The ACME Corp.' is 'acme', a gmail.com address names no company, '(505) 555-0142' is +15055550142. The forms come
from `prepare.normalise`, the same vectorised pass matching uses, so this view and the matching never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def _used_the_other_way(first: Coded, last: Coded) -> np.ndarray:
    """Where the other records mostly use this record's first name as a surname and its surname as a first name."""
    parts, vocabulary = pd.factorize(np.concatenate([first.values, last.values]))
    first_part = np.append(parts[: len(first.values)], -1)[first.codes]
    last_part = np.append(parts[len(first.values) :], -1)[last.codes]
    both = (first_part >= 0) & (last_part >= 0)
    as_first = np.bincount(first_part[first_part >= 0], minlength=len(vocabulary))
    as_last = np.bincount(last_part[last_part >= 0], minlength=len(vocabulary))
    surname = (as_last >= SWAP_MIN_USES) & (as_last >= SWAP_RATIO * as_first)
    first_name = (as_first >= SWAP_MIN_USES) & (as_first >= SWAP_RATIO * as_last)
    swapped = np.zeros(len(first.codes), dtype=bool)
    swapped[both] = surname[first_part[both]] & first_name[last_part[both]]
    return swapped


def normalize_records(
    records: pd.DataFrame, settings: ResolutionSettings | Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """One row per record, in input order, with the normalised form of each identity field ('' where the record
    has no usable value):

    - `email_normalized`: the mailbox the address reaches: trimmed, lower case, '+tag' dropped, Gmail dots ignored,
      googlemail.com read as gmail.com ('J.Smith+crm@GoogleMail.com ' -> 'jsmith@gmail.com').
    - `is_role_mailbox`: the address is a function's (billing@, info@, accounts@...): it identifies an account,
      never a person.
    - `company_name_normalized`: case, accents, punctuation, a leading 'The' and legal forms dropped
      ('The ACME Corp.' -> 'acme').
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
      and its surname as a first name (see `SWAP_RATIO`).

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
    swapped = _crossed(first, last, fields.split_first, fields.split_last) | _used_the_other_way(first, last)
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
