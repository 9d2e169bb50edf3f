"""What a world of a given size is made of: names from pools that grow with it, and mailboxes, phone numbers and
street addresses that belong to one customer each.

A world of 2,000 customers (scale 1) draws from the base word lists, with a few common names over-represented so
that strangers share names. A larger world is a larger customer base, not the small one's names repeated: it holds
more distinct given names, family names and company words. Each of those pools grows with the square root of the
scale and the common names' share shrinks the same way, so the chance that two people share a full name (or two
companies a name) falls about as fast as the number of people grows: a person has about as many namesakes at scale
20 as at scale 1, instead of twenty times as many. Streets are drawn within a city, so their list grows with the
scale itself.

Mailboxes and phone numbers are unique, as a mail provider or a phone company makes them: a second John Smith at
gmail.com becomes john.smith84 or john.smith1979, a second David at one company david.lee, a number already given
out is dialled with another exchange.

Worlds up to scale 1 draw exactly as they always did, except the few addresses and numbers that clashed: the draws
go through the world's own random stream, and only the replacements for a clash come from a stream of their own.
"""

from __future__ import annotations

import math
import random
from itertools import chain, count, product

from customer_hub.sandbox.messiness import slug
from customer_hub.sandbox.vocabulary import (
    CITIES,
    COMMON_FIRST_NAMES,
    COMMON_LAST_NAMES,
    COMPANY_NOUNS,
    COMPANY_WORDS,
    EXTRA_COMPANY_NOUNS,
    EXTRA_COMPANY_WORDS,
    EXTRA_FIRST_NAMES,
    EXTRA_LAST_NAMES,
    FIRST_NAMES,
    LAST_NAMES,
    STREET_TYPES,
    STREETS,
    SURNAME_ENDINGS,
    SURNAME_ROOTS,
)

City = tuple[str, str, str, str, str, str]

COMMON_NAME_SHARE = 0.25
"""How often a scale-1 world draws a given (or family) name from the common ones rather than the whole list."""


def _shuffled(words: list[str], label: str) -> tuple[str, ...]:
    """A fixed order for a list's extra words, so that a world takes a varied prefix of them, not the A-words."""
    random.Random(f"sandbox-vocabulary:{label}").shuffle(words)
    return tuple(words)


_MORE_LAST_NAMES = _shuffled(
    [*EXTRA_LAST_NAMES, *(root + ending for root, ending in product(SURNAME_ROOTS, SURNAME_ENDINGS))], "last"
)
_MORE_FIRST_NAMES = _shuffled(list(EXTRA_FIRST_NAMES), "first")
_MORE_COMPANY_WORDS = _shuffled(list(EXTRA_COMPANY_WORDS), "words")
_MORE_COMPANY_NOUNS = _shuffled(list(EXTRA_COMPANY_NOUNS), "nouns")
_MORE_STREETS = _shuffled(
    [street for street in (f"{word} {kind}" for word, kind in product(COMPANY_WORDS, STREET_TYPES))
     if street not in STREETS],
    "streets",
)  # fmt: skip


def grown(base: tuple[str, ...], more: tuple[str, ...], factor: float) -> tuple[str, ...]:
    """`base` plus as many of `more` as make it `factor` times as long (all of `more` at most, never shorter)."""
    size = round(len(base) * max(factor, 1.0))
    return base + more[: max(0, size - len(base))]


def mailbox_key(email: str) -> str:
    """The mailbox an address reaches: case never matters, and Gmail ignores dots in the local part."""
    local, _, domain = email.lower().partition("@")
    return f"{local.replace('.', '')}@{domain}" if domain == "gmail.com" else f"{local}@{domain}"


class Population:
    """The pools one world draws from, and the mailboxes and phone numbers handed out so far."""

    def __init__(self, seed: int, scale: float) -> None:
        root = math.sqrt(max(scale, 1.0))
        self.first_names = grown(FIRST_NAMES, _MORE_FIRST_NAMES, root)
        self.last_names = grown(LAST_NAMES, _MORE_LAST_NAMES, root)
        self.company_words = grown(COMPANY_WORDS, _MORE_COMPANY_WORDS, root)
        self.company_nouns = grown(COMPANY_NOUNS, _MORE_COMPANY_NOUNS, root)
        self.streets = grown(STREETS, _MORE_STREETS, scale)
        self.common_share = COMMON_NAME_SHARE / root
        self._mailboxes: set[str] = set()
        self._phones: set[str] = set()
        self._spare = random.Random(f"{seed}:clashes")

    def person(self, rng: random.Random) -> tuple[str, str]:
        """A given and a family name, common ones over-represented."""
        first = rng.choice(COMMON_FIRST_NAMES) if rng.random() < self.common_share else rng.choice(self.first_names)
        last = rng.choice(COMMON_LAST_NAMES) if rng.random() < self.common_share else rng.choice(self.last_names)
        return first, last

    def company_stem(self, rng: random.Random, used: set[str]) -> str:
        """A company name no other company in the world has (without legal suffix); a clash takes a city."""
        while True:
            shape = rng.random()
            if shape < 0.55:
                stem = f"{rng.choice(self.company_words)} {rng.choice(self.company_nouns)}"
            elif shape < 0.8:
                stem = f"{rng.choice(self.company_words)}{rng.choice(self.company_words).lower()}"
            else:
                stem = f"{rng.choice(self.last_names)} {rng.choice(self.company_nouns)}"
            if stem in used:
                stem = f"{stem} {rng.choice(CITIES)[0]}"
            if stem not in used:
                used.add(stem)
                return stem

    def street(self, rng: random.Random) -> str:
        """A house number and a street."""
        return f"{rng.randrange(1, 999)} {rng.choice(self.streets)}"

    def work_address(self, local: str, first: str, last: str, domain: str) -> str:
        """`local@domain` for a colleague, or the company's next pattern when a namesake already holds it."""
        full = f"{slug(first)}.{slug(last)}"
        candidates = chain((local, full, full.replace(".", "")), (f"{full}{n}" for n in count(2)))
        return next(email for email in (f"{c}@{domain}" for c in candidates) if self._claim(email))

    def personal_address(self, mailbox: str, first: str, last: str, provider: str) -> str:
        """`mailbox@provider`, or with a number the provider's sign-up would suggest when it is taken."""
        email = f"{mailbox}@{provider}"
        while not self._claim(email):
            number = self._spare.randrange(1950, 2006) if self._spare.random() < 0.5 else self._spare.randrange(100)
            email = f"{slug(first)}.{slug(last)}{number}@{provider}"
        return email

    def phone(self, rng: random.Random, city: City) -> str:
        """A number in the city's area (E.164) that nobody else in the world has."""
        country, area = city[4], city[5]
        if country == "1":
            number = f"+1{area}555{rng.randrange(100, 10000):04d}"
            while number in self._phones:
                number = f"+1{area}{self._spare.randrange(200, 1000)}{self._spare.randrange(10000):04d}"
        else:
            number = f"+{country}{area}{rng.randrange(1000000, 9999999)}"
            while number in self._phones:
                number = f"+{country}{area}{self._spare.randrange(1000000, 9999999)}"
        self._phones.add(number)
        return number

    def _claim(self, email: str) -> bool:
        key = mailbox_key(email)
        if key in self._mailboxes:
            return False
        self._mailboxes.add(key)
        return True
