"""hub.yaml is validated at load time and a bad file names the key and the fix."""

from pathlib import Path

import pytest
import yaml

from customer_hub.config import OBJECTS, ConfigError, cron_problem, load_config

REPO_CONFIG = Path(__file__).resolve().parents[1] / "hub.yaml"


def _write(tmp_path, data) -> Path:
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _repo_data() -> dict:
    return yaml.safe_load(REPO_CONFIG.read_text())


def test_shipped_hub_yaml_is_valid_and_lists_all_six_tools():
    config = load_config(REPO_CONFIG)
    assert set(config.systems) == {"hubspot", "stripe", "intercom", "quickbooks", "sheets", "asana"}
    assert config.systems["hubspot"].cron == "0 * * * *"
    assert config.systems["quickbooks"].credentials["refresh_token"] == "QUICKBOOKS_REFRESH_TOKEN"


def test_base_url_env_overrides_configured_url(monkeypatch):
    config = load_config(REPO_CONFIG)
    monkeypatch.setenv("HUBSPOT_BASE_URL", "http://127.0.0.1:9999/hubspot/")
    assert config.systems["hubspot"].resolved_base_url() == "http://127.0.0.1:9999/hubspot"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["systems"]["hubspot"].update(credentials={"access_token": "pat-na1-123"}),
            "systems.hubspot.credentials",
        ),
        (lambda d: d["systems"]["stripe"].update(cadence="every hour"), "systems.stripe.cadence"),
        (lambda d: d["systems"]["intercom"].update(owner="Support"), "systems.intercom.owner"),
        (lambda d: d["systems"]["asana"].update(colour="blue"), "systems.asana.colour: unknown key"),
        (lambda d: d["systems"].update(salesforce=d["systems"]["hubspot"]), "unknown tool(s) ['salesforce']"),
        (lambda d: d["field_ownership"].update(email="zendesk"), "field_ownership.email"),
        (lambda d: d["sync"].update(page_size=0), "sync.page_size"),
        (lambda d: d["systems"]["sheets"].pop("objects"), "systems.sheets.objects: required key is missing"),
        (lambda d: d["systems"]["hubspot"].update(cadence="99 * * * *"), "systems.hubspot.cadence"),
        (lambda d: d["systems"]["hubspot"].update(cadence="a b c d e"), "minute field 'a'"),
        (lambda d: d["systems"]["stripe"].update(cadence="0 6 * * 8"), "day of week field '8': 8 is out of range"),
        (
            lambda d: d["systems"]["intercom"].update(objects=["contacts", "tickets"]),
            "systems.intercom.objects: unknown object(s) ['tickets']",
        ),
    ],
)
def test_bad_file_names_the_key(tmp_path, mutate, expected):
    data = _repo_data()
    mutate(data)
    with pytest.raises(ConfigError) as error:
        load_config(_write(tmp_path, data))
    assert expected in str(error.value)
    assert "pat-na1-123" not in str(error.value)


def test_missing_file_and_bad_yaml_are_explained(tmp_path):
    with pytest.raises(ConfigError, match="no such file; set CUSTOMER_HUB_CONFIG"):
        load_config(tmp_path / "absent.yaml")
    broken = tmp_path / "hub.yaml"
    broken.write_text("systems: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)


@pytest.mark.parametrize(
    ("section", "value", "expected"),
    [
        ("quality", {"completeness_min": 1.5}, "quality.completeness_min"),
        ("matching", {"auto_merge_treshold": 0.9}, "matching.auto_merge_treshold: unknown key"),
        ("automation", {"onboarding": {"latency_max_minutes": -1}}, "automation.onboarding.latency_max_minutes"),
        ("export", {"format": "xlsx"}, "export.format"),
    ],
)
def test_sections_are_validated_by_their_owners_at_load_time(tmp_path, section, value, expected):
    data = _repo_data()
    data[section] = value
    with pytest.raises(ConfigError) as error:
        load_config(_write(tmp_path, data))
    assert expected in str(error.value)


def test_a_key_given_twice_is_refused_naming_it_and_its_lines(tmp_path):
    text = REPO_CONFIG.read_text().replace("    cadence:", "    cadence: daily\n    cadence:", 1)
    path = tmp_path / "hub.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"key 'cadence' is given twice \(lines \d+ and \d+\); keep one"):
        load_config(path)


@pytest.mark.parametrize(
    "cron", ["*/15 * * * *", "0 6 * * 1-5", "0 6 1 jan,jul *", "30 2 * * sun", "0 0-23/2 * * *", "0 6 * * 7"]
)
def test_valid_cron_expressions_pass_and_dagster_agrees(cron):
    from dagster._utils.schedules import is_valid_cron_string

    assert cron_problem(cron) is None and is_valid_cron_string(cron)


def test_the_objects_the_config_knows_are_the_connectors_own():
    from customer_hub.spokes.registry import connector_class

    assert {tool: connector_class(tool).objects for tool in OBJECTS} == OBJECTS
