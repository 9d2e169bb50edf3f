"""A customer's health: 100 minus the points of each churn signal the hub can see, every point with its reason.

Pure: a customer's 360 view (and its onboarding flows) in, a `Health` out, so the rules are tested on plain dicts
and a customer success manager can read exactly why a customer scores what it scores. Signals only use what the
hub already holds: Stripe subscriptions and invoices, QuickBooks invoices, Intercom conversations, the Sheets
implementation tracker, the hub's own onboarding flows and its double-billing finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from customer_hub.customer_health.settings import FULL_SCORE, HealthSettings
from customer_hub.customer_health.sheet_dates import sheet_date
from customer_hub.timestamps import parse_iso

PAST_DUE_STATUSES = frozenset({"past_due", "unpaid"})
"""Stripe subscription statuses that mean a payment failed and Stripe is retrying (past_due) or gave up (unpaid)."""


@dataclass(frozen=True)
class Signal:
    """One reason a customer's score dropped."""

    name: str
    points: int
    reason: str


@dataclass(frozen=True)
class Health:
    """A golden customer's score on one day, its band and every signal behind it. `notes` are things the hub could
    not judge (an unreadable go-live date): shown, never scored."""

    golden_customer_id: str
    name: str | None
    score: int
    band: str
    signals: tuple[Signal, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def signal_rows(self) -> list[dict[str, Any]]:
        return [{"name": s.name, "points": s.points, "reason": s.reason} for s in self.signals]


def _money(value: Any) -> str:
    return f"{float(value or 0):,.2f}"


def _day(value: Any) -> date | None:
    """The date of an ISO date or time the 360 view holds."""
    if not value:
        return None
    moment = parse_iso(str(value)) if "T" in str(value) else None
    if moment:
        return moment.date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _past_due(view: Mapping[str, Any]) -> str | None:
    late = [sub for sub in view.get("subscriptions") or [] if sub.get("status") in PAST_DUE_STATUSES]
    if not late:
        return None
    listed = ", ".join(f"{sub.get('source_id')} ({sub.get('status')})" for sub in late)
    return f"Stripe payment failed: {_plural(len(late), 'subscription')} {listed}"


def _unpaid_stripe(view: Mapping[str, Any], today: date, grace_days: int) -> str | None:
    accounting = view.get("accounting") or {}
    since = _day(accounting.get("stripe_open_since"))
    if not accounting.get("stripe_open_invoices") or since is None or (today - since).days < grace_days:
        return None
    return (
        f"{_plural(accounting['stripe_open_invoices'], 'open Stripe invoice')}, "
        f"{_money(accounting.get('stripe_open_total'))} unpaid, the oldest owed since {since.isoformat()}"
    )


def _overdue_balance(view: Mapping[str, Any], today: date, grace_days: int) -> str | None:
    invoices = (view.get("accounting") or {}).get("invoices") or []
    overdue = [
        (invoice, due)
        for invoice in invoices
        if (due := _day(invoice.get("due_date"))) is not None and (today - due).days > grace_days
    ]
    if not overdue:
        return None
    oldest = min(due for _, due in overdue)
    total = sum(float(invoice.get("balance") or 0) for invoice, _ in overdue)
    return (
        f"QuickBooks: {_plural(len(overdue), 'invoice')} overdue, {_money(total)} owed, "
        f"the oldest due {oldest.isoformat()} ({_plural((today - oldest).days, 'day')} ago)"
    )


def _open_conversations(view: Mapping[str, Any], at_least: int) -> str | None:
    count = int((view.get("support") or {}).get("open_conversations") or 0)
    return f"Intercom: {_plural(count, 'open conversation')}" if count >= at_least else None


def _ageing_conversation(view: Mapping[str, Any], today: date, days: int) -> str | None:
    since = _day((view.get("support") or {}).get("open_since"))
    if since is None or (today - since).days < days:
        return None
    return f"Intercom: a conversation open for {_plural((today - since).days, 'day')} (since {since.isoformat()})"


def _implementation(view: Mapping[str, Any]) -> tuple[str, str | None]:
    implementation = view.get("implementation_status") or {}
    return str(implementation.get("value") or "").strip(), implementation.get("go_live_date")


def _implementation_overdue(view: Mapping[str, Any], today: date, live: Sequence[str], notes: list[str]) -> str | None:
    status, typed = _implementation(view)
    if not status or status.lower() in live or not typed:
        return None
    go_live = sheet_date(typed)
    if go_live is None:
        notes.append(f"implementation go-live date {typed!r} is not a date the hub reads (no year?): not judged")
        return None
    if go_live >= today:
        return None
    late = _plural((today - go_live).days, "day")
    return f"implementation {status!r} past its go-live date {go_live.isoformat()} ({late})"


def _implementation_stalled(view: Mapping[str, Any], stalled: Sequence[str]) -> str | None:
    status, _ = _implementation(view)
    return f"implementation stalled: status {status!r} in the tracker" if status.lower() in stalled else None


def _onboarding_slow(
    flows: Iterable[Mapping[str, Any]], now: datetime, limit_minutes: float, within_days: int
) -> str | None:
    """A closed-won deal of the customer whose onboarding (project, invoice) took longer than the automation's
    latency goal, or has not finished once that goal has passed."""
    slow = []
    for flow in flows:
        started = flow.get("deal_closed_at") or flow.get("detected_at")
        if started is None or now - started > timedelta(days=within_days):
            continue
        if flow.get("status") == "done":
            minutes = (flow.get("latency_seconds") or 0) / 60
            if minutes > limit_minutes:
                slow.append(f"deal {flow['deal_id']} took {minutes:.0f} min")
        elif now - started > timedelta(minutes=limit_minutes):
            hours = (now - started).total_seconds() / 3600
            slow.append(f"deal {flow['deal_id']} not onboarded after {hours:.1f} h ({flow.get('status')})")
    if not slow:
        return None
    return f"onboarding slower than {limit_minutes:g} min: " + "; ".join(slow)


def _double_billing(view: Mapping[str, Any]) -> str | None:
    billed = view.get("double_billing") or []
    if not billed:
        return None
    products = ", ".join(str(item.get("product_name") or item.get("product")) for item in billed)
    return f"billed twice for {products} ({_money(sum(float(item.get('mrr') or 0) for item in billed))} a month)"


def score_customer(
    view: Mapping[str, Any],
    settings: HealthSettings,
    now: datetime,
    *,
    onboarding_flows: Sequence[Mapping[str, Any]] = (),
    onboarding_limit_minutes: float = 15.0,
) -> Health:
    """Score one customer from its 360 view as of `now`. A signal with 0 points is off and not listed."""
    today = now.date()
    weights = settings.signals
    notes: list[str] = []
    found = {
        "past_due_subscription": _past_due(view),
        "unpaid_stripe_invoice": _unpaid_stripe(view, today, weights.unpaid_stripe_invoice.grace_days),
        "overdue_balance": _overdue_balance(view, today, weights.overdue_balance.grace_days),
        "open_conversations": _open_conversations(view, weights.open_conversations.at_least),
        "ageing_conversation": _ageing_conversation(view, today, weights.ageing_conversation.days),
        "implementation_overdue": _implementation_overdue(
            view, today, weights.implementation_overdue.live_statuses, notes
        ),
        "implementation_stalled": _implementation_stalled(view, weights.implementation_stalled.statuses),
        "onboarding_slow": _onboarding_slow(
            onboarding_flows, now, onboarding_limit_minutes, weights.onboarding_slow.within_days
        ),
        "double_billing": _double_billing(view),
    }
    signals = tuple(
        Signal(name, getattr(weights, name).points, reason)
        for name, reason in found.items()
        if reason and getattr(weights, name).points > 0
    )
    score = max(0, FULL_SCORE - sum(signal.points for signal in signals))
    return Health(
        golden_customer_id=view["golden_customer_id"],
        name=view.get("name"),
        score=score,
        band=settings.bands.band_of(score),
        signals=tuple(sorted(signals, key=lambda signal: (-signal.points, signal.name))),
        notes=tuple(notes),
    )
