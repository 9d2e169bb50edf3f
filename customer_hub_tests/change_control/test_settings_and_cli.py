"""The change_control and shadow_it sections fail at load time naming the key, and the `changes` command lists and
accepts schema changes."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from customer_hub.cli import main
from customer_hub.config import ConfigError, load_config
from customer_hub.store import change_store, engine_for
from customer_hub_tests.quality.hub_data import snapshot

REPO_CONFIG = Path(__file__).resolve().parents[2] / "hub.yaml"


@pytest.mark.parametrize(
    "section,values,expected",
    [
        ("change_control", {"asana_project_gid": "patches"}, "change_control.asana_project_gid: 'patches' is not an"),
        ("change_control", {"digest_cron": "0 8 * *"}, "change_control.digest_cron: '0 8 * *' has 4 fields"),
        ("change_control", {"digest_crn": "0 8 * * 1"}, "change_control.digest_crn: unknown key"),
        ("shadow_it", {"vendors": {"zoom": ["Zoom"]}}, "shadow_it.vendors: unknown tool(s) ['zoom']; tools are"),
        ("shadow_it", {"cost_tolerance": -1}, "shadow_it.cost_tolerance: Input should be greater than or equal to 0"),
    ],
)
def test_a_bad_section_fails_the_load_naming_the_key(tmp_path, section, values, expected):
    data = yaml.safe_load(REPO_CONFIG.read_text())
    data[section] = values
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert expected in str(error.value)


def test_an_unquoted_project_gid_is_kept_as_its_digits(tmp_path):
    from customer_hub.change_control.settings import change_control_settings

    assert change_control_settings({"asana_project_gid": 1200000000000004}).asana_project_gid == "1200000000000004"
    assert not change_control_settings({}).tickets_on


@pytest.fixture
def hub_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOMER_HUB_HOME", str(tmp_path))
    monkeypatch.delenv("CUSTOMER_HUB_DATABASE_URL", raising=False)
    monkeypatch.setenv("CUSTOMER_HUB_CONFIG", str(REPO_CONFIG))
    return engine_for(f"sqlite:///{tmp_path / 'hub.db'}")


def test_changes_lists_the_open_changes_and_accept_resolves_them(hub_home, capsys):
    now = datetime.now(UTC)
    snapshot(hub_home, "intercom", "contacts", ["id", "email", "name"], now - timedelta(days=4))
    snapshot(hub_home, "intercom", "contacts", ["id", "email", "name", "loyalty_tier"], now - timedelta(days=1))

    assert main(["changes"]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("intercom contacts: added loyalty_tier · open 0 days · owner support-lead@example.com")

    assert main(["changes", "accept", "intercom", "contacts", "--by", "ops"]) == 0
    assert "1 change(s) resolved" in capsys.readouterr().out
    assert change_store.read_changes(hub_home, change_store.OPEN) == []
    assert main(["changes"]) == 0 and capsys.readouterr().out == "No open schema change.\n"
    assert main(["changes", "--all"]) == 0 and capsys.readouterr().out.startswith("[resolved] intercom contacts")

    assert main(["changes", "accept", "intercom", "tickets"]) == 1
    assert "no stream intercom tickets" in capsys.readouterr().err
