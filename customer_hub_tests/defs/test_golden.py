"""The golden assets in Dagster: lineage from the 12 streams to the 360 view, eager refresh, metadata for plots and
one integration-health row per run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from dagster import AssetKey, Definitions, materialize
from sqlalchemy import insert

from customer_hub.defs import golden
from customer_hub.defs.resources import HubResource
from customer_hub.spokes.canonical import canonical
from customer_hub.store import engine_for
from customer_hub.store.health import health_rows
from customer_hub.store.schema import landed_records

START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
HUB_YAML = str(Path(__file__).resolve().parents[2] / "hub.yaml")
STREAMS = {
    "hubspot_contacts", "hubspot_companies", "hubspot_deals", "stripe_customers", "stripe_subscriptions",
    "stripe_invoices", "intercom_contacts", "intercom_conversations", "quickbooks_customers", "quickbooks_invoices",
    "sheets_implementations", "asana_projects",
}  # fmt: skip


def _landed(record_id: str, **fields) -> dict:
    tool, obj, source_id = record_id.split(":")
    return {
        "tool": tool,
        "object": obj,
        "source_id": source_id,
        "payload": {},
        "fields": canonical(**fields),
        "content_hash": source_id,
        "source_updated_at": START,
        "first_seen_at": START,
        "last_seen_at": START,
        "last_changed_at": START,
        "deleted_at": None,
    }


def test_lineage_groups_and_automation():
    graph = Definitions(assets=golden.assets, resources={"hub": HubResource()}).resolve_asset_graph()
    parents = {
        key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }
    assert parents["customer_records"] == STREAMS
    assert (
        parents["golden_customers"] == parents["customer_xref"] == parents["match_candidates"] == {"customer_records"}
    )
    assert parents["customer_360"] == {"golden_customers", "customer_xref"}
    for key in ("customer_records", "golden_customers", "customer_xref", "match_candidates", "customer_360"):
        node = graph.get(AssetKey(key))
        assert node.group_name == "golden"
        assert node.automation_condition is not None
        assert node.metadata["dagster/column_schema"].columns  # the UI's Columns tab, from the store's table

    def columns(key: str) -> dict:
        return {c.name: c for c in graph.get(AssetKey(key)).metadata["dagster/column_schema"].columns}

    table = columns("golden_customers")
    assert (table["fields"].type, table["fields"].description) == ("json", "surviving value per field")
    assert table["golden_id"].constraints.unique and not table["golden_id"].constraints.nullable
    view_columns = list(columns("customer_360"))
    assert view_columns[:2] == ["golden_customer_id", "name"] and "view" in view_columns


def test_materializing_builds_every_table_with_numeric_metadata(tmp_path):
    url = f"sqlite:///{tmp_path}/hub.db"
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(
            insert(landed_records),
            [
                _landed("hubspot:companies:1", company_name="Acme Corp", company_domain="acme.com",
                        is_account_only=True, shared_keys="hubspot_company:1"),
                _landed("stripe:customers:cus_1", company_name="Acme Corp", full_name="Acme Corp",
                        shared_keys="stripe_customer:cus_1;hubspot_company:1"),
                _landed("stripe:subscriptions:sub_1", is_account_only=True, shared_keys="stripe_customer:cus_1",
                        subscription_status="active", product_id="prod_1", product_name="Pro", mrr=100.0,
                        started_at="2025-01-02T00:00:00+00:00"),
                _landed("stripe:subscriptions:sub_2", is_account_only=True, shared_keys="stripe_customer:cus_1",
                        subscription_status="active", product_id="prod_1", product_name="Pro", mrr=100.0,
                        started_at="2025-06-30T00:00:00+00:00"),
            ],
        )  # fmt: skip
    result = materialize(golden.assets, resources={"hub": HubResource(config_path=HUB_YAML, database_url=url)})
    assert result.success
    metadata = {
        event.asset_key.to_user_string(): {k: v.value for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
        if (event.asset_key is not None and event.materialization is not None)
    }
    assert metadata["customer_records"]["dagster/row_count"] == 4
    assert metadata["customer_records"]["records_stripe"] == 3
    assert metadata["golden_customers"]["golden_customers"] == 1
    assert metadata["customer_xref"]["dagster/row_count"] == 4
    assert metadata["match_candidates"]["candidates_open"] == 0
    assert metadata["customer_360"]["total_mrr"] == 200.0
    assert metadata["customer_360"]["double_billed_customers"] == 1
    # the product by name, both subscriptions and since when, as a person reads them (no Python lists)
    assert "| Pro | sub_1, sub_2 | 200.0 | 2025-06-30T00:00:00+00:00 |" in metadata["customer_360"]["double_billing"]
    health = [(row["what"], row["status"], row["trigger"]) for row in health_rows(engine)]
    assert health == [
        ("customer_records", "success", "manual"),
        ("golden_customers", "success", "manual"),
        ("customer_360", "success", "manual"),
    ]


def test_match_candidates_shows_the_open_pairs_as_a_table(tmp_path):
    url = f"sqlite:///{tmp_path}/hub.db"
    with engine_for(url).begin() as conn:
        conn.execute(
            insert(landed_records),
            [_landed("hubspot:contacts:1", first_name="Katherine", last_name="Johnson"),
             _landed("intercom:contacts:a", full_name="Katherine Johnson")],
        )  # fmt: skip
    result = materialize(golden.assets[:2], resources={"hub": HubResource(config_path=HUB_YAML, database_url=url)})
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == AssetKey("match_candidates")]
    table = event.materialization.metadata["open_pairs"].value
    assert "| hubspot:contacts:1 | Katherine Johnson |" in table
    assert "below auto-merge" in table
