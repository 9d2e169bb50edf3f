"""Asana connector against the sandbox: workspace projects (every read complete), find-before-create."""

from __future__ import annotations

import uuid

import pytest

from customer_hub.config import SyncConfig, load_config
from customer_hub.sandbox import SANDBOX_IDS
from customer_hub.spokes.asana import (
    AsanaConnector,
    deal_marker,
    onboarding_project_name,
    parse_project_name,
    project_to_canonical,
)
from customer_hub.spokes.http import ToolAuthError
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for
from customer_hub.store.landing import landed
from customer_hub_tests.contracts.spec_validation import require_specs, validate_request
from customer_hub_tests.spokes.conftest import sandbox_admin

SYNC = SyncConfig(timeout_seconds=10, max_retries=2, backoff_seconds=0.001, max_backoff_seconds=0.01, overlap_minutes=0)


@pytest.fixture
def system(sandbox, monkeypatch):
    system = load_config().systems["asana"]
    monkeypatch.delenv(system.base_url_env, raising=False)
    settings = {"workspace_gid": SANDBOX_IDS["asana_workspace_gid"], "team_gid": SANDBOX_IDS["asana_team_gid"]}
    return system.model_copy(update={"base_url": sandbox.base_url("asana"), "settings": settings})


@pytest.fixture
def connector(system) -> AsanaConnector:
    return AsanaConnector(system, SYNC, {"access_token": "sandbox-token"}, sleep=lambda _seconds: None)


def _read(stream_read) -> list[dict]:
    return [record for page in stream_read.pages for record in page.records]


def test_full_read_returns_every_project_of_the_workspace(sandbox, connector, request_log):
    request_log.attach(connector)
    read = connector.read_full("projects")
    records = _read(read)

    gids = [connector.source_id("projects", record) for record in records]
    assert len(gids) == len(set(gids)) == sandbox_admin(sandbox, "GET", "counts")["asana"]["projects"]
    assert set(gids) == set(sandbox.state.stream("asana", "projects").records)
    assert len(request_log.exchanges) > 1, "the sandbox's projects should span several pages of 100"
    assert all(record.get("modified_at") for record in records)
    assert read.complete and connector.count("projects") is None  # no totals: the sync counts the complete listing


def test_status_updates_reach_the_hub_though_they_leave_modified_at_alone(sandbox, system, sqlite_url):
    engine = engine_for(sqlite_url)
    connector = AsanaConnector(system, SYNC, {"access_token": "sandbox-token"}, engine, sleep=lambda _seconds: None)
    sync_stream(engine, connector, "projects")
    projects = sandbox.state.stream("asana", "projects")
    modified_before = {gid: p["modified_at"] for gid, p in projects.records.items()}
    changed = sandbox_admin(sandbox, "POST", "mutate", {"fraction": 0.1, "tools": ["asana"]})["asana"]["projects"]
    status_only = [gid for gid in changed if projects.records[gid]["modified_at"] == modified_before[gid]]

    result = sync_stream(engine, connector, "projects")

    assert status_only  # the sandbox posted status updates that did not move modified_at
    assert result.updated == len(changed) and result.unchanged == result.landed_count - len(changed)
    rows = {row["source_id"]: row["fields"] for row in landed(engine, "asana", "projects")}
    assert {gid: rows[gid]["status_update"] for gid in status_only} == {
        gid: projects.records[gid]["current_status_update"]["title"] for gid in status_only
    }
    assert result.reported_count == result.landed_count == len(projects)  # the complete listing is the count


def test_find_before_create_makes_one_project_per_deal(sandbox, connector):
    deal = uuid.uuid4().hex[:10]
    name = onboarding_project_name("Globex Corporation", deal)
    assert connector.find_project(deal_marker(deal)) is None

    project = connector.instantiate_template(SANDBOX_IDS["asana_onboarding_template_gid"], name)

    found = connector.find_project(deal_marker(deal))
    assert found is not None and found["gid"] == project["gid"]
    assert connector.find_project(name)["gid"] == project["gid"]
    created = [p for p in sandbox_admin(sandbox, "GET", "writes")["asana_projects"] if p["name"] == name]
    assert len(created) == 1
    assert project_to_canonical(found)["shared_keys"] == f"hubspot_deal:{deal}"


def test_a_rejected_token_names_the_environment_variable(system):
    with pytest.raises(ToolAuthError, match="ASANA_ACCESS_TOKEN"):
        _read(AsanaConnector(system, SYNC, {"access_token": ""}).read_full("projects"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Onboarding: Acme Corp [deal 9876]", ("Acme Corp", "9876")),
        ("Onboarding: Initech", ("Initech", None)),
        ("Acme Corp \u2013 Onboarding", ("Acme Corp", None)),
        ("Hooli onboarding", ("Hooli", None)),
        ("[Impl] Vandelay Industries", ("Vandelay Industries", None)),
        ("Q3 roadmap", (None, None)),
        ("Hiring: CSM", (None, None)),
    ],
)
def test_project_names_give_the_company_and_deal(name, expected):
    assert parse_project_name(name) == expected


def test_project_mapping_is_an_account_with_status_and_links():
    fields = project_to_canonical(
        {
            "gid": "1",
            "name": onboarding_project_name("Acme Corp", 42),
            "archived": False,
            "completed": True,
            "custom_fields": [{"name": "Customer domain", "display_value": "acme.com"}],
        }
    )
    assert (fields["company_name"], fields["company_domain"]) == ("Acme Corp", "acme.com")
    assert fields["shared_keys"] == "hubspot_deal:42" and fields["is_account_only"] is True
    assert fields["project_status"] == "completed" and fields["is_onboarding"] is True


def test_requests_match_asanas_published_spec(connector, request_log):
    require_specs()
    request_log.attach(connector)
    _read(connector.read_full("projects"))
    _read(connector.read_incremental("projects", "2025-12-20T00:00:00+00:00"))
    connector.find_project("no such project")
    connector.instantiate_template(SANDBOX_IDS["asana_onboarding_template_gid"], onboarding_project_name("Umbrella", 7))

    paths = {r.request.path_url.split("?")[0].rsplit("/", 1)[-1] for r in request_log.exchanges}
    assert {"projects", "instantiateProject"} <= paths
    for response in request_log.exchanges:
        sent = response.request
        validate_request("asana", sent.method, sent.url, body=sent.body, headers=dict(sent.headers))


def test_an_empty_page_that_names_a_next_page_is_followed(sandbox, connector):
    sandbox_admin(sandbox, "POST", "faults", {"asana": {"empty_page": 1}})
    try:
        records = _read(connector.read_full("projects"))
    finally:
        sandbox_admin(sandbox, "DELETE", "faults")

    assert len(records) == len(sandbox.state.stream("asana", "projects"))
