"""How real records drift away from the truth when people type them into different tools.

Every function takes the seeded `random.Random` so that the same seed produces the same mess.
"""

import random
import re

_SUFFIX_VARIANTS = {
    "Inc": ("Inc", "Inc.", "Incorporated", "INC"),
    "Inc.": ("Inc", "Inc.", "inc."),
    "Corp": ("Corp", "Corp.", "Corporation", "CORP"),
    "Corporation": ("Corporation", "Corp", "Corp."),
    "LLC": ("LLC", "L.L.C.", "llc"),
    "Ltd": ("Ltd", "Ltd.", "Limited"),
    "GmbH": ("GmbH", "GMBH", "Gmbh"),
    "Co.": ("Co.", "Company", "Co"),
}


def typo(rng: random.Random, text: str) -> str:
    """One keyboard slip: a swapped, dropped or doubled letter inside a word."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 4:
        return text
    i = rng.choice(letters[1:-1])
    kind = rng.randrange(3)
    if kind == 0 and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def company_name_variant(rng: random.Random, stem: str, suffix: str) -> str:
    """The company's name as someone typed it: suffix variants, case, the odd typo."""
    options = _SUFFIX_VARIANTS.get(suffix, (suffix,))
    chosen_suffix = rng.choice(options + ("",)) if rng.random() < 0.6 else suffix
    name = f"{stem} {chosen_suffix}".strip()
    roll = rng.random()
    if roll < 0.08:
        name = name.upper()
    elif roll < 0.12:
        name = name.lower()
    elif roll < 0.18:
        name = typo(rng, name)
    elif roll < 0.22:
        name = name.replace(" ", "  ", 1) + " "
    return name


def email_case_variant(rng: random.Random, email: str) -> str:
    """Same mailbox, different capitalisation (mail systems ignore case)."""
    local, _, domain = email.partition("@")
    if rng.random() < 0.5:
        return f"{local.title()}@{domain}"
    return email.upper() if rng.random() < 0.3 else f"{local}@{domain.capitalize()}"


def gmail_alias(rng: random.Random, email: str, tag: str) -> str:
    """The same Gmail inbox written with dots and/or a +tag, which Gmail delivers to one person."""
    local, _, domain = email.partition("@")
    plain = local.replace(".", "")
    if len(plain) > 3 and rng.random() < 0.6:
        cut = rng.randrange(1, len(plain) - 1)
        plain = plain[:cut] + "." + plain[cut:]
    return f"{plain}+{tag}@{domain}" if rng.random() < 0.7 else f"{plain}@{domain}"


def phone_format(rng: random.Random, e164: str) -> str:
    """A phone number in one of the formats people actually type."""
    digits = e164.lstrip("+")
    if digits.startswith("1") and len(digits) == 11:
        area, exchange, line = digits[1:4], digits[4:7], digits[7:]
        return rng.choice(
            (
                f"+1 {area}-{exchange}-{line}",
                f"({area}) {exchange}-{line}",
                f"{area}.{exchange}.{line}",
                f"{area}{exchange}{line}",
                f"+1{area}{exchange}{line}",
                f"1-{area}-{exchange}-{line}",
            )
        )
    return rng.choice((e164, f"+{digits[:2]} {digits[2:5]} {digits[5:]}", f"00{digits}", f"0{digits[2:]}"))


def domain_variant(rng: random.Random, domain: str) -> str:
    """A domain as typed into a spreadsheet or CRM field: with scheme, www or trailing slash."""
    return rng.choice((domain, domain, f"www.{domain}", f"https://{domain}", f"https://www.{domain}/", domain.upper()))


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits only, for building domains and mailbox names."""
    replaced = text.lower().replace("ü", "u").replace("ö", "o").replace("ä", "a").replace("ø", "o")
    return re.sub(r"[^a-z0-9]", "", replaced)
