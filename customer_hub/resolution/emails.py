"""Email addresses in the form that identifies a mailbox, and role mailboxes that identify no person.

Gmail ignores dots and anything after '+' in the local part, so 'J.Smith+stripe@googlemail.com' reaches the same
person as 'jsmith@gmail.com'. Sub-addressing with '+' is honoured by most other providers too, so the tag is dropped
everywhere. Role mailboxes (billing@, info@...) are read by whoever holds the job: they link an account, never a
person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from customer_hub.resolution.pair_similarity import given_names_agree, one_slip_apart
from customer_hub.resolution.text import map_unique, squash_spaces, words

ROLE_MAILBOXES = words(
    "billing info accounts account accounting accountspayable accountsreceivable ap ar invoices invoice "
    "invoicing sales support help helpdesk admin administrator finance hello contact contactus office team "
    "enquiries enquiry inquiries inquiry orders order payments payables receivables purchasing procurement "
    "noreply donotreply webmaster postmaster hostmaster marketing hr jobs careers press media legal service "
    "services customerservice customercare reception mail general operations ops it security abuse privacy "
    "compliance bookkeeping accountant partners partnerships"
)
"""Local parts (with '.', '-' and '_' removed) that name a function rather than a person."""

_VALID_EMAIL = r"[^@ ]+@[^@ ]+\.[^@ ]+"
_DIGITS = re.compile(r"\D")
_NOT_A_LETTER = re.compile(r"[^a-z]")
_TRANSLITERATED = re.compile(r"([aou])e")
"""'ae', 'oe', 'ue': how an address spells the umlaut a name folds to its bare vowel ('mueller' for Müller)."""
_NAMED_ADDRESS = r"^[^<>@]*< ?(?:mailto:)? ?([^<> ]+@[^<> ]+) ?>[^<>@]*$"
"""An address written with its owner's name, as mail clients copy it: 'Pam Beesly <pam@dundermifflin.com>' (spaces
squashed first; one address only: with another beside it, whose is it?)."""


def addresses_as_written(values: pd.Series) -> pd.Series:
    """Each address as its owner writes it, trimmed and lower case, without a name around it, a 'mailto:' in front
    or a space typed beside its '@' ('Pam <Pam.B+crm@X.com>' -> 'pam.b+crm@x.com'; 'jo @acme.com' -> 'jo@acme.com'):
    dots and tags stay, the canonical mailbox is for matching only."""
    text = squash_spaces(values).str.lower().str.replace(r" ?@ ?", "@", regex=True)
    text = text.str.replace(_NAMED_ADDRESS, r"\1", regex=True)
    return text.str.replace(r"^mailto:", "", regex=True)


def _normalise_emails(values: pd.Series, role_mailboxes: frozenset[str]) -> pd.DataFrame:
    text = addresses_as_written(values)
    valid = text.str.fullmatch(_VALID_EMAIL)
    local = text.str.replace(r"@[^@]*$", "", regex=True).str.replace(r"\+.*$", "", regex=True)
    domain = text.str.replace(r"^.*@", "", regex=True).str.strip(".")
    domain = domain.where(domain != "googlemail.com", "gmail.com")
    mailbox = local.where(domain != "gmail.com", local.str.replace(".", "", regex=False))
    valid &= local != ""
    role = local.str.replace(r"[.\-_]", "", regex=True).isin(role_mailboxes) & valid
    return pd.DataFrame(
        {
            "email": (mailbox + "@" + domain).where(valid, ""),
            "email_domain": domain.where(valid, ""),
            "email_is_role": role.astype(bool),
            "local_part": local.where(valid, ""),
        }
    )


def normalize_emails(values: pd.Series, extra_role_mailboxes: Iterable[str] = ()) -> pd.DataFrame:
    """Columns `email` (canonical address, '' if unreadable), `email_domain`, `email_is_role` and `local_part`
    (lower case, +tag dropped, dots kept: the part a name can be read from), row for row."""
    roles = ROLE_MAILBOXES | {re.sub(r"[.\-_]", "", role.lower()) for role in extra_role_mailboxes}
    return map_unique(values, lambda unique: _normalise_emails(unique, roles))


def normalize_email(value: str | None) -> str:
    """One address in canonical form: 'J.Smith+crm@GoogleMail.com ' -> 'jsmith@gmail.com'; '' if unreadable."""
    return str(normalize_emails(pd.Series([value]))["email"][0])


def is_role_mailbox(value: str | None, extra_role_mailboxes: Iterable[str] = ()) -> bool:
    """Whether an address is a shared function mailbox (billing@, info@...) rather than a person's."""
    return bool(normalize_emails(pd.Series([value]), extra_role_mailboxes)["email_is_role"][0])


def one_typo_apart(addresses_a: np.ndarray, addresses_b: np.ndarray) -> np.ndarray:
    """Per pair, whether two different addresses are one slip of the keyboard apart (`one_slip_apart`: a letter
    dropped, doubled, two swapped: 'laura.sngh@' for 'laura.singh@', 'marrtinlabs.com' for 'martinlabs.com') with
    the same digits. A changed letter or a digit is how a company tells colleagues with one first name ('robertt@',
    'robertw@') or namesakes ('jsmith@', 'jsmith2@') apart."""
    typo = one_slip_apart(addresses_a, addresses_b)
    for position in np.flatnonzero(typo).tolist():
        typo[position] = _DIGITS.sub("", addresses_a[position]) == _DIGITS.sub("", addresses_b[position])
    return typo


def name_skeleton(text: str) -> str:
    """A name or a local part as letters alone, umlauts spelled out read as their vowel: 'anna.mueller' and
    'anna muller' (Anna Müller, folded) both read 'annamuller'."""
    return _TRANSLITERATED.sub(r"\1", _NOT_A_LETTER.sub("", text.lower()))


def spells_name(local_part: str, first: str, last: str) -> bool:
    """Whether an address's local part is one of the ways a company spells an employee's name: first.last, flast,
    first, firstl, last, last.first, lastf (any separator), where the first name spelled out may also be the name
    the employee goes by ('bob.smith' for Robert Smith, 'william.brown' for Bill Brown: `given_names_agree`). A
    digit anywhere says no: it is how a company tells a second John Smith ('john.smith2') from the first."""
    if any(character.isdigit() for character in local_part):
        return False
    given, family, spelled = name_skeleton(first), name_skeleton(last), name_skeleton(local_part)
    if len(given) < 2 or len(family) < 2 or not spelled:
        return False
    forms = {given + family, family + given, given[0] + family, given + family[0], family + given[0], given, family}
    if spelled in forms:
        return True
    known_as = {spelled, spelled.removesuffix(family), spelled.removeprefix(family)}  # alone or beside the surname
    return any(len(name) >= 2 and given_names_agree(name, given) for name in known_as)
