"""`customer-hub writeback`: the plan printed per tool and field, approvals, a disabled section said plainly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from customer_hub.cli import main
from customer_hub_tests.writeback.conftest import World

HUB_YAML = Path(__file__).resolve().parents[2] / "hub.yaml"


def test_plan_prints_counts_per_field_and_approve_covers_that_plan(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(HUB_YAML.read_text())
    data["writeback"]["targets"]["stripe"]["customers"]["enabled"] = True
    config = tmp_path / "hub.yaml"
    config.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("CUSTOMER_HUB_DATABASE_URL", world.engine.url.render_as_string(hide_password=False))

    assert main(["--config", str(config), "writeback", "plan", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (stripe,) = report["tools"]
    assert stripe["fields"]["metadata[golden_customer_id]"]["fill"] == stripe["records_changed"] > 0
    assert stripe["needs_approval"] and stripe["skipped"]["low_confidence"] > 0

    assert main(["--config", str(config), "writeback", "plan"]) == 0
    text = capsys.readouterr().out
    assert "metadata[golden_customer_id]" in text and "held back" in text and " -> GC-" in text
    run_id = text.split()[2]  # "write-back plan <run id>"
    assert main(["--config", str(config), "writeback", "approve", run_id, "--by", "finance"]) == 0
    assert main(["--config", str(config), "writeback", "approve", "no-such-run"]) == 1


def test_a_disabled_section_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setenv("CUSTOMER_HUB_HOME", str(tmp_path))
    assert main(["--config", str(HUB_YAML), "writeback", "plan"]) == 0
    assert "every writeback target and flow in hub.yaml is disabled" in capsys.readouterr().out
