"""The integration map follows hub.yaml and the Dagster definitions: tools, flows, field owners, and its renderings."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from customer_hub import cli
from customer_hub.config import load_config, parse_config
from customer_hub.export.monthly import MANIFEST, export_hub
from customer_hub.export.reimport import ExportImportError, verify_export
from customer_hub.integration_map import GraphvizMissing, build_map, code_location_facts, render
from customer_hub.integration_map.facts import DefinitionFacts
from customer_hub.store import engine_for

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
INVENTORY = [
    {
        "tool": "hubspot",
        "objects": {"contacts": 1204, "companies": 310},
        "last_sync_at": NOW,
        "last_run_status": "success",
    },
    {"tool": "quickbooks", "objects": {"invoices": 87}, "last_sync_at": None, "last_run_status": "failure"},
]


@pytest.fixture(scope="module")
def facts() -> DefinitionFacts:
    return code_location_facts()


@pytest.fixture(scope="module")
def hub_yaml() -> dict:
    return yaml.safe_load((ROOT / "hub.yaml").read_text())


def _map(data: dict, facts: DefinitionFacts, tmp_path: Path):
    return build_map(parse_config(data, tmp_path / "hub.yaml"), facts, INVENTORY, NOW)


def test_the_map_shows_each_tool_every_flow_and_the_field_owners(facts, hub_yaml, tmp_path):
    chart = _map(hub_yaml, facts, tmp_path)
    hubspot = next(tool for tool in chart.tools if tool.tool == "hubspot")
    assert (hubspot.owner, hubspot.cadence, hubspot.schedule, hubspot.wired) == (
        "sales-ops@example.com", "hourly", "0 * * * *", True
    )  # fmt: skip
    assert hubspot.objects == {"contacts": 1204, "companies": 310, "deals": 0}
    flows = {(flow.source, flow.target, flow.kind, flow.label, flow.active) for flow in chart.flows}
    assert ("quickbooks", "hub", "read", "sync daily", True) in flows
    assert ("stripe", "hub", "webhook", "webhooks", True) in flows
    assert ("hub", "asana", "onboarding", "onboarding project", True) in flows
    assert ("hub", "quickbooks", "onboarding", "draft invoice", True) in flows
    assert ("hub", "hubspot", "writeback", "write-back contacts", False) in flows  # configured, switched off
    assert ("hub", "slack", "alert", "alerts", True) in flows
    fields = {row.field: row for row in chart.fields}
    assert fields["balance"].owners == ("quickbooks",)
    assert "hubspot contacts hub_open_balance (off)" in fields["balance"].written_to
    assert fields["last_payment_date"].owners == ("stripe invoices created_at",)
    assert chart.inside_hub["customer_success"] == ("customer_health", "mrr")

    text = render(chart, "md")
    assert '  quickbooks -->|"sync daily"| hub' in text
    assert '  hub -.->|"write-back contacts (off)"| hubspot' in text
    assert (
        "| HubSpot | sales-ops@example.com | hourly (`0 * * * *`) | contacts 1,204 · companies 310 · deals 0 |" in text
    )
    quickbooks = "| QuickBooks Online | finance@example.com | daily (`0 6 * * *`) | customers 0 · invoices 87 · "
    assert f"{quickbooks}purchases 0 · bills 0 · vendors 0 | never | failure |" in text


def test_a_change_in_hub_yaml_changes_the_map(facts, hub_yaml, tmp_path):
    before = render(_map(hub_yaml, facts, tmp_path), "md")
    changed = yaml.safe_load(yaml.safe_dump(hub_yaml))
    changed["systems"]["hubspot"]["owner"] = "revops@example.com"
    changed["systems"]["intercom"]["cadence"] = "daily"
    changed["field_ownership"]["phone"] = ["intercom", "hubspot"]
    changed["alerts"]["slack_channel"] = "#cs-alerts"
    after = render(_map(changed, facts, tmp_path), "md")
    assert before != after
    assert "| HubSpot | revops@example.com |" in after and "revops" not in before
    assert '  intercom -->|"sync daily"| hub' in after
    assert "| phone | intercom, hubspot | - |" in after
    assert 'slack>"Slack #35;cs-alerts"]' in after


def test_what_the_definitions_wire_decides_whether_a_flow_is_on(facts, hub_yaml, tmp_path):
    """hub.yaml with Asana disabled and HubSpot write-back on, and the definitions such a file builds: no Asana
    streams or onboarding asset, a hubspot_writeback asset."""
    changed = yaml.safe_load(yaml.safe_dump(hub_yaml))
    changed["systems"]["asana"]["enabled"] = False
    changed["writeback"]["targets"]["hubspot"]["contacts"]["enabled"] = True
    assets = {key: group for key, group in facts.assets.items() if group != "asana" and key != "onboarding_flows"}
    wired = DefinitionFacts({**assets, "hubspot_writeback": "writeback"}, facts.schedules, facts.sensors)
    text = render(_map(changed, wired, tmp_path), "md")
    assert "| Asana | team:customer-success | hourly (`0 * * * *`), disabled |" in text
    assert '  asana -.->|"not synced (disabled) (off)"| hub' in text
    assert "onboarding project" not in text and "draft invoice" not in text
    assert '  hub -->|"write-back contacts"| hubspot' in text
    assert "| subscription_status | stripe | hubspot contacts hub_subscription_status, intercom" in text
    # the write-back switched on in hub.yaml but not (yet) in the definitions is still drawn as off
    assert '  hub -.->|"write-back contacts (off)"| hubspot' in render(_map(changed, facts, tmp_path), "md")


def test_labels_cannot_break_the_mermaid_diagram(facts, hub_yaml, tmp_path):
    data = {**hub_yaml, "hub": {"name": 'The "Hub" | #1;', "owner": "team:hub"}}
    text = render(_map(data, facts, tmp_path), "md")
    assert 'hub[["The #quot;Hub#quot; | #35;1;<br/>team:hub"]]' in text


def test_svg_and_html_are_drawn_by_graphviz(facts, hub_yaml, tmp_path):
    pytest.importorskip("graphviz", reason="the graphviz Python package is not installed (make install adds it)")
    if not shutil.which("dot"):
        pytest.skip("Graphviz's `dot` program is not installed (apt-get install graphviz)")
    chart = _map(hub_yaml, facts, tmp_path)
    drawing = render(chart, "svg")
    assert drawing.lstrip().startswith("<?xml") and "<svg" in drawing and "HubSpot" in drawing
    page = render(chart, "html")
    assert page.startswith("<!doctype html>") and "<svg" in page and "<?xml" not in page
    assert "<th>field</th>" in page and "<td>sales-ops@example.com</td>" in page


def test_without_graphviz_svg_fails_in_one_line_and_markdown_still_works(
    facts, hub_yaml, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    chart = _map(hub_yaml, facts, tmp_path)
    with pytest.raises(GraphvizMissing, match="needs Graphviz's `dot` program"):
        render(chart, "html")
    assert render(chart, "md").startswith("# Integration map")
    assert cli.main(["--config", str(ROOT / "hub.yaml"), "map", "--format", "svg"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("customer-hub map: drawing the map needs Graphviz's `dot` program, which is not on PATH")


def test_the_monthly_export_carries_the_map(facts, hub_yaml, tmp_path):
    text = render(_map(hub_yaml, facts, tmp_path), "md")
    folder = tmp_path / "2026-11"
    export_hub(
        engine_for(f"sqlite:///{tmp_path}/hub.db"), folder, file_format="csv", documents={"integration_map.md": text}
    )
    assert (folder / "integration_map.md").read_text() == text
    manifest = verify_export(folder)
    assert [entry["file"] for entry in manifest["documents"]] == ["integration_map.md"]
    (folder / "integration_map.md").write_text(text.replace("finance@", "someone@"))
    with pytest.raises(ExportImportError, match="integration_map.md: checksum differs from the manifest"):
        verify_export(folder)
    assert (folder / MANIFEST).exists()


def test_the_map_of_the_project_hub_yaml_loads(facts):
    chart = build_map(load_config(ROOT / "hub.yaml"), facts, [], NOW)
    assert [tool.tool for tool in chart.tools] == ["hubspot", "stripe", "intercom", "quickbooks", "sheets", "asana"]
    assert all(tool.wired for tool in chart.tools)
