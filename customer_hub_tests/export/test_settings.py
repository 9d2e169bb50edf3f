"""Where a month's export goes: the data folder by default, or hub.yaml's `export.folder`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from customer_hub.export.monthly import month_of, previous_month
from customer_hub.export.settings import export_settings

DATA, CONFIG = Path("/srv/hub/var"), Path("/srv/hub")


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({}, "/srv/hub/var/exports/2026-02"),
        ({"folder": "/mnt/archive"}, "/mnt/archive/2026-02"),
        ({"folder": "backups/hub-{month}"}, "/srv/hub/backups/hub-2026-02"),
    ],
)
def test_export_folder(section, expected):
    assert export_settings(section).folder_for("2026-02", data_dir=DATA, config_dir=CONFIG) == Path(expected)


def test_bad_settings_fail_with_the_key():
    with pytest.raises(ValueError, match="format"):
        export_settings({"format": "xlsx"})
    with pytest.raises(ValueError):
        export_settings({}).folder_for("Feb 2026", data_dir=DATA, config_dir=CONFIG)


def test_month_names():
    assert previous_month(datetime(2026, 1, 1, 3, tzinfo=UTC)) == "2025-12"
    assert month_of(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == "2026-03"
