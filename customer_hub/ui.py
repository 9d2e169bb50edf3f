"""`customer-hub ui`: the Dagster UI on the demo's instance and hub data, with the sandbox serving the APIs.

The sandbox runs as a child process so reruns from the UI reach working (imitation) vendor APIs; both stop
together when the UI is stopped with Ctrl-C.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from customer_hub.config import HubConfig
from customer_hub.dagster_home import prepare_dagster_home
from customer_hub.local_env import sandbox_environment


def _wait_for(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1).raise_for_status()
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"the sandbox did not answer at {url} within {seconds:.0f} s")


def run_ui(config: HubConfig, port: int, sandbox_port: int) -> int:
    home = prepare_dagster_home(config)
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    bin_dir = Path(sys.executable).parent
    sandbox = subprocess.Popen([str(bin_dir / "customer-hub"), "sandbox", "--port", str(sandbox_port)])
    try:
        _wait_for(f"{sandbox_url}/_sandbox/counts")
        env = {**os.environ, **sandbox_environment(config, sandbox_url), "DAGSTER_HOME": str(home)}
        workspace = (config.path.parent if config.path else Path.cwd()) / "workspace.yaml"
        print(f"Dagster UI on http://127.0.0.1:{port} (instance {home}); sandbox APIs on {sandbox_url}")
        return subprocess.call(
            [str(bin_dir / "dagster"), "dev", "-w", str(workspace), "-h", "127.0.0.1", "-p", str(port)], env=env
        )
    except KeyboardInterrupt:
        return 0
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
