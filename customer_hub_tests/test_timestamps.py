from datetime import UTC, datetime

from customer_hub.timestamps import format_utc, later, latest, parse_iso, parse_iso_or_epoch_ms

NOON = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def test_epoch_milliseconds_and_iso_with_an_offset_read_as_the_same_utc_instant():
    assert parse_iso_or_epoch_ms(str(int(NOON.timestamp() * 1000))) == NOON
    moment = parse_iso_or_epoch_ms("2026-01-15T04:00:00-08:00")
    assert moment == NOON and moment.tzinfo == UTC


def test_a_time_without_offset_is_utc_and_garbage_is_unknown():
    assert parse_iso("2026-01-15T12:00:00") == NOON
    assert parse_iso("next tuesday") is None
    assert parse_iso_or_epoch_ms("") is None


def test_unknown_times_never_win_and_cursors_are_written_in_utc():
    assert later(NOON, None) == NOON
    assert latest(None, [None, NOON, None]) == NOON
    assert format_utc(datetime(2026, 1, 15, 13, 0, 0, 123456, tzinfo=UTC), "milliseconds") == (
        "2026-01-15T13:00:00.123+00:00"
    )


def test_epoch_seconds_are_read_from_numbers_only():
    from customer_hub.timestamps import from_epoch_seconds

    assert from_epoch_seconds(int(NOON.timestamp())) == NOON
    assert from_epoch_seconds(True) is None and from_epoch_seconds("1768478400") is None
