"""The store's JSON columns keep every value they took before their codec became orjson, and read what an older
store wrote."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import text

from customer_hub.store import keyed


def test_values_json_took_are_stored_and_read_back(hub_engine):
    details = {
        "mixed": {"share": np.float64(0.25), 7: "keyed by a number", "nested": [{"a": None, "b": "é"}]},
        "huge": {"count": 2**70 + 1},  # past 64 bits: orjson refuses it, json writes it
        "missing": {"share": float("nan")},  # stored as null, which PostgreSQL accepts where it refused NaN
    }
    with hub_engine.begin() as conn:
        for step, detail in details.items():
            keyed.write_state(conn, step, keyed.StepState(1, "f", detail), datetime.now(UTC))

    read = {step: keyed.read_state(hub_engine, step).detail for step in details}

    assert read == {
        "mixed": {"share": 0.25, "7": "keyed by a number", "nested": [{"a": None, "b": "é"}]},
        "huge": {"count": float(2**70 + 1)},  # read back as the nearest float
        "missing": {"share": None},
    }


def test_a_nan_an_older_store_wrote_is_read(sqlite_url):
    from customer_hub.store import engine_for

    engine = engine_for(sqlite_url)
    with engine.begin() as conn:  # as the standard library's encoder wrote a missing number
        conn.execute(
            text(
                "INSERT INTO derived_state (step, revision, fingerprint, detail, updated_at) "
                "VALUES ('probe', 1, 'f', '{\"share\": NaN}', '2026-01-01 00:00:00')"
            )
        )

    assert math.isnan(keyed.read_state(engine, "probe").detail["share"])
