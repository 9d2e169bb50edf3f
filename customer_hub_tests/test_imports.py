"""Every module of the package imports on its own: a script, a test or a Dagster code location may import any of
them first, and an import cycle that only the usual order hides fails there with a half-initialised module."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import customer_hub

_EACH_ALONE = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [module for module in sys.modules if module == "customer_hub" or module.startswith("customer_hub.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f"{name}: {type(error).__name__}: {error}")
print("\\n".join(failed))
"""


def test_every_module_imports_first_with_none_of_the_package_loaded() -> None:
    names = [module.name for module in pkgutil.walk_packages(customer_hub.__path__, "customer_hub.")]
    assert "customer_hub.store.quality_store" in names  # was imported only after customer_hub.quality
    halves = [  # two interpreters at once: each import here loads the package's modules again
        subprocess.Popen([sys.executable, "-c", _EACH_ALONE, *names[start::2]], stdout=subprocess.PIPE, text=True)
        for start in (0, 1)
    ]
    failed = [half.communicate()[0].strip() for half in halves]
    assert [half.returncode for half in halves] == [0, 0]
    assert "\n".join(text for text in failed if text) == ""
