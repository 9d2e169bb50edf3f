"""A sandbox kept between processes: what one process wrote into the imitated tools (tickets, onboarding projects
and invoices, written-back values, changed records) is there when another serves them, as it would be in the real
tools. `make demo` saves its sandbox; the sandbox `make ui` starts loads it and saves it again when it stops.

The file is a pickle of `SandboxState` made by this release of the sandbox: one written by another release (its
sources differ) is not read, and the sandbox starts from its seed, saying so. It holds only imitation data the
sandbox made itself; never point it at a file from elsewhere.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import logging
import pickle
from pathlib import Path

from customer_hub.sandbox.state import SandboxState

log = logging.getLogger(__name__)


def saved_path(data_dir: Path) -> Path:
    """Where the demo leaves its sandbox for the UI's: beside the embedded hub store it filled."""
    return data_dir / "sandbox.pickle"


@functools.cache
def _release() -> str:
    """A digest of the sandbox's sources: a state pickled by other code may lack what this code reads."""
    digest = hashlib.sha1()
    for folder in ("customer_hub.sandbox", "customer_hub.sandbox.vendors", "customer_hub.sandbox.seeding"):
        package = importlib.resources.files(folder)
        for name in sorted(item.name for item in package.iterdir() if item.name.endswith(".py")):
            digest.update(f"{folder}.{name}".encode())
            digest.update(package.joinpath(name).read_bytes())
    return digest.hexdigest()


def save_state(state: SandboxState, path: Path) -> None:
    """Write `state` to `path` (whole or not at all: a new file takes the old one's place)."""
    with state.lock:
        data = pickle.dumps((_release(), state), protocol=pickle.HIGHEST_PROTOCOL)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


def load_state(path: Path) -> SandboxState | None:
    """The sandbox saved in `path`, or None (with one line saying why) when there is none this release can read."""
    if not path.exists():
        return None
    try:
        release, state = pickle.loads(path.read_bytes())
    except Exception as error:  # a truncated or foreign file: the seed is a working sandbox
        log.warning("the sandbox saved in %s could not be read (%s); starting from the seed", path, error)
        return None
    if release != _release() or not isinstance(state, SandboxState):
        log.warning("the sandbox saved in %s was made by another release; starting from the seed", path)
        return None
    return state
