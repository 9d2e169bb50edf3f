"""The derived layer works on what changed and still ends exactly where a full rebuild ends.

A hub syncs the sandbox through rounds of live changes, new and deleted records, new invoices and conversations of
existing customers, HubSpot merges and a steward decision, and runs customer_records, golden_customers and
customer_360 incrementally; a second hub gets the same landed records each round and rebuilds everything. After each
round every golden table must be the same in both.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, insert, select

from customer_hub.config import load_config
from customer_hub.golden.build import build_golden
from customer_hub.golden.records import build_customer_records
from customer_hub.golden.view360 import build_customer_360
from customer_hub.local_env import environment, sandbox_environment
from customer_hub.sandbox import start_sandbox
from customer_hub.sandbox.mutation import NO_MATCHING_FIELD
from customer_hub.spokes.registry import build_connectors, streams
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for, golden_store
from customer_hub.store.schema import (
    customer_360,
    customer_records,
    customer_xref,
    golden_customers,
    golden_history,
    landed_records,
    lookup_keys,
    resolution_input,
)

CONFIG = load_config(Path(__file__).resolve().parents[2] / "hub.yaml")
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _sync(engine, url: str) -> None:
    with environment(sandbox_environment(CONFIG, url)):
        connectors = build_connectors(CONFIG, engine=engine)
        for tool, obj in streams(CONFIG):
            sync_stream(engine, connectors[tool], obj, mode="auto")


def _copy_landing(source, target) -> None:
    """The target's landed records become the source's (as if it had synced the same tools)."""
    with source.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(select(landed_records))]
    with target.begin() as conn:
        conn.execute(delete(landed_records))
        conn.execute(insert(landed_records), rows)


def _hubs(backend: str, request, tmp_path) -> tuple[Engine, Engine]:
    """The hub that runs incrementally, on `backend`, and the SQLite hub that rebuilds everything beside it."""
    if backend == "postgres":
        incremental = engine_for(request.getfixturevalue("postgres_url"))
    else:
        incremental = engine_for(f"sqlite:///{tmp_path}/incremental.db")
    return incremental, engine_for(f"sqlite:///{tmp_path}/reference.db")


def _derive(engine, now: datetime, *, full: bool) -> None:
    build_customer_records(engine, CONFIG.matching, full=full)
    build_golden(engine, CONFIG, now=now, full=full)
    build_customer_360(engine, now=now, full=full)


def _tables(engine) -> dict[str, object]:
    """Every golden table's content, without the columns that only say when or how a row was written."""
    with engine.connect() as conn:
        xref = conn.execute(select(customer_xref).order_by(customer_xref.c.record_id)).mappings().all()
        golden = conn.execute(select(golden_customers).order_by(golden_customers.c.golden_id)).mappings().all()
        history = conn.execute(select(golden_history.c.golden_id, golden_history.c.event, golden_history.c.detail,
                                      golden_history.c.recorded_at)).all()  # fmt: skip
        views = conn.execute(select(customer_360.c.golden_customer_id, customer_360.c.view,
                                    customer_360.c.mrr, customer_360.c.duplicate_records)).all()  # fmt: skip
        keys = conn.execute(select(lookup_keys.c.kind, lookup_keys.c.key, lookup_keys.c.golden_customer_id)).all()
        # a landed signature hashes times as the driver gives them: comparable within one store, not across two
        kept = [c for c in customer_records.c if c.name not in ("revision", "landed_signature")]
        records = conn.execute(select(*kept).order_by(customer_records.c.record_id)).all()
        matching = conn.execute(select(*(c for c in resolution_input.c if c.name != "revision"))
                                .order_by(resolution_input.c.record_id)).all()  # fmt: skip
    return {
        "customer_records": [tuple(row) for row in records],
        "resolution_input": [tuple(row) for row in matching],
        "xref": [{k: v for k, v in row.items() if k not in ("updated_at",)} for row in xref],
        "golden": [{k: v for k, v in row.items() if k != "updated_at"} for row in golden],
        "history": sorted((row[0], row[1], repr(row[2]), row[3]) for row in history),
        "views": sorted((row[0], repr(row[1]), row[2], row[3]) for row in views),
        "lookup_keys": sorted(tuple(row) for row in keys),
        "candidates": [  # in the order the review queue shows them, with what a steward reads of each pair
            (
                row["record_id_a"],
                row["record_id_b"],
                row["status"],
                row["score"],
                repr(row["scores"]),
                repr(row["record_a"]),
                repr(row["record_b"]),
                row["created_at"],
            )
            for row in golden_store.read_candidates(engine)
        ],
    }


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_incremental_runs_end_where_full_rebuilds_end(backend, request, tmp_path):
    incremental, reference = _hubs(backend, request, tmp_path)
    with start_sandbox(seed=5, scale=0.03) as sandbox:
        for round_number in range(4):
            now = START + timedelta(hours=round_number)
            if round_number:
                sandbox.state.mutate(0.05, create=3, delete=2, merge=1 if round_number % 2 else 0, activity=4)
            if round_number == 2:
                pair = golden_store.read_candidates(reference)[:1] or golden_store.read_xref(reference)[:2]
                first, second = (pair[0]["record_id_a"], pair[0]["record_id_b"]) if "record_id_a" in pair[0] else (
                    pair[0]["record_id"], pair[1]["record_id"])  # fmt: skip
                decision = {"record_a": first, "record_b": second, "decision": "merge", "decided_by": "steward"}
                for engine in (incremental, reference):
                    golden_store.add_decisions(engine, [decision])
            _sync(incremental, sandbox.url)
            _copy_landing(incremental, reference)
            _derive(incremental, now, full=False)
            _derive(reference, now, full=True)
            assert _tables(incremental) == _tables(reference), f"round {round_number}"
        summary = build_golden(incremental, CONFIG, now=now)
        assert summary.unchanged and summary.rewritten == 0  # a run after no change does nothing


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_change_to_no_matching_field_keeps_the_matching_and_ends_where_a_full_rebuild_ends(
    backend, request, tmp_path
):
    """Deals move stage, invoices are paid, conversations close: the golden run keeps the last run's links and
    review pairs instead of matching again, and its tables are still a full rebuild's; it rewrites no cross-reference
    row. A run right after training the model matches again once (with the model as stored); a changed phone makes a
    run match again."""
    incremental, reference = _hubs(backend, request, tmp_path)
    kept = []
    with start_sandbox(seed=5, scale=0.03) as sandbox:
        for round_number, objects in enumerate([None, NO_MATCHING_FIELD, NO_MATCHING_FIELD, ("contacts",)]):
            now = START + timedelta(hours=round_number)
            if objects:
                sandbox.state.mutate(0.1, objects=list(objects))
            _sync(incremental, sandbox.url)
            _copy_landing(incremental, reference)
            build_customer_records(incremental, CONFIG.matching)
            summary = build_golden(incremental, CONFIG, now=now)
            build_customer_360(incremental, now=now)
            kept.append(summary.matching_kept)
            _derive(reference, now, full=True)
            assert _tables(incremental) == _tables(reference), f"round {round_number}"
            assert summary.updated or round_number in (0, 3), "paid invoices and moved deals reach the golden records"
            if round_number in (1, 2):  # no link and no address moved: no cross-reference row is written again
                assert summary.rewritten == 0
    assert kept == [False, False, True, False]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_new_day_rebuilds_only_the_views_an_invoice_falling_due_moved(backend, request, tmp_path):
    """Nothing changed since yesterday's build but the day: the first 360 build of the day rebuilds the customers
    holding an unpaid invoice that was due yesterday (it is overdue now), no other, and ends where a full rebuild
    that day ends."""
    incremental, reference = _hubs(backend, request, tmp_path)
    with start_sandbox(seed=5, scale=0.03) as sandbox:
        _sync(incremental, sandbox.url)
    _copy_landing(incremental, reference)
    build_customer_records(incremental, CONFIG.matching)
    r = customer_records.c
    with incremental.connect() as conn:
        invoices = conn.execute(select(r.attributes).where(r.source_system == "quickbooks",
                                                           r.source_object == "invoices")).scalars().all()  # fmt: skip
    unpaid = Counter(str(row["due_date"])[:10] for row in invoices if row.get("due_date") and row.get("balance"))
    due_day = date.fromisoformat(unpaid.most_common(1)[0][0])
    yesterday = datetime.combine(due_day, time(9), tzinfo=UTC)
    for engine in (incremental, reference):
        _derive(engine, yesterday, full=engine is reference)
    falling_due = {golden_id for golden_id, _, balance in golden_store.invoices_due_between(
        incremental, due_day, due_day + timedelta(days=1)) if float(balance) > 0}  # fmt: skip

    today = yesterday + timedelta(days=1)
    build_customer_records(incremental, CONFIG.matching)
    assert build_golden(incremental, CONFIG, now=today).unchanged
    rebuilt = build_customer_360(incremental, now=today)
    _derive(reference, today, full=True)
    assert _tables(incremental) == _tables(reference)
    assert rebuilt == len(falling_due) < len(golden_store.active_customer_ids(incremental))
    with incremental.connect() as conn:
        views = dict(conn.execute(select(customer_360.c.golden_customer_id, customer_360.c.view)).all())
    assert all(views[golden_id]["accounting"]["overdue_invoices"] for golden_id in falling_due)


def test_the_match_model_is_kept_until_the_records_drift_or_a_retrain(tmp_path):
    """A small change scores with the stored model (confidences do not jitter); a hub that grew by more than a
    tenth, or `retrain`, trains it again."""
    from customer_hub.golden.build import STEP
    from customer_hub.store import keyed

    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    with start_sandbox(seed=3, scale=0.03) as sandbox:
        _sync(engine, sandbox.url)
        _derive(engine, START, full=False)
        trained = keyed.read_state(engine, STEP).detail["model"]
        sandbox.state.mutate(0.02, create=2)
        _sync(engine, sandbox.url)
        _derive(engine, START + timedelta(hours=1), full=False)
        assert keyed.read_state(engine, STEP).detail["model"] == trained  # kept: same estimates, same record count
        build_golden(engine, CONFIG, now=START + timedelta(hours=2), retrain=True)
        retrained = keyed.read_state(engine, STEP).detail["model"]
        assert retrained["records"] != trained["records"]  # trained again, on today's records
        sandbox.state.mutate(0.0, create=int(retrained["records"] * 0.2))  # a fifth more records
        _sync(engine, sandbox.url)
        _derive(engine, START + timedelta(hours=3), full=False)
        assert keyed.read_state(engine, STEP).detail["model"]["records"] > retrained["records"] * 1.1


def test_a_stored_model_made_for_other_comparison_levels_is_trained_again_not_used(tmp_path):
    """A release that adds a level to a comparison finds the previous release's stored model: the golden run trains
    a new one (the old m and u have no entry for the new level) instead of failing or misreading them."""
    from customer_hub.golden.build import STEP
    from customer_hub.resolution.comparisons import PERSON_COMPARISONS
    from customer_hub.resolution.fellegi_sunter import estimates_fit
    from customer_hub.store import keyed

    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    with start_sandbox(seed=3, scale=0.03) as sandbox:
        _sync(engine, sandbox.url)
        _derive(engine, START, full=False)
        state = keyed.read_state(engine, STEP)
        model = state.detail["model"]
        email = model["estimates"]["comparisons"].index("email")
        for table in ("m", "u"):  # the email comparison as it was before 'one_typo': one level fewer
            del model["estimates"][table][email][2]
        with engine.begin() as conn:
            keyed.write_state(conn, STEP, state, START)
        sandbox.state.mutate(0.02, create=2)
        _sync(engine, sandbox.url)
        build_customer_records(engine, CONFIG.matching)
        summary = build_golden(engine, CONFIG, now=START + timedelta(hours=1))
    stored = keyed.read_state(engine, STEP).detail["model"]["estimates"]
    assert estimates_fit(stored, PERSON_COMPARISONS)
    assert summary.model is not None and "one_typo" in summary.model["comparisons"]["email"]


def test_a_stored_model_without_value_counts_is_kept_and_keeps_the_next_runs_counts(tmp_path):
    """A model an earlier release stored counted no values with it: the next golden run scores with it (no
    training: the same m, u and record count) and stores the counts it took, so later runs weigh those values so."""
    from customer_hub.golden.build import STEP
    from customer_hub.store import keyed

    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    with start_sandbox(seed=3, scale=0.03) as sandbox:
        _sync(engine, sandbox.url)
        _derive(engine, START, full=False)
        state = keyed.read_state(engine, STEP)
        trained = dict(state.detail["model"])
        counts = trained["estimates"]["term_counts"]
        assert [name for name, held in zip(trained["estimates"]["comparisons"], counts, strict=True) if held] == [
            "first_name", "last_name", "phone", "city", "postcode"
        ]  # fmt: skip
        state.detail["model"] = {**trained, "estimates": {key: value for key, value in trained["estimates"].items()
                                                          if key != "term_counts"}}  # fmt: skip
        with engine.begin() as conn:
            keyed.write_state(conn, STEP, state, START)
        sandbox.state.mutate(0.02, create=2)
        _sync(engine, sandbox.url)
        _derive(engine, START + timedelta(hours=1), full=False)
    kept = keyed.read_state(engine, STEP).detail["model"]
    assert kept["records"] == trained["records"] and kept["estimates"]["m"] == trained["estimates"]["m"]
    assert [bool(held) for held in kept["estimates"]["term_counts"]] == [bool(held) for held in counts]


def test_a_stored_model_from_an_earlier_estimator_is_trained_again(tmp_path):
    """A release that estimates the model differently (the prior counting unscored pairs) finds the previous
    release's stored model: the next golden run trains a new one rather than keep the old prior."""
    from customer_hub.golden.build import STEP
    from customer_hub.resolution.fellegi_sunter import ESTIMATOR
    from customer_hub.store import keyed

    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    with start_sandbox(seed=3, scale=0.03) as sandbox:
        _sync(engine, sandbox.url)
        _derive(engine, START, full=False)
        state = keyed.read_state(engine, STEP)
        assert state.detail["model"]["estimator"] == ESTIMATOR
        del state.detail["model"]["estimator"]  # as the release before stored it
        with engine.begin() as conn:
            keyed.write_state(conn, STEP, state, START)
        sandbox.state.mutate(0.02, create=2)
        _sync(engine, sandbox.url)
        _derive(engine, START + timedelta(hours=1), full=False)
    assert keyed.read_state(engine, STEP).detail["model"]["estimator"] == ESTIMATOR
