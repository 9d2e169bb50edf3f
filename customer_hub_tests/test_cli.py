"""The command line gives quick answers and clear messages for bad input."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from customer_hub.cli import main
from customer_hub.store import engine_for
from customer_hub.store.schema import landed_records

REPO_CONFIG = Path(__file__).resolve().parents[1] / "hub.yaml"


@pytest.fixture
def hub_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOMER_HUB_HOME", str(tmp_path))
    monkeypatch.delenv("CUSTOMER_HUB_DATABASE_URL", raising=False)
    monkeypatch.setenv("CUSTOMER_HUB_CONFIG", str(REPO_CONFIG))
    return tmp_path


def _land(home: Path, tool: str, obj: str, ids: list[str], deleted: bool = False) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "tool": tool,
            "object": obj,
            "source_id": source_id,
            "payload": {"id": source_id},
            "fields": {},
            "content_hash": source_id,
            "first_seen_at": now,
            "last_seen_at": now,
            "last_changed_at": now,
            "deleted_at": now if deleted else None,
        }
        for source_id in ids
    ]
    with engine_for(f"sqlite:///{home / 'hub.db'}").begin() as conn:
        conn.execute(insert(landed_records), rows)


def test_inventory_counts_live_rows_per_stream_and_costs(hub_home, capsys):
    _land(hub_home, "hubspot", "contacts", ["1", "2", "3"])
    _land(hub_home, "hubspot", "contacts", ["4"], deleted=True)

    assert main(["inventory"]) == 0

    out = capsys.readouterr().out
    hubspot = next(line for line in out.splitlines() if line.startswith("hubspot"))
    assert "contacts 3, companies 0, deals 0" in hubspot and "never" in hubspot
    assert "total monthly cost of enabled tools: $1,540" in out


def test_inventory_columns_line_up_with_the_last_syncs_age_and_status(hub_home, capsys):
    from customer_hub.config import load_config
    from customer_hub.inventory import format_inventory, inventory_rows
    from customer_hub.store.schema import integration_health_log, sync_cursors

    synced = datetime.now(UTC) - timedelta(hours=3)
    engine = engine_for(f"sqlite:///{hub_home / 'hub.db'}")
    _land(hub_home, "hubspot", "contacts", ["1"])
    with engine.begin() as conn:
        conn.execute(
            insert(sync_cursors),
            [
                {"tool": "hubspot", "object": obj, "last_sync_at": synced, "updated_at": synced}
                for obj in ("contacts", "companies", "deals")
            ],
        )
        conn.execute(insert(integration_health_log).values(started_at=synced, what="hubspot_deals", trigger="schedule",
                                                           tool="hubspot", status="failure"))  # fmt: skip
    lines = format_inventory(inventory_rows(load_config(REPO_CONFIG), engine)).splitlines()
    header, hubspot, stripe = lines[0], lines[2], next(line for line in lines if line.startswith("stripe"))
    column = header.index("last sync")
    assert hubspot[column:].startswith(synced.strftime("%Y-%m-%d %H:%M UTC"))
    assert stripe[column:].startswith("never")
    assert hubspot[header.index("age") :].startswith("3 h ago")
    assert hubspot[header.index("last run") :] == "failure"


def test_lookup_of_an_unknown_customer_says_so_and_exits_1(hub_home, capsys):
    assert main(["lookup", "nobody-at-all"]) == 1
    assert "No customer matches 'nobody-at-all'" in capsys.readouterr().out


def test_a_missing_config_file_is_explained_with_exit_2(hub_home, tmp_path, capsys):
    assert main(["--config", str(tmp_path / "missing.yaml"), "inventory"]) == 2
    assert "no such file; set CUSTOMER_HUB_CONFIG" in capsys.readouterr().err


def test_decide_without_records_or_file_explains_usage(hub_home):
    with pytest.raises(SystemExit, match="give RECORD_A RECORD_B merge\\|keep_apart\\|withdraw, or --file"):
        main(["decide"])


def test_an_unreachable_database_is_explained_with_exit_1(hub_home, monkeypatch, capsys):
    monkeypatch.setenv("CUSTOMER_HUB_DATABASE_URL", f"sqlite:///{hub_home}/no/such/folder/hub.db")
    assert main(["lookup", "acme"]) == 1
    assert "customer-hub lookup: the hub database cannot be used" in capsys.readouterr().err


def test_accept_fields_accepts_an_open_quarantine_and_refuses_an_unknown_stream(hub_home, capsys):
    from customer_hub.store.quarantine_store import open_quarantine, quarantines

    engine = engine_for(f"sqlite:///{hub_home / 'hub.db'}")
    with engine.begin() as conn:
        open_quarantine(conn, "hubspot", "contacts", "email", {"filled_before": 9, "emptied": 9}, datetime.now(UTC))

    assert main(["accept-fields", "hubspot", "contacts", "--by", "ops@example.com"]) == 0
    assert "accepted the new mapping of email" in capsys.readouterr().out
    [row] = quarantines(engine)
    assert row["status"] == "accepted" and row["accepted_by"] == "ops@example.com"

    assert main(["accept-fields", "hubspot", "contacts"]) == 1
    assert "no quarantined field to accept" in capsys.readouterr().out
    assert main(["accept-fields", "hubspot", "tickets"]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "no stream hubspot tickets" in line


def test_an_empty_lookup_is_refused_in_one_line(hub_home, capsys):
    with pytest.raises(SystemExit) as refused:
        main(["lookup", "  "])
    assert str(refused.value) == (
        "customer-hub lookup: the query is empty; give a name, email, domain, phone or a tool's id"
    )


def test_ui_runs_dg_dev_on_the_project_and_falls_back_to_dagster_dev_without_dg(tmp_path):
    from customer_hub.ui import dev_command

    project = REPO_CONFIG.parent
    assert dev_command(tmp_path, project, 3100) == [
        str(tmp_path / "dagster"), "dev", "-w", str(project / "workspace.yaml"), "-h", "127.0.0.1", "-p", "3100"
    ]  # fmt: skip
    (tmp_path / "dg").touch()
    assert dev_command(tmp_path, project, 3100) == [
        str(tmp_path / "dg"), "dev", "--target-path", str(project), "--host", "127.0.0.1", "--port", "3100"
    ]  # fmt: skip
