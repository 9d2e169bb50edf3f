"""A sandbox kept between processes (`customer-hub sandbox --state`, what `make ui` starts after `make demo`) holds
what was written into its tools, as the real tools would; a file it cannot read leaves it seeded, saying so."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from google.auth.transport.requests import Request
from google.oauth2.service_account import Credentials

from customer_hub.sandbox import SANDBOX_IDS

AUTH = {"Authorization": "Bearer sandbox-token"}
PROJECT = SANDBOX_IDS["asana_patch_project_gid"]


def _serve(saved: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "customer_hub.cli", "sandbox", "--port", str(port), "--scale", "0.02",
               "--state", str(saved)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{root}/_sandbox/counts", timeout=1).raise_for_status()
            return process, root
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"the sandbox did not start: {process.communicate()[1][-2000:]}")


def _stop(process: subprocess.Popen) -> str:
    """Stop it as `make ui` does (SIGTERM); its log."""
    process.terminate()
    return process.communicate(timeout=30)[1]


def _new_task(root: str, name: str) -> dict:
    answer = requests.post(f"{root}/asana/api/1.0/tasks", json={"data": {"name": name, "projects": [PROJECT]}},
                           headers=AUTH, timeout=5)  # fmt: skip
    answer.raise_for_status()
    return answer.json()["data"]


def test_a_sandbox_started_on_a_saved_file_holds_what_the_last_one_was_given(tmp_path):
    saved = tmp_path / "sandbox.pickle"
    first, root = _serve(saved)
    try:
        made = _new_task(root, "Schema change: kept")
        key = requests.post(f"{root}/_sandbox/google/keys", timeout=5).json()  # a service-account key it issued
    finally:
        log = _stop(first)
    assert saved.exists(), log

    second, root = _serve(saved)
    try:
        kept = requests.get(f"{root}/asana/api/1.0/tasks/{made['gid']}", headers=AUTH, timeout=5)
        later = _new_task(root, "Schema change: later")
        # the key the first sandbox issued still signs for a token
        credentials = Credentials.from_service_account_info(
            {**key, "token_uri": root + SANDBOX_IDS["google_token_path"]},
            scopes=["https://www.googleapis.com/auth/spreadsheets.readonly"],
        )
        credentials.refresh(Request())
    finally:
        log = _stop(second)
    assert kept.status_code == 200 and kept.json()["data"]["name"] == "Schema change: kept"
    assert int(later["gid"]) > int(made["gid"]) and later["created_at"] >= made["created_at"]
    assert credentials.token and "the tools hold what the sandbox saved in" in log


def test_a_saved_file_it_cannot_read_leaves_the_sandbox_seeded_and_says_so(tmp_path):
    saved = tmp_path / "sandbox.pickle"
    saved.write_bytes(b"not a sandbox")
    process, root = _serve(saved)
    try:
        counts = requests.get(f"{root}/_sandbox/counts", timeout=5).json()
    finally:
        log = _stop(process)
    assert counts["hubspot"]["contacts"] > 0
    assert f"the sandbox saved in {saved} could not be read" in log and "starting from the seed" in log
