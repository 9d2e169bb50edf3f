"""Recurring charges: a cadence at a stable price is a subscription; irregular or usage-based spend is not."""

from datetime import date, timedelta

from customer_hub.spend.cadence import detect_series

START = date(2025, 1, 15)


def _monthly(amounts: list[float], start: date = START) -> list[tuple[date, float]]:
    return [(start + timedelta(days=round(30.44 * index)), amount) for index, amount in enumerate(amounts)]


def test_a_monthly_charge_at_a_stable_price_is_a_monthly_series():
    series = detect_series(_monthly([149.9] * 6))

    assert series is not None and series.cadence.name == "monthly"
    assert (series.amount, series.monthly_usd, series.charges) == (149.9, 149.9, 6)
    assert series.active(series.last + timedelta(days=40), grace_days=15)
    assert not series.active(series.last + timedelta(days=50), grace_days=15)  # cancelled: no charge since


def test_a_price_step_is_followed_and_a_one_off_extra_in_a_month_does_not_break_the_series():
    charges = _monthly([400.0] * 6 + [520.0] * 4) + [(START + timedelta(days=200), 1500.0)]

    series = detect_series(charges)

    assert series is not None and series.amount == 520.0 and series.charges == 4


def test_an_annual_charge_is_spread_over_twelve_months():
    series = detect_series([(date(2024, 12, 20), 3000.0), (date(2025, 12, 21), 3000.0)])

    assert series is not None and series.cadence.name == "annual" and series.monthly_usd == 250.0


def test_irregular_spend_usage_based_fees_and_too_few_charges_are_not_subscriptions():
    travel = [(date(2025, 2, 3), 412.0), (date(2025, 2, 20), 380.0), (date(2025, 7, 9), 640.0)]
    fees = _monthly([150.0, 310.0, 205.0, 420.0, 180.0, 265.0])
    assert detect_series(travel) is None
    assert detect_series(fees) is None
    assert detect_series(_monthly([48.0, 48.0])) is None  # two charges are not yet a monthly habit
    assert detect_series(_monthly([48.0, 48.0]), min_monthly=2) is not None
