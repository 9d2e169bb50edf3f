"""MRR movements between two snapshots, and the snapshot history on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from customer_hub.mrr.movements import carried_over, customer_mrr, mrr_movements, reporting_totals
from customer_hub.mrr.settings import mrr_settings
from customer_hub.store import mrr_store

BEFORE = {
    ("GC-A", "USD"): 100.0,  # grows
    ("GC-B", "USD"): 300.0,  # shrinks
    ("GC-C", "USD"): 50.0,  # leaves
    ("GC-D", "EUR"): 80.0,  # unchanged, in another currency
    ("GC-E", "USD"): 20.0,  # merged into GC-A since
}
AFTER = {
    ("GC-A", "USD"): 145.0,
    ("GC-B", "USD"): 250.0,
    ("GC-D", "EUR"): 80.0,
    ("GC-F", "USD"): 99.0,  # arrives
    ("GC-F", "EUR"): 10.0,  # and pays in a second currency too
}


def test_movements_explain_every_change_per_currency():
    base = carried_over(BEFORE, {"GC-E": "GC-A"})
    assert base[("GC-A", "USD")] == 120.0  # the merged customer's MRR moved with it: no churn, no new business
    currencies, changes = mrr_movements(base, AFTER)
    usd, eur = (next(c for c in currencies if c.currency == code) for code in ("USD", "EUR"))
    assert (usd.previous_mrr, usd.mrr, usd.customers) == (470.0, 494.0, 3)
    assert (usd.new, usd.expansion, usd.contraction, usd.churned) == (99.0, 25.0, -50.0, -50.0)
    assert usd.previous_mrr + usd.new + usd.expansion + usd.contraction + usd.churned == usd.mrr
    assert (eur.previous_mrr, eur.mrr, eur.new, eur.churned) == (80.0, 90.0, 10.0, 0.0)
    assert [(c.golden_customer_id, c.currency, c.kind, c.delta) for c in changes] == [
        ("GC-F", "USD", "new", 99.0),
        ("GC-B", "USD", "contraction", -50.0),
        ("GC-C", "USD", "churned", -50.0),
        ("GC-A", "USD", "expansion", 25.0),
        ("GC-F", "EUR", "new", 10.0),
    ]


def test_totals_convert_at_configured_rates_and_name_what_they_leave_out():
    currencies, _ = mrr_movements(carried_over(BEFORE, {"GC-E": "GC-A"}), AFTER)
    totals, left_out = reporting_totals(currencies, mrr_settings({}))
    assert (totals["mrr"], left_out) == (494.0, ["EUR"])  # no EUR rate: reported apart, never guessed
    totals, left_out = reporting_totals(currencies, mrr_settings({"exchange_rates": {"eur": 1.1}}))
    assert (totals["mrr"], totals["new"], left_out) == (593.0, 110.0, [])


def test_customer_mrr_reads_billing_currencies_of_360_views():
    views = [
        {"golden_customer_id": "GC-1", "mrr_by_currency": {"USD": 99.0, "": 5.0}},
        {"golden_customer_id": "GC-2", "mrr_by_currency": {}},
        {"golden_customer_id": "GC-3", "mrr_by_currency": {"EUR": 0.0}},
    ]
    assert customer_mrr(views) == {("GC-1", "USD"): 99.0, ("GC-1", ""): 5.0}


def test_snapshots_are_kept_and_a_racing_snapshot_is_refused(hub_engine):
    first = datetime(2026, 1, 5, 23, 45, tzinfo=UTC)
    assert mrr_store.previous_snapshot(hub_engine) == (None, {})
    currencies, _ = mrr_movements(BEFORE, BEFORE)
    mrr_store.save_snapshot(hub_engine, first, None, BEFORE, [c.as_row() for c in currencies])

    previous_at, previous = mrr_store.previous_snapshot(hub_engine)
    assert (previous_at, previous) == (first, BEFORE)
    later = first + timedelta(hours=1)
    currencies, _ = mrr_movements(carried_over(previous, {}), AFTER)
    mrr_store.save_snapshot(hub_engine, later, previous_at, AFTER, [c.as_row() for c in currencies])
    with pytest.raises(mrr_store.SnapshotConflict, match="another MRR snapshot was saved"):
        mrr_store.save_snapshot(hub_engine, later + timedelta(minutes=1), previous_at, AFTER, [])  # stale base

    days = mrr_store.daily_history(hub_engine, 7)
    assert [(d["day"], d["currency"], d["mrr"], d["snapshots"]) for d in days] == [
        ("2026-01-05", "EUR", 80.0, 1),
        ("2026-01-05", "USD", 470.0, 1),
        ("2026-01-06", "EUR", 90.0, 1),
        ("2026-01-06", "USD", 494.0, 1),
    ]
    usd = days[-1]
    assert (usd["new_mrr"], usd["expansion_mrr"], usd["contraction_mrr"], usd["churned_mrr"]) == (
        99.0,
        45.0,
        -50.0,
        -70.0,
    )
