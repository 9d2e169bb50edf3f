"""`customer-hub ui`: the Dagster UI on the demo's instance and hub data, with the sandbox serving the APIs.

The sandbox runs as a child process so reruns from the UI reach working (imitation) vendor APIs, holding what the
demo wrote into them (`customer_hub.sandbox.saved`); both stop together when the UI is stopped with Ctrl-C, and
the sandbox saves the tools' data again for the next time. The UI is `dg dev` (Dagster's project CLI, in the dev
extra, reading `[tool.dg]` in pyproject.toml), or `dagster dev -w workspace.yaml` where `dg` is not installed.
Either way the processes it starts learn the UI's address (`CUSTOMER_HUB_RUNNING_UI_URL`), so alerts raised by
runs launched from it link back to it when no public address is configured.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from customer_hub.alerts.links import RUNNING_UI_ENV
from customer_hub.config import HubConfig
from customer_hub.dagster_home import prepare_dagster_home
from customer_hub.local_env import sandbox_environment
from customer_hub.sandbox.saved import saved_path

HOST = "127.0.0.1"


def _wait_for(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1).raise_for_status()
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"the sandbox did not answer at {url} within {seconds:.0f} s")


def dev_command(bin_dir: Path, project: Path, port: int) -> list[str]:
    """`dg dev` when the dev extra installed it, else `dagster dev` on the workspace file (same code location)."""
    dg = bin_dir / "dg"
    if dg.exists():
        return [str(dg), "dev", "--target-path", str(project), "--host", HOST, "--port", str(port)]
    workspace = project / "workspace.yaml"
    return [str(bin_dir / "dagster"), "dev", "-w", str(workspace), "-h", HOST, "-p", str(port)]


def run_ui(config: HubConfig, port: int, sandbox_port: int) -> int:
    home = prepare_dagster_home(config)
    sandbox_url = f"http://{HOST}:{sandbox_port}"
    bin_dir = Path(sys.executable).parent
    project = config.path.parent if config.path else Path.cwd()
    # this interpreter's customer_hub, whichever console scripts the environment holds
    saved = str(saved_path(config.data_dir))  # the tools as the demo (or the last UI) left them
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "customer_hub.cli", "sandbox", "--port", str(sandbox_port), "--state", saved]
    )
    try:
        _wait_for(f"{sandbox_url}/_sandbox/counts")
        ui_url = f"http://{HOST}:{port}"
        env = {
            **os.environ,
            **sandbox_environment(config, sandbox_url),
            "DAGSTER_HOME": str(home),
            RUNNING_UI_ENV: ui_url,
        }
        print(f"Dagster UI on {ui_url} (instance {home}); sandbox APIs on {sandbox_url}")
        return subprocess.call(dev_command(bin_dir, project, port), env=env, cwd=project)
    except KeyboardInterrupt:
        return 0
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
