"""The shadow-IT scan: recurring vendor charges, who they are, and what the inventory does not know about them.

Pure: it takes the canonical fields of the landed QuickBooks vendors, purchases and bills plus the inventory's
configured costs, and returns a `SpendReport`. The report's date is the newest transaction in the books, not
today: books are often closed weeks late, and judging "still billing" against today would end every
subscription whenever the bookkeeping lags.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from customer_hub.spend.cadence import Series, detect_series
from customer_hub.spend.catalogue import (
    CatalogueEntry,
    VendorMatch,
    VendorMatcher,
    inventory_entries,
    load_catalogue,
    vendor_domains,
)
from customer_hub.spend.settings import ShadowItSettings

SAAS_ACCOUNT_WORDS = ("software", "subscription", "saas", "cloud", "hosting")
"""Expense-account words that mark a charge as software, for vendors no catalogue knows."""
_YEAR = timedelta(days=365)


@dataclass(frozen=True)
class VendorSpend:
    """One vendor as the scan sees it."""

    vendor_id: str
    name: str
    charges: int
    spent_last_year: float
    accounts: tuple[str, ...]
    series: Series | None = None
    active: bool = False
    tool: str | None = None
    saas: VendorMatch | None = None
    saas_by_account: bool = False
    approved: bool = False

    @property
    def recurring(self) -> bool:
        """Billing on a cadence at a stable price, and still billing."""
        return self.series is not None and self.active

    @property
    def is_saas(self) -> bool:
        return self.saas is not None or self.saas_by_account or self.tool is not None

    @property
    def monthly_usd(self) -> float:
        return self.series.monthly_usd if self.series is not None and self.active else 0.0

    @property
    def shown_as(self) -> str:
        """'Zoom (Zoom Video Communications Inc.)': the catalogue's name first when it knows the vendor."""
        if self.saas is not None and self.saas.entry.name.lower() not in self.name.lower():
            return f"{self.saas.entry.name} ({self.name})"
        return self.name

    def summary(self) -> str:
        """One line: who, how much, since when, and why it counts as SaaS."""
        if self.series is None:
            return f"{self.shown_as}: {self.charges} charges, no recurring series"
        if self.saas is not None:
            why = f"catalogue: {self.saas.describe()}"
        else:
            why = "booked as software" if self.saas_by_account else f"inventory tool {self.tool}"
        return (
            f"{self.shown_as}: ${self.series.amount:,.2f} {self.series.cadence.name} (${self.monthly_usd:,.2f}/month), "
            f"billing since {self.series.first:%Y-%m}; {why}"
        )


@dataclass(frozen=True)
class ToolSpend:
    """An inventory tool's configured monthly cost beside what the books show it costs."""

    tool: str
    configured_usd: float
    actual_usd: float
    vendors: tuple[str, ...]
    tolerance: float

    @property
    def differs(self) -> bool:
        return abs(self.actual_usd - self.configured_usd) > self.tolerance * self.configured_usd

    def summary(self) -> str:
        if not self.vendors:
            return f"{self.tool}: configured ${self.configured_usd:,.2f}/month, no recurring charge in the books"
        return (
            f"{self.tool}: configured ${self.configured_usd:,.2f}/month, the books show ${self.actual_usd:,.2f}/month "
            f"({', '.join(self.vendors)})"
        )


@dataclass(frozen=True)
class SpendReport:
    """What the scan found, as of the newest transaction in the books."""

    as_of: date | None
    vendors: list[VendorSpend]
    tools: list[ToolSpend]
    without_vendor: int = 0
    """Charges with no vendor as payee (bank fees, an employee's expense): not attributable, counted here."""
    refunds: int = 0
    problems: list[str] = field(default_factory=list)
    """Transactions the scan could not read (no date or amount), one line each."""

    @property
    def unknown_saas(self) -> list[VendorSpend]:
        """Recurring SaaS charges of vendors that are neither an inventory tool nor approved: the shadow IT."""
        found = [v for v in self.vendors if v.recurring and v.is_saas and v.tool is None and not v.approved]
        return sorted(found, key=lambda v: (-v.monthly_usd, v.name))

    @property
    def cost_mismatches(self) -> list[ToolSpend]:
        return [tool for tool in self.tools if tool.differs]

    @property
    def recurring_not_saas(self) -> list[VendorSpend]:
        return [v for v in self.vendors if v.recurring and not v.is_saas]

    @property
    def unknown_monthly_usd(self) -> float:
        return round(sum(vendor.monthly_usd for vendor in self.unknown_saas), 2)

    def actual_by_tool(self) -> dict[str, float]:
        return {tool.tool: tool.actual_usd for tool in self.tools}


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _charges(
    purchases: Sequence[Mapping[str, Any]], bills: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, list[tuple[date, float, str | None, str]]], int, int, list[str]]:
    """Charges per vendor id: (date, amount, expense account, vendor name); plus what could not be attributed."""
    by_vendor: dict[str, list[tuple[date, float, str | None, str]]] = defaultdict(list)
    without_vendor = refunds = 0
    problems = []
    for kind, rows in (("purchase", purchases), ("bill", bills)):
        for row in rows:
            if row.get("credit"):
                refunds += 1
                continue
            if not row.get("vendor_id"):
                without_vendor += 1
                continue
            day, amount = _day(row.get("txn_date")), row.get("amount")
            if day is None or not isinstance(amount, int | float):
                problems.append(f"{kind} {row.get('doc_number') or ''} of {row.get('vendor_name')}: no date or amount")
                continue
            name = str(row.get("vendor_name") or row["vendor_id"])
            by_vendor[str(row["vendor_id"])].append((day, float(amount), row.get("expense_account"), name))
    return by_vendor, without_vendor, refunds, problems


def _first_match(matcher: VendorMatcher, names: Sequence[str], domains: set[str]) -> VendorMatch | None:
    for name in names:
        found = matcher.match(name, domains)
        if found is not None:
            return found
    return matcher.match("", domains) if domains else None


def scan_spend(
    vendors: Sequence[Mapping[str, Any]],
    purchases: Sequence[Mapping[str, Any]],
    bills: Sequence[Mapping[str, Any]],
    configured_costs: Mapping[str, float],
    settings: ShadowItSettings,
    catalogue: Sequence[CatalogueEntry] | None = None,
) -> SpendReport:
    """The scan over canonical QuickBooks rows (`vendor_to_canonical`, `purchase_to_canonical`, `bill_to_canonical`
    fields) and the inventory's `monthly_cost_usd` per tool."""
    catalogue = load_catalogue() if catalogue is None else catalogue
    inventory = VendorMatcher(
        inventory_entries(catalogue, configured_costs, settings.vendors), min_score=settings.name_min_score
    )
    saas = VendorMatcher(catalogue, min_score=settings.name_min_score)
    approved = VendorMatcher(
        [CatalogueEntry(name, ()) for name in settings.known_vendors], min_score=settings.name_min_score
    )
    by_vendor, without_vendor, refunds, problems = _charges(purchases, bills)
    as_of = max((day for charges in by_vendor.values() for day, *_ in charges), default=None)
    known = {str(row.get("vendor_id")): row for row in vendors if row.get("vendor_id")}

    spends = []
    for vendor_id, charges in sorted(by_vendor.items()):
        row = known.get(vendor_id, {})
        names = [name for name in (row.get("display_name"), row.get("company_name"), charges[-1][3]) if name]
        domains = vendor_domains(" ".join(names), row.get("website"), row.get("email"))
        series = detect_series(
            [(day, amount) for day, amount, *_ in charges],
            amount_tolerance=settings.amount_tolerance,
            min_monthly=settings.min_monthly_charges,
            min_other=settings.min_annual_charges,
        )
        accounts = tuple(sorted({account for *_, account, _ in charges if account}))
        tool_match = _first_match(inventory, names, domains)
        saas_match = _first_match(saas, names, domains)
        also_known_as = list(saas_match.entry.names) if saas_match else []  # `known_vendors: [Zoom]` approves Zoom
        spends.append(
            VendorSpend(
                vendor_id=vendor_id,
                name=names[0],
                charges=len(charges),
                spent_last_year=round(sum(a for day, a, *_ in charges if as_of and day > as_of - _YEAR), 2),
                accounts=accounts,
                series=series,
                active=series is not None and as_of is not None and series.active(as_of, settings.active_grace_days),
                tool=tool_match.entry.tool if tool_match else None,
                saas=saas_match,
                saas_by_account=any(word in account.lower() for account in accounts for word in SAAS_ACCOUNT_WORDS),
                approved=_first_match(approved, names + also_known_as, set()) is not None,
            )
        )
    tools = []
    for tool, configured in configured_costs.items():
        billing = [vendor for vendor in spends if vendor.tool == tool and vendor.recurring]
        tools.append(
            ToolSpend(
                tool=tool,
                configured_usd=float(configured),
                actual_usd=round(sum(vendor.monthly_usd for vendor in billing), 2),
                vendors=tuple(vendor.name for vendor in billing),
                tolerance=settings.cost_tolerance,
            )
        )
    return SpendReport(as_of, spends, tools, without_vendor, refunds, problems)
