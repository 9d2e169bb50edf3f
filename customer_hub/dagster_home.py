"""The local Dagster instance used by the demo and the UI, so both see the same runs and materializations."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from customer_hub.config import HubConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def prepare_dagster_home(config: HubConfig) -> Path:
    """`$DAGSTER_HOME` if set, else `<data_dir>/dagster_home` holding a copy of the project's `dagster.yaml`."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    home = config.data_dir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    source = (config.path.parent if config.path else PROJECT_ROOT) / "dagster.yaml"
    if source.exists():
        shutil.copyfile(source, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home
