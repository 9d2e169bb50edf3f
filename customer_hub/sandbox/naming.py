"""People's names, company names and mailboxes for a world of a given size.

A world of 2,000 customers (scale 1) draws from the base word lists, with a few common names over-represented so
that strangers share names. A larger world is a larger customer base, not the small one's names repeated: it holds
more distinct given names, family names and company words. Each pool grows with the square root of the scale and
the common names' share shrinks the same way, so the chance that two people share a full name falls about as fast
as the number of people grows: a person has about as many namesakes, and a company as many look-alike names, at
scale 20 as at scale 1, instead of twenty times as many. Worlds up to scale 1 draw exactly as they always did.

Mailboxes are unique, as a mail provider or a company's mail server makes them: a second John Smith at gmail.com
becomes john.smith84 or john.smith1979, a second David at one company david.lee.
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
    SURNAME_ENDINGS,
    SURNAME_ROOTS,
)

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


def grown(base: tuple[str, ...], more: tuple[str, ...], scale: float) -> tuple[str, ...]:
    """`base` plus as many of `more` as make it sqrt(scale) times as long (all of `more` at most)."""
    size = round(len(base) * math.sqrt(max(scale, 1.0)))
    return base + more[: max(0, size - len(base))]


def mailbox_key(email: str) -> str:
    """The mailbox an address reaches: case never matters, and Gmail ignores dots in the local part."""
    local, _, domain = email.lower().partition("@")
    return f"{local.replace('.', '')}@{domain}" if domain == "gmail.com" else f"{local}@{domain}"


class Naming:
    """The name pools for one world, and the mailboxes handed out so far.

    Draws go through the world's own random stream (so the rest of the world does not shift), except the numbers
    that make a taken personal mailbox unique, which come from a stream of their own: a clash changes only the
    address that clashed.
    """

    def __init__(self, seed: int, scale: float) -> None:
        self.first_names = grown(FIRST_NAMES, _MORE_FIRST_NAMES, scale)
        self.last_names = grown(LAST_NAMES, _MORE_LAST_NAMES, scale)
        self.company_words = grown(COMPANY_WORDS, _MORE_COMPANY_WORDS, scale)
        self.company_nouns = grown(COMPANY_NOUNS, _MORE_COMPANY_NOUNS, scale)
        self.common_share = COMMON_NAME_SHARE / math.sqrt(max(scale, 1.0))
        self._mailboxes: set[str] = set()
        self._spare = random.Random(f"{seed}:mailboxes")

    def person(self, rng: random.Random) -> tuple[str, str]:
        """A given and a family name, common ones over-represented."""
        first = rng.choice(COMMON_FIRST_NAMES) if rng.random() < self.common_share else rng.choice(self.first_names)
        last = rng.choice(COMMON_LAST_NAMES) if rng.random() < self.common_share else rng.choice(self.last_names)
        return first, last

    def company_stem(self, rng: random.Random, used: set[str]) -> str:
        """A company name no other company in the world has (without legal suffix); a clash takes the city."""
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

    def _claim(self, email: str) -> bool:
        key = mailbox_key(email)
        if key in self._mailboxes:
            return False
        self._mailboxes.add(key)
        return True
