"""A run whose worker was killed (kill -9) must not block its tool's syncs for ever: with the instance files'
run monitoring, the daemon's monitoring pass cancels the dead run and the slot pass frees the pool slot it held.
Both instance files are checked; the daemon's own iteration functions run, with the clock moved forward."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from dagster import DagsterEvent, DagsterEventType, DagsterRunStatus
from dagster._core.test_utils import create_run_for_test
from dagster._daemon.monitoring import concurrency, run_monitoring
from dagster._time import get_current_datetime

from customer_hub_tests.defs.test_automation import REPO, instance_from

LOG = logging.getLogger("test_run_monitoring")


_NOW = time.time


def _later(seconds: float):
    return lambda: _NOW() + seconds


@pytest.mark.parametrize("instance_file", ["dagster.yaml", "deploy/dagster.postgres.yaml"])
def test_a_killed_sync_run_is_ended_and_its_pool_slot_freed(instance_file, tmp_path, monkeypatch, request):
    if "postgres" in instance_file:
        monkeypatch.setenv("DAGSTER_PG_URL", request.getfixturevalue("postgres_url"))
    instance = instance_from(REPO / instance_file, tmp_path / "dagster_home")
    try:
        settings = instance.run_monitoring_settings
        assert instance.run_monitoring_enabled and settings["free_slots_after_run_end_seconds"] > 0
        max_runtime = instance.run_monitoring_max_runtime_seconds
        assert 0 < max_runtime <= 4 * 3600

        run = create_run_for_test(instance, job_name="sync_hubspot", status=DagsterRunStatus.NOT_STARTED)
        instance.report_dagster_event(
            DagsterEvent(DagsterEventType.RUN_START.value, job_name="sync_hubspot"), run.run_id
        )
        storage = instance.event_log_storage
        storage.set_concurrency_slots("hubspot", 1)
        assert storage.claim_concurrency_slot("hubspot", run.run_id, "hubspot_contacts").is_claimed
        # ...and then the run's process is killed: nothing ever reports the run ended or frees the slot

        context = SimpleNamespace(instance=instance, create_request_context=lambda: None)
        monkeypatch.setattr(run_monitoring, "get_current_timestamp", _later(max_runtime + 1))
        list(run_monitoring.execute_run_monitoring_iteration(context, LOG))  # past max runtime: cancel
        cancel_timeout = instance.run_monitoring_cancel_timeout_seconds
        monkeypatch.setattr(run_monitoring, "time", SimpleNamespace(time=_later(max_runtime + cancel_timeout + 2)))
        list(run_monitoring.execute_run_monitoring_iteration(context, LOG))  # the dead worker never confirms
        assert instance.get_run_by_id(run.run_id).status in (DagsterRunStatus.CANCELED, DagsterRunStatus.FAILURE)

        delay = settings["free_slots_after_run_end_seconds"] + 1
        monkeypatch.setattr(
            concurrency, "get_current_datetime", lambda: get_current_datetime() + timedelta(seconds=delay)
        )
        list(concurrency.execute_concurrency_slots_iteration(context, LOG))
        assert run.run_id not in storage.get_concurrency_run_ids()
        assert storage.get_concurrency_info("hubspot").active_slot_count == 0
    finally:
        instance.dispose()
