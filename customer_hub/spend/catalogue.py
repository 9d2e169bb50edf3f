"""Which company a vendor in the books is: a shipped catalogue of SaaS vendors (names, aliases, domains) and the
matching of a vendor against it, and against the names the inventory's tools are billed under.

Accounting vendor names are typed by hand ("Notion Labs, Inc.", "Calendy LLC") or copied from card statements
("ZOOM.US 888-799-9666"), so a vendor is matched by domain first (its website, its email, or a domain inside its
name) and by name second: legal suffixes and punctuation removed, then rapidfuzz's `ratio` against every catalogue
name and alias. `ratio` compares whole names, so one shared word ("Make" in "Make Good Coffee") is not a match.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rapidfuzz import fuzz

CATALOGUE_FILE = "saas_vendors.csv"
_LEGAL = {
    "inc",
    "incorporated",
    "llc",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "co",
    "company",
    "gmbh",
    "plc",
    "pty",
    "sa",
    "bv",
    "ag",
    "llp",
    "lp",
    "pbc",
}
_DOMAIN = re.compile(r"\b((?:[a-z0-9-]+\.)+(?:com|io|us|so|app|ai|co|net|org|dev))\b")


@dataclass(frozen=True)
class CatalogueEntry:
    """One SaaS vendor: its usual name, other names it bills under, its domains, a category and, when the hub
    itself connects to it, the hub's tool id (`hubspot`, `asana`, ...)."""

    name: str
    domains: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    category: str = ""
    tool: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class VendorMatch:
    """What a vendor was matched to, and how: `domain` (certain) or `name` with its rapidfuzz score."""

    entry: CatalogueEntry
    basis: str
    score: float

    def describe(self) -> str:
        how = "domain" if self.basis == "domain" else f"name {self.score:.0f}%"
        return f"{self.entry.name} ({how})"


@cache
def load_catalogue() -> tuple[CatalogueEntry, ...]:
    """The catalogue shipped in this package (`saas_vendors.csv`)."""
    text = resources.files("customer_hub.spend").joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    return parse_catalogue(text.splitlines())


def parse_catalogue(lines: Iterable[str]) -> tuple[CatalogueEntry, ...]:
    """Entries from CSV lines with the columns name, domains (space-separated), aliases (`|`-separated), category
    and tool; a row without a name or a domain is refused, naming its line."""
    entries = []
    for number, row in enumerate(csv.DictReader(lines), start=2):
        name, domains = (row.get("name") or "").strip(), (row.get("domains") or "").split()
        if not name or not domains:
            raise ValueError(f"{CATALOGUE_FILE} line {number}: every vendor needs a name and at least one domain")
        entries.append(
            CatalogueEntry(
                name=name,
                domains=tuple(domain.lower() for domain in domains),
                aliases=tuple(alias.strip() for alias in (row.get("aliases") or "").split("|") if alias.strip()),
                category=(row.get("category") or "").strip(),
                tool=(row.get("tool") or "").strip() or None,
            )
        )
    return tuple(entries)


def normalise_name(name: str) -> str:
    """Lowercase words without punctuation, legal suffixes or card-statement numbers: 'Notion Labs, Inc.' ->
    'notion labs', 'ZOOM.US 888-799-9666' -> 'zoom us'."""
    words = re.sub(r"[^a-z0-9]+", " ", name.lower().replace("&", " ")).split()
    return " ".join(word for word in words if word not in _LEGAL and not any(char.isdigit() for char in word))


def domain_of(value: str | None) -> str | None:
    """The host of a URL or an email address, without `www.`: 'https://www.loom.com/x' -> 'loom.com'."""
    if not value:
        return None
    text = value.strip().lower()
    host = text.rsplit("@", 1)[1] if "@" in text and "://" not in text else re.sub(r"^[a-z]+://", "", text)
    host = host.split("/", 1)[0].split(":", 1)[0].removeprefix("www.")
    return host if "." in host else None


def vendor_domains(name: str, website: str | None = None, email: str | None = None) -> set[str]:
    """Every domain that says who a vendor is: its website, its email's, and one written into its name."""
    found = {domain for domain in (domain_of(website), domain_of(email)) if domain}
    found |= set(_DOMAIN.findall(name.lower()))
    return found


class VendorMatcher:
    """Matches vendors to catalogue entries; built once per scan (the names are normalised up front)."""

    def __init__(self, entries: Sequence[CatalogueEntry], min_score: float = 90.0):
        self.entries = tuple(entries)
        self.min_score = min_score
        self._names = [(normalise_name(name), entry) for entry in self.entries for name in entry.names]
        self._names = [(name, entry) for name, entry in self._names if name]

    def match(self, name: str, domains: Iterable[str] = ()) -> VendorMatch | None:
        """The catalogue entry this vendor is, or None. A domain (given, or written in the name) equal to, or under,
        an entry's domain wins over any name; otherwise the best name scoring at least `min_score`."""
        for domain in sorted(set(domains) | vendor_domains(name)):
            for entry in self.entries:
                if any(domain == known or domain.endswith("." + known) for known in entry.domains):
                    return VendorMatch(entry, "domain", 100.0)
        wanted = normalise_name(name)
        if not wanted:
            return None
        best: tuple[float, CatalogueEntry] | None = None
        for known, entry in self._names:
            score = fuzz.ratio(wanted, known)
            if score >= self.min_score and (best is None or score > best[0]):
                best = (score, entry)
        return VendorMatch(best[1], "name", round(best[0], 1)) if best else None


def inventory_entries(
    catalogue: Sequence[CatalogueEntry], tools: Iterable[str], extra_names: Mapping[str, Sequence[str]]
) -> list[CatalogueEntry]:
    """The catalogue entries of the inventory's tools, with the vendor names hub.yaml adds for a tool (`shadow_it.
    vendors`); a tool the catalogue does not know gets an entry of its configured names only."""
    entries = []
    for tool in tools:
        known = next((entry for entry in catalogue if entry.tool == tool), None)
        names = tuple(extra_names.get(tool, ()))
        if known is not None:
            entries.append(CatalogueEntry(known.name, known.domains, known.aliases + names, known.category, tool))
        elif names:
            entries.append(CatalogueEntry(names[0], (), names[1:], "", tool))
    return entries
