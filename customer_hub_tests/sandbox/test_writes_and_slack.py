"""What clients send: Asana projects from the template (no idempotency), Slack messages, the admin index."""

import requests

from customer_hub.sandbox import SANDBOX_IDS, SandboxServer
from customer_hub_tests.sandbox.clients import BEARER, asana_all


def _instantiate(sandbox: SandboxServer, http: requests.Session, name: str) -> requests.Response:
    url = (
        f"{sandbox.base_url('asana')}/project_templates/{SANDBOX_IDS['asana_onboarding_template_gid']}"
        "/instantiateProject"
    )
    return http.post(
        url, json={"data": {"name": name, "team": SANDBOX_IDS["asana_team_gid"], "public": False}}, headers=BEARER
    )


def test_asana_template_instantiation_is_an_async_job(sandbox: SandboxServer, http: requests.Session) -> None:
    created = _instantiate(sandbox, http, "Globex – Onboarding")
    assert created.status_code == 201
    job = created.json()["data"]
    assert job["resource_type"] == "job" and job["status"] == "in_progress"
    project_gid = job["new_project"]["gid"]
    polled = http.get(f"{sandbox.base_url('asana')}/jobs/{job['gid']}", headers=BEARER).json()["data"]
    assert polled["status"] == "succeeded" and polled["new_project"]["gid"] == project_gid
    project = http.get(f"{sandbox.base_url('asana')}/projects/{project_gid}", headers=BEARER).json()["data"]
    assert project["name"] == "Globex – Onboarding"
    assert project["created_from_template"]["gid"] == SANDBOX_IDS["asana_onboarding_template_gid"]
    assert project_gid in [p["gid"] for p in asana_all(sandbox, http)]


def test_asana_creates_twice_when_asked_twice(sandbox: SandboxServer, http: requests.Session) -> None:
    first = _instantiate(sandbox, http, "Initech – Onboarding").json()["data"]["new_project"]["gid"]
    second = _instantiate(sandbox, http, "Initech – Onboarding").json()["data"]["new_project"]["gid"]
    assert first != second
    written = [p["gid"] for p in http.get(f"{sandbox.url}/_sandbox/writes").json()["asana_projects"]]
    assert {first, second} <= set(written)


def test_asana_refuses_incomplete_requests(sandbox: SandboxServer, http: requests.Session) -> None:
    url = (
        f"{sandbox.base_url('asana')}/project_templates/{SANDBOX_IDS['asana_onboarding_template_gid']}"
        "/instantiateProject"
    )
    assert http.post(url, json={"data": {"team": SANDBOX_IDS["asana_team_gid"]}}, headers=BEARER).status_code == 400
    assert (
        http.post(
            f"{sandbox.base_url('asana')}/project_templates/999/instantiateProject",
            json={"data": {"name": "x"}},
            headers=BEARER,
        ).status_code
        == 404
    )
    assert http.get(f"{sandbox.base_url('asana')}/projects", headers=BEARER).status_code == 400


def test_slack_messages_are_recorded(sandbox: SandboxServer, http: requests.Session) -> None:
    http.delete(f"{sandbox.url}/_sandbox/slack/messages")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*3 checks failing*"}}]
    posted = http.post(
        f"{sandbox.base_url('slack')}/chat.postMessage",
        headers=BEARER,
        json={"channel": "#customer-hub-alerts", "text": "3 checks failing", "blocks": blocks},
    ).json()
    assert posted["ok"] is True and posted["channel"].startswith("C")
    reply = http.post(
        f"{sandbox.base_url('slack')}/chat.postMessage",
        headers=BEARER,
        data={"channel": posted["channel"], "text": "resolved", "thread_ts": posted["ts"]},
    ).json()
    assert reply["message"]["thread_ts"] == posted["ts"]
    hook = http.post(sandbox.url + SANDBOX_IDS["slack_webhook_path"], json={"text": "via webhook"})
    assert hook.status_code == 200 and hook.text == "ok"
    assert http.post(
        f"{sandbox.base_url('slack')}/chat.postMessage", headers=BEARER, json={"channel": "#x"}
    ).json() == {"ok": False, "error": "no_text"}
    recorded = http.get(f"{sandbox.url}/_sandbox/slack/messages").json()
    assert [(m["text"], m["thread_ts"]) for m in recorded["messages"]] == [
        ("3 checks failing", None),
        ("resolved", posted["ts"]),
        ("via webhook", None),
    ]
    assert recorded["messages"][0]["blocks"] == blocks
    assert recorded["messages"][0]["ts"] == posted["ts"]
    assert [m["error"] for m in recorded["rejected"]] == ["no_text"]


def test_admin_index_lists_base_urls_and_ids(sandbox: SandboxServer, http: requests.Session) -> None:
    index = http.get(f"{sandbox.url}/_sandbox/").json()
    assert index["tools"]["asana"] == sandbox.base_url("asana") == f"{sandbox.url}/asana/api/1.0"
    assert index["ids"] == SANDBOX_IDS
    assert index["seed"] == 42
    assert http.get(f"{sandbox.url}/_sandbox/counts").json() == sandbox.state.counts()


def test_unknown_vendor_paths_answer_in_the_vendor_shape(sandbox: SandboxServer, http: requests.Session) -> None:
    stripe = http.get(f"{sandbox.base_url('stripe')}/v1/charges", headers=BEARER)
    assert stripe.status_code == 404 and "Unrecognized request URL" in stripe.json()["error"]["message"]
    missing = http.get(f"{sandbox.base_url('stripe')}/v1/customers/cus_nope", headers=BEARER)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"
    assert http.get(f"{sandbox.url}/nowhere").status_code == 404
