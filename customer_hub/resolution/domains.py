"""Company web domains from URLs and email addresses.

A domain is the strongest account signal most tools hold (a HubSpot company's website, the part after '@' of a work
address), but only when it belongs to the company: a gmail.com address says nothing about who employs its owner.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np
import pandas as pd
from publicsuffixlist import PublicSuffixList
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from customer_hub.resolution.pair_similarity import one_slip_apart
from customer_hub.resolution.text import map_unique, words

FREE_MAIL_DOMAINS = words(
    "gmail.com googlemail.com yahoo.com ymail.com rocketmail.com hotmail.com outlook.com live.com msn.com "
    "icloud.com me.com mac.com aol.com aim.com proton.me protonmail.com protonmail.ch pm.me web.de mail.com "
    "email.com zoho.com zohomail.com yandex.com yandex.ru mail.ru inbox.ru list.ru bk.ru qq.com 163.com "
    "126.com sina.com naver.com daum.net t-online.de freenet.de arcor.de orange.fr wanadoo.fr free.fr "
    "laposte.net sfr.fr libero.it virgilio.it tiscali.it btinternet.com sky.com virginmedia.com ntlworld.com "
    "talktalk.net comcast.net verizon.net att.net sbcglobal.net bellsouth.net charter.net cox.net "
    "earthlink.net optonline.net shaw.ca rogers.com sympatico.ca bigpond.com optusnet.com.au fastmail.com "
    "fastmail.fm hey.com tutanota.com tuta.io hushmail.com gmx.com gmx.net gmx.de gmx.at gmx.ch seznam.cz "
    "wp.pl o2.pl interia.pl onet.pl rediffmail.com uol.com.br bol.com.br terra.com.br"
)
"""Mailbox providers anyone can sign up to; their domains never identify a company."""

FREE_MAIL_FAMILIES = frozenset({"gmx", "yahoo", "hotmail", "outlook", "live", "yandex", "aol", "msn", "ymail"})
"""Providers with a domain per country (gmx.de, yahoo.co.uk, hotmail.fr): matched on the first label when the rest
is only a country or generic suffix, so that 'live.acme-events.com' stays a company domain."""

_SCHEME = r"^[a-z][a-z0-9+.\-]*://"
_VALID_DOMAIN = r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+"


def _normalise_domains(values: pd.Series) -> pd.Series:
    text = values.str.strip().str.lower()
    text = text.str.replace(r"^.*@", "", regex=True)
    text = text.str.replace(_SCHEME, "", regex=True)
    text = text.str.replace(r"[/?#:].*$", "", regex=True)
    text = text.str.replace(r"^www[0-9]*\.", "", regex=True).str.strip(".")
    text = text.where(text != "googlemail.com", "gmail.com")
    return text.where(text.str.fullmatch(_VALID_DOMAIN), "")


def normalize_domains(values: pd.Series) -> pd.Series:
    """Bare lower-case host names ('https://www.Acme.com/about' -> 'acme.com'); '' where no domain can be read."""
    return map_unique(values, _normalise_domains)


def normalize_domain(value: str | None) -> str:
    """One URL, host or email address as a bare domain; see `normalize_domains`."""
    return str(normalize_domains(pd.Series([value]))[0])


@cache
def _public_suffixes() -> PublicSuffixList:
    """The Public Suffix List the package bundles (ICANN and private sections), read once and never fetched."""
    return PublicSuffixList()


def _registrable(values: pd.Series) -> pd.Series:
    """Only names of three labels or more ending in a word are looked up (a few microseconds each): 'acme.com' is
    what it is, and '10.0.0.5' is no name."""
    deep = np.flatnonzero((values.str.count(r"\.") >= 2).to_numpy() & values.str.contains(r"[a-z]$").to_numpy())
    if not len(deep):
        return values
    suffixes = _public_suffixes()
    looked_up = [suffixes.privatesuffix(value) or "" for value in values.iloc[deep].tolist()]
    registered = values.to_numpy(dtype=object, copy=True)
    registered[deep] = looked_up
    return pd.Series(registered, dtype="str")


def registrable_domains(values: pd.Series) -> pd.Series:
    """The names organisations registered under a public suffix, from normalised domains ('mail.acme.co.uk' ->
    'acme.co.uk'; 'act.edu.au', a suffix alone, -> ''). A name a host hands out under a suffix of its own in the list
    stays whole ('acme.github.io', 'acme.myshopify.com'); one under a host the list does not know does not
    ('acme.onmicrosoft.com' -> 'onmicrosoft.com'), so matching reads a domain as its parent only behind a mail host's
    or a region's label and when records hold the parent. Names of two labels come back as they are."""
    return map_unique(values, _registrable)


def _free_mail_mask(domains: pd.Series, extra: frozenset[str]) -> pd.Series:
    first_label = domains.str.replace(r"\..*$", "", regex=True)
    short_suffix = domains.str.fullmatch(r"[^.]+(?:\.[a-z]{2,3})+")
    family = first_label.isin(FREE_MAIL_FAMILIES) & short_suffix
    providers = FREE_MAIL_DOMAINS | extra
    return domains.isin(providers) | family | _mistyped_providers(domains, sorted(providers))


_MISTYPED_PROVIDER_MIN = 8
"""Shorter domains are not read as a mistyped provider: 'gmx.at' and 'gmx.it' are both somebody's."""


def _mistyped_providers(domains: pd.Series, providers: list[str]) -> np.ndarray:
    """True where a domain is a provider's typed with a slip of the keyboard ('ahoo.com', 'gmial.com',
    `one_slip_apart`): the address is someone's personal one, mistyped, and no company's domain."""
    mistyped = np.zeros(len(domains), dtype=bool)
    candidates = np.flatnonzero((domains.str.len() >= _MISTYPED_PROVIDER_MIN).to_numpy(dtype=bool))
    if not len(candidates):
        return mistyped
    typed = domains.to_numpy(dtype=object)[candidates]
    edits = process.cdist(typed, providers, scorer=DamerauLevenshtein.distance, score_cutoff=1, workers=-1)
    rows, columns = np.nonzero(np.asarray(edits) == 1)
    slips = one_slip_apart(typed[rows], np.asarray(providers, dtype=object)[columns])
    mistyped[candidates[rows[slips]]] = True
    return mistyped


def free_mail_mask(domains: pd.Series, extra: Iterable[str] = ()) -> pd.Series:
    """True where a normalised domain belongs to a public mailbox provider rather than a company."""
    extra_domains = frozenset(domain.lower() for domain in extra)
    return map_unique(domains, lambda unique: _free_mail_mask(unique, extra_domains)).astype(bool)


def is_free_mail(domain: str, extra: Iterable[str] = ()) -> bool:
    """Whether one domain (any form `normalize_domain` accepts) belongs to a public mailbox provider."""
    return bool(free_mail_mask(pd.Series([normalize_domain(domain)]), extra)[0])
