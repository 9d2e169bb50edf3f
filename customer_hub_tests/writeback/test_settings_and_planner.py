"""The writeback section is refused at load time when it cannot work; the planner sends only real changes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from customer_hub.config import ConfigError, parse_config
from customer_hub.writeback.fields import UNKNOWN, landed_value
from customer_hub.writeback.planner import Desired, LastWrite, Plan, guard, plan_object

HUB_YAML = Path(__file__).resolve().parents[2] / "hub.yaml"


def _config_with(writeback: dict):
    data = yaml.safe_load(HUB_YAML.read_text())
    return parse_config({**data, "writeback": writeback}, HUB_YAML)


def test_the_shipped_targets_are_off_and_valid() -> None:
    config = _config_with(yaml.safe_load(HUB_YAML.read_text())["writeback"])
    from customer_hub.writeback.settings import writeback_settings

    assert writeback_settings(config.writeback).tools() == []


def test_writing_a_field_into_its_owning_tool_is_refused_naming_the_key() -> None:
    with pytest.raises(
        ConfigError, match=r"writeback\.targets\.stripe\.customers\.fields\.subscription_status: stripe owns"
    ):
        _config_with({"targets": {"stripe": {"customers": {"fields": {"subscription_status": "metadata[status]"}}}}})


@pytest.mark.parametrize(
    ("writeback", "message"),
    [
        ({"targets": {"hubspot": {"contacts": {"fields": {"balance": "metadata[balance]"}}}}}, "hubspot takes plain"),
        ({"targets": {"stripe": {"invoices": {}}}}, "stripe.invoices: cannot write there"),
        ({"targets": {"hubspot": {"contacts": {"mode": "mirror"}}}}, "mode"),
        (
            {"targets": {"hubspot": {"contacts": {"mode": "upsert", "create_fields": {"email": "email"}}}}},
            r"contacts: mode upsert needs golden_id_field",
        ),
        (
            {"targets": {"stripe": {"customers": {"mode": "upsert", "golden_id_field": "metadata[g]"}}}},
            r"customers.create_fields: mode upsert needs one of \['email', 'name'\] mapped",
        ),
        (
            {"targets": {"intercom": {"contacts": {"create_fields": {"email": "email"}}}}},
            r"intercom.contacts.create_fields: only used with mode: upsert",
        ),
        (
            {
                "targets": {
                    "quickbooks": {
                        "customers": {
                            "mode": "upsert",
                            "golden_id_field": "Notes",
                            "create_fields": {"company_name": "FullyQualifiedName"},
                        }
                    }
                }
            },
            "set by QuickBooks itself",
        ),
        (
            {
                "targets": {
                    "hubspot": {
                        "contacts": {
                            "mode": "upsert",
                            "golden_id_field": "g",
                            "create_fields": {"email": "email", "balance": "g"},
                        }
                    }
                }
            },
            "already written",
        ),
        (
            {"targets": {"quickbooks": {"customers": {"fields": {"email": "PrimaryEmailAddr[Address]"}}}}},
            r"PrimaryEmailAddr\[Address\]' is the QuickBooks customer's identity",
        ),
        ({"targets": {"quickbooks": {"customers": {"fields": {"company_name": "CompanyName"}}}}}, "identity"),
        ({"targets": {"quickbooks": {"customers": {"fields": {"balance": "Notes"}}}}}, "quickbooks owns 'balance'"),
        ({"targets": {"quickbooks": {"customers": {"golden_id_field": "golden_id"}}}}, "not a QuickBooks customer"),
        ({"targets": {"quickbooks": {"invoices": {}}}}, "quickbooks.invoices: cannot write there"),
        (
            {"targets": {"hubspot": {"contacts": {"golden_id_field": "x", "fields": {"balance": "x"}}}}},
            "already written",
        ),
    ],
)
def test_a_section_that_cannot_work_fails_at_load(writeback: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _config_with(writeback)


def _plan(desired, current, ledger=None, threshold=0.92) -> Plan:
    plan = Plan("stripe")
    plan_object(plan, "customers", desired, current, ledger or {}, threshold)
    return plan


def test_only_real_changes_are_planned() -> None:
    desired = [
        Desired("cus_1", "metadata[a]", "1", "GC-1", "balance"),  # tool already holds it
        Desired("cus_2", "metadata[a]", "2", "GC-2", "balance"),  # differs: update
        Desired("cus_3", "metadata[a]", None, "GC-3", "balance"),  # empty golden never empties the tool
        Desired("cus_4", "metadata[a]", "4", "GC-4", "balance", confidence=0.9),  # weak link
        Desired("cus_5", "name", "Acme", "GC-5", "company_name"),  # unknown to landing, written before
        Desired("cus_6", "metadata[a]", "6", "GC-6", "balance"),  # landed value stale, the hub's write pending read
        Desired("cus_9", "metadata[a]", "9", "GC-9", "balance"),  # not landed
    ]
    current = {
        ("cus_1", "metadata[a]"): "1",
        ("cus_2", "metadata[a]"): "old",
        ("cus_3", "metadata[a]"): "x",
        ("cus_4", "metadata[a]"): None,
        ("cus_5", "name"): UNKNOWN,
        ("cus_6", "metadata[a]"): None,
    }
    ledger = {("cus_5", "name"): LastWrite("confirmed", "Acme"), ("cus_6", "metadata[a]"): LastWrite("applied", "6")}
    plan = _plan(desired, current, ledger)
    assert [(c.source_id, c.old, c.new, c.operation) for c in plan.changes] == [("cus_2", "old", "2", "update")]
    assert plan.unchanged == 3
    assert dict(plan.skipped) == {"empty_golden_value": 1, "low_confidence": 1, "not_landed": 1}


def test_a_rejected_write_is_planned_again() -> None:
    desired = [Desired("cus_1", "name", "Acme", "GC-1", "company_name")]
    plan = _plan(desired, {("cus_1", "name"): UNKNOWN}, {("cus_1", "name"): LastWrite("rejected", "Acme")})
    assert [c.new for c in plan.changes] == ["Acme"]


def test_guard_holds_back_a_plan_touching_too_many_records() -> None:
    desired = [Desired(f"cus_{n}", "metadata[a]", "new", f"GC-{n}", "balance") for n in range(10)]
    current = {(f"cus_{n}", "metadata[a]"): ("new" if n < 7 else "old") for n in range(10)}
    plan = _plan(desired, current)
    assert not guard(plan, max_share=0.3, max_records=100).needs_approval
    assert guard(plan, max_share=0.2, max_records=100).needs_approval
    assert guard(plan, max_share=1.0, max_records=2).needs_approval


def test_landed_values_compare_as_the_tools_store_them() -> None:
    hubspot = {"properties": {"hub_open_balance": "1990"}}
    assert landed_value("hubspot", hubspot, "hub_open_balance") == "1990"
    assert landed_value("hubspot", hubspot, "golden_customer_id") is UNKNOWN  # not among the properties read
    assert landed_value("stripe", {"metadata": {}}, "metadata[open_balance]") is None
    assert landed_value("intercom", {"custom_attributes": {"x": 2.0}}, "custom_attributes[x]") == "2"


def test_quickbooks_targets_and_payloads() -> None:
    from customer_hub.writeback.fields import echo_hash
    from customer_hub.writeback.settings import writeback_settings

    section = {"targets": {"quickbooks": {"customers": {"golden_id_field": "Notes", "fields": {"x": "WebAddr[URI]"}}}}}
    assert writeback_settings(_config_with(section).writeback).targets["quickbooks"]["customers"].golden_id_field
    before = {"Id": "7", "SyncToken": "2", "MetaData": {"LastUpdatedTime": "2026-01-01T00:00:00-08:00"}}
    assert landed_value("quickbooks", before, "Notes") is None  # QuickBooks leaves empty fields out
    assert landed_value("quickbooks", before, "WebAddr[URI]") is None
    after = {**before, "SyncToken": "3", "Notes": "GC-1", "WebAddr": {"URI": "https://a.example"}}
    after["MetaData"] = {"LastUpdatedTime": "2026-01-02T00:00:00-08:00"}
    fields = ["Notes", "WebAddr[URI]"]
    assert echo_hash("quickbooks", before, fields) == echo_hash("quickbooks", after, fields)
    assert echo_hash("quickbooks", before, fields) != echo_hash("quickbooks", {**after, "ResaleNum": "1"}, fields)


def test_an_upsert_target_may_seed_a_new_record_with_fields_its_tool_owns() -> None:
    from customer_hub.writeback.settings import writeback_settings

    section = {
        "targets": {
            "quickbooks": {
                "customers": {
                    "mode": "upsert",
                    "golden_id_field": "Notes",
                    "create_fields": {"company_name": "DisplayName", "email": "PrimaryEmailAddr[Address]"},
                    "create_where": {"subscription_status": "active"},
                }
            },
            "hubspot": {"contacts": {"mode": "upsert", "golden_id_field": "golden_customer_id",
                                     "create_fields": {"email": "email", "first_name": "firstname"}}},
        }
    }  # fmt: skip
    settings = writeback_settings(_config_with(section).writeback)
    assert settings.targets["quickbooks"]["customers"].mode == "upsert"
    with pytest.raises(ConfigError, match="identity"):  # an existing customer's name stays the accounting team's
        _config_with({"targets": {"quickbooks": {"customers": {"fields": {"company_name": "DisplayName"}}}}})


def test_creates_are_planned_once_per_golden_customer() -> None:
    from customer_hub.writeback.planner import CreateSent, CreateWanted, create_key, plan_creates

    wanted = [
        CreateWanted("GC-1", {"email": "a@x.example", "golden_customer_id": "GC-1"}),  # never sent
        CreateWanted("GC-2", {"email": "b@x.example", "golden_customer_id": "GC-2"}),  # created, not synced yet
        CreateWanted("GC-3", {"email": "c@x.example", "golden_customer_id": "GC-3"}),  # answer lost
        CreateWanted("GC-4", {"email": "d@x.example", "golden_customer_id": "GC-4"}),  # refused before
        CreateWanted("GC-5", {"golden_customer_id": "GC-5"}, identified=False),  # nothing to find it by
    ]
    sent = {
        "GC-2": CreateSent("applied", 0, "k2"),
        "GC-3": CreateSent("pending", 1, "k3"),
        "GC-4": CreateSent("rejected", 0, "k4"),
    }
    plan = Plan("hubspot")
    plan_creates(plan, "contacts", "hubspot", wanted, sent)
    creates = {c.golden_id: c for c in plan.creates["contacts"]}
    assert sorted(creates) == ["GC-1", "GC-3", "GC-4"]
    assert (creates["GC-1"].resend, creates["GC-1"].idempotency_key) == (
        False,
        create_key("hubspot", "contacts", "GC-1", 0),
    )
    assert (creates["GC-3"].resend, creates["GC-3"].idempotency_key) == (True, "k3")  # looked for, not made twice
    assert creates["GC-4"].attempt == 1 and creates["GC-4"].idempotency_key not in (
        "k4",
        creates["GC-1"].idempotency_key,
    )
    assert plan.unchanged == 1 and dict(plan.skipped) == {"create_without_identity": 1}
    summary = plan.summary()
    assert summary["creates"] == 3 and summary["records_changed"] == 3
    assert summary["fields"]["email"] == {"create": 3}


def test_a_created_record_untouched_in_its_tool_only_confirms_its_golden_customer() -> None:
    from customer_hub.writeback.created import confirming_only

    landed = {"email": "ann@acme.example", "company_name": "Ann Smith", "balance": 0.0, "currency": "usd",
              "shared_keys": "stripe_customer:cus_1"}  # fmt: skip
    golden = {"email": "ann@acme.example", "company_name": "Acme Ltd"}
    assert confirming_only(landed, golden) == {
        "email": "ann@acme.example",
        "company_name": None,  # Stripe's name field, read as a company: not news about Acme
        "balance": None,  # the tool's default for a new customer
        "currency": "usd",
        "shared_keys": "stripe_customer:cus_1",
    }
