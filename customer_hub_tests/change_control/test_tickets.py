"""Change control against the sandbox's Asana: one task per schema change, never two, closed when resolved, named
in the Slack thread of the drift incident, and listed with age and owner in the weekly digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from customer_hub.alerts import deliver_pending, observe, slack_target
from customer_hub.alerts.links import Links, UiAddress
from customer_hub.change_control.digest import queue_patch_digest
from customer_hub.change_control.tickets import sync_tickets, track_changes
from customer_hub.config import SyncConfig, load_config
from customer_hub.quality.checks import check_drift
from customer_hub.quality.reports import schema_drifts
from customer_hub.quality.settings import QualitySettings
from customer_hub.sandbox import SANDBOX_IDS
from customer_hub.spokes.asana import AsanaConnector
from customer_hub.store import alert_store, change_store
from customer_hub.store.quality_store import accept_schema
from customer_hub_tests.alerts.slack_recorder import SlackRecorder
from customer_hub_tests.quality.hub_data import snapshot

PROJECT = SANDBOX_IDS["asana_patch_project_gid"]
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BEFORE = ["id", "properties.email", "properties.firstname", "properties.phone"]
AFTER = ["id", "properties.email_address", "properties.firstname", "properties.phone", "properties.loyalty_tier"]


@pytest.fixture(scope="module")
def sandbox(small_sandbox):
    return small_sandbox


@pytest.fixture
def asana(sandbox, monkeypatch):
    """The hub's Asana connector on the sandbox, with an empty ticket project and a short timeout."""
    sandbox.state.asana_tasks.clear()
    sandbox.state.clear_faults()
    system = load_config().systems["asana"]
    monkeypatch.delenv(system.base_url_env, raising=False)
    system = system.model_copy(update={"base_url": sandbox.base_url("asana")})
    sync = SyncConfig(timeout_seconds=0.5, max_retries=1, backoff_seconds=0.001, max_backoff_seconds=0.01)
    return AsanaConnector(system, sync, {"access_token": "sandbox-token"}, sleep=lambda _seconds: None)


def _tasks(sandbox) -> list[dict]:
    return [task for task in sandbox.state.asana_tasks.values() if PROJECT in {p["gid"] for p in task["projects"]}]


def _drifted(engine) -> None:
    snapshot(engine, "hubspot", "contacts", BEFORE, T0 - timedelta(days=3))
    snapshot(engine, "hubspot", "contacts", AFTER, T0)


def _sync(engine, asana, now=T0):
    config = load_config()
    track_changes(engine, config, now)
    return sync_tickets(engine, asana, PROJECT, config, now)


def test_each_change_gets_one_ticket_closed_when_accepted_and_reopened_when_it_returns(hub_engine, sandbox, asana):
    _drifted(hub_engine)

    first = _sync(hub_engine, asana)
    again = _sync(hub_engine, asana, T0 + timedelta(hours=1))

    tasks = _tasks(sandbox)
    assert sorted(task["name"].split(" [")[0] for task in tasks) == [
        "Schema change: hubspot contacts: added properties.loyalty_tier",
        "Schema change: hubspot contacts: renamed properties.email → properties.email_address",
    ]
    assert len(first.created) == 2 and again.created == again.found == [] and not first.errors
    assert all("Owner: sales-ops@example.com" in task["notes"] for task in tasks)
    rows = change_store.read_changes(hub_engine, "open")
    assert {row["ticket_gid"] for row in rows} == {task["gid"] for task in tasks}
    assert {row["ticket_url"] for row in rows} == {task["permalink_url"] for task in tasks}

    accept_schema(hub_engine, "hubspot", "contacts", "tester", T0 + timedelta(days=1))
    closed = _sync(hub_engine, asana, T0 + timedelta(days=1))

    assert len(closed.completed) == 2 and change_store.read_changes(hub_engine, "open") == []
    assert all(task["completed"] and task["completed_at"] for task in _tasks(sandbox))

    snapshot(hub_engine, "hubspot", "contacts", BEFORE, T0 + timedelta(days=2))  # the vendor reverts its change
    back = _sync(hub_engine, asana, T0 + timedelta(days=2))

    loyalty = next(task for task in tasks if "loyalty_tier" in task["name"])
    assert back.reopened == ["hubspot contacts: removed properties.loyalty_tier"]  # same field: its own task again
    assert not loyalty["completed"] and len(_tasks(sandbox)) == 3  # plus the rename back, a change of its own


def test_a_create_whose_answer_is_lost_is_found_by_its_marker_not_made_twice(sqlite_url, sandbox, asana):
    from customer_hub.store import engine_for

    engine = engine_for(sqlite_url)
    _drifted(engine)
    sandbox.state.set_faults({"asana": {"late_replies": 1, "timeout_seconds": 1.5}})  # made, answered too late

    lost = _sync(engine, asana)

    assert len(lost.errors) == 1 and "timed out" in lost.errors[0] and "not retried" in lost.errors[0]
    assert len(_tasks(sandbox)) == 2  # the first create was carried out though its answer never arrived
    failed = next(row for row in change_store.read_changes(engine) if row["ticket_gid"] is None)
    assert "timed out" in failed["ticket_error"]

    retried = _sync(engine, asana, T0 + timedelta(hours=1))

    assert retried.found == [f"hubspot contacts: {failed['summary']}"] and retried.created == []
    assert len(_tasks(sandbox)) == 2
    assert all(row["ticket_gid"] and row["ticket_error"] is None for row in change_store.read_changes(engine))


def test_the_ticket_is_named_in_the_drift_incidents_thread_and_the_digest_lists_age_and_owner(
    sqlite_url, sandbox, asana
):
    from customer_hub.store import engine_for

    engine = engine_for(sqlite_url)
    _drifted(engine)
    config = load_config()
    [drift] = schema_drifts(engine)
    observe(
        engine, check_drift(drift, QualitySettings()), Links(UiAddress("http://ui", "test")), "#customer-hub-alerts", T0
    )

    _sync(engine, asana)
    with SlackRecorder() as slack:
        target = slack_target(config.alerts, {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.api_url})
        assert deliver_pending(engine, target).delivered == 3
        opening, *notes = slack.messages

    assert "Tool schema changed" in opening["text"]
    assert [note.get("thread_ts") for note in notes] == [opening["ts"], opening["ts"]]
    assert all("Asana ticket https://app.asana.com/0/" in note["text"] for note in notes)

    digest_id = queue_patch_digest(engine, config, T0 + timedelta(days=9))

    [digest] = [row for row in alert_store.recent_alerts(engine) if row["id"] == digest_id]
    text = "\n".join(block["text"]["text"] for block in digest["message"]["blocks"] if block["type"] == "section")
    assert digest["message"]["text"].startswith("Weekly integration patches: 2 open schema changes to patch")
    assert "hubspot contacts: renamed properties.email → properties.email_address · open 9 days · owner " \
           "sales-ops@example.com · ticket open" in text  # fmt: skip
    assert text.count("<https://app.asana.com/0/") == 2


def test_what_the_connector_sends_for_tickets_is_what_asanas_spec_documents(sqlite_url, sandbox, asana):
    from customer_hub.store import engine_for
    from customer_hub_tests.spokes.conftest import RequestLog, spec_errors

    engine = engine_for(sqlite_url)
    _drifted(engine)
    log = RequestLog()
    log.attach(asana)

    _sync(engine, asana)
    accept_schema(engine, "hubspot", "contacts", "tester", T0 + timedelta(days=1))
    _sync(engine, asana, T0 + timedelta(days=1))

    sent = [f"{response.request.method} {response.request.path_url.split('?')[0]}" for response in log.exchanges]
    assert sent[0].endswith(f"/projects/{PROJECT}/tasks") and sum(s.startswith("POST") for s in sent) == 2
    assert sum(s.startswith("PUT") for s in sent) == 2
    assert spec_errors("asana", log.exchanges) == []


def test_a_task_deleted_in_asana_is_forgotten_not_an_error_and_made_again_when_its_change_returns(
    sqlite_url, sandbox, asana
):
    from customer_hub.store import engine_for

    engine = engine_for(sqlite_url)
    _drifted(engine)
    _sync(engine, asana)
    deleted = next(task for task in _tasks(sandbox) if "loyalty_tier" in task["name"])
    sandbox.state.asana_tasks.pop(deleted["gid"])  # a person deletes one ticket
    accept_schema(engine, "hubspot", "contacts", "tester", T0 + timedelta(hours=1))

    closing = _sync(engine, asana, T0 + timedelta(hours=1))

    assert closing.completed == ["hubspot contacts: renamed properties.email → properties.email_address"]
    assert closing.deleted == ["hubspot contacts: added properties.loyalty_tier"] and not closing.errors
    assert "1 deleted" in closing.summary()
    snapshot(engine, "hubspot", "contacts", BEFORE, T0 + timedelta(hours=2))  # the vendor reverts: the field returns
    back = _sync(engine, asana, T0 + timedelta(hours=2))
    assert "hubspot contacts: removed properties.loyalty_tier" in back.created and not back.errors


def test_a_change_that_returns_after_its_task_was_deleted_gets_a_new_task_in_the_same_run(sqlite_url, sandbox, asana):
    from customer_hub.store import engine_for

    engine = engine_for(sqlite_url)
    _drifted(engine)
    _sync(engine, asana)
    accept_schema(engine, "hubspot", "contacts", "tester", T0 + timedelta(days=1))
    _sync(engine, asana, T0 + timedelta(days=1))  # both tasks completed
    deleted = next(task for task in _tasks(sandbox) if "loyalty_tier" in task["name"])
    sandbox.state.asana_tasks.pop(deleted["gid"])  # a person deletes a done ticket

    snapshot(engine, "hubspot", "contacts", BEFORE, T0 + timedelta(days=2))  # the field comes back
    back = _sync(engine, asana, T0 + timedelta(days=2))

    title = "hubspot contacts: removed properties.loyalty_tier"
    assert back.deleted == [title] and title in back.created and not back.errors
    row = next(row for row in change_store.read_changes(engine, "open") if "loyalty_tier" in row["summary"])
    task = sandbox.state.asana_tasks[row["ticket_gid"]]
    assert row["ticket_gid"] != deleted["gid"] and not task["completed"] and "loyalty_tier" in task["name"]
