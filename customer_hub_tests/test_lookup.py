"""Finding a customer by whatever is at hand, the readable 360 view, and recording steward decisions."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from customer_hub.golden.view360 import customer_view, view_row
from customer_hub.lookup import (
    DecisionError,
    canonical_email,
    format_360,
    load_decisions_file,
    lookup,
    record_decision,
)
from customer_hub.store import engine_for, golden_store

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _golden(golden_id: str, status: str = "active", merged_into: str | None = None, **fields) -> dict:
    return {
        "golden_id": golden_id,
        "kind": "customer",
        "status": status,
        "merged_into": merged_into,
        "fields": fields,
        "field_sources": {field: "hubspot:companies:1" for field in fields},
        "created_at": NOW,
        "updated_at": NOW,
    }


def _xref(record_id: str, golden_id: str, email: str | None = None) -> dict:
    tool, obj, source_id = record_id.split(":", 2)
    return {
        "record_id": record_id,
        "source_system": tool,
        "source_object": obj,
        "source_id": source_id,
        "golden_customer_id": golden_id,
        "golden_person_id": None,
        "email": email,
        "match_rule": "shared_key",
        "confidence": 1.0,
        "match_scores": None,
        "linked_to": None,
        "updated_at": NOW,
    }


@pytest.fixture
def hub(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/hub.db")
    customers = [
        _golden("GC-000001", company_name="Acme Corporation", company_domain="acme.com", email="wile@acme.com"),
        _golden("GC-000002", company_name="Acme Widgets", company_domain="acmewidgets.io"),
        _golden("GC-000003", company_name="Globex", company_domain="https://www.globex.com/"),
        _golden("GC-000004", first_name="Jo", last_name="Bloggs", email="jo.bloggs@gmail.com"),
        _golden("GC-000005", status="merged", merged_into="GC-000001", company_name="ACME corp"),
    ]
    links = [
        _xref("hubspot:companies:1", "GC-000001"),
        _xref("hubspot:contacts:11", "GC-000001", "rita.runner@acme.com"),
        _xref("stripe:customers:cus_A1", "GC-000001", "billing@acme.com"),
        _xref("stripe:customers:cus_G", "GC-000003"),
        _xref("intercom:contacts:6f1", "GC-000004", "jobloggs@gmail.com"),
    ]
    golden_store.save_golden_run(engine, [(customers, [], [])], [links], [])
    golden_store.replace_customer_records(
        engine,
        [
            {
                "record_id": link["record_id"],
                "source_system": link["source_system"],
                "source_object": link["source_object"],
                "source_id": link["source_id"],
                "attributes": {},
                "source_updated_at": NOW,
                "deleted_at": None,
            }
            for link in links
        ],
    )
    views = [
        customer_view(row, [], [link for link in links if link["golden_customer_id"] == row["golden_id"]])
        for row in customers
        if row["status"] == "active"
    ]
    rows = [view_row(view, NOW) for view in views]
    golden_store.save_360(engine, rows, [])
    return engine


def _ids(results: list[dict]) -> list[str]:
    return [result["golden_customer_id"] for result in results]


@pytest.mark.parametrize(
    "query",
    ["cus_A1", "stripe:customers:cus_A1", "GC-000001", "GC-000005", "hubspot:contacts:11"],
)
def test_any_tool_id_record_id_or_golden_id_finds_the_customer(hub, query):
    results = lookup(hub, query)
    assert _ids(results)[0] == "GC-000001"
    assert results[0]["match"]["score"] == 100.0


def test_the_match_says_how_the_customer_was_found(hub):
    assert lookup(hub, "GC-000005")[0]["match"]["on"] == "golden id (merged into GC-000001)"
    assert lookup(hub, "cus_A1")[0]["match"]["on"] == "tool id"
    assert lookup(hub, "stripe:customers:cus_A1")[0]["match"]["on"] == "record id"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Rita.Runner@ACME.com", "GC-000001"),  # a contact's email, not the survived one
        ("wile@acme.com", "GC-000001"),  # the survived email
        ("Jo.Bloggs+news@googlemail.com", "GC-000004"),  # the same Gmail mailbox
        ("someone.new@globex.com", "GC-000003"),  # unknown address, known company domain
    ],
)
def test_email_finds_the_customer(hub, query, expected):
    assert _ids(lookup(hub, query))[0] == expected


def test_a_free_mail_domain_is_not_a_company(hub):
    assert lookup(hub, "stranger@gmail.com") == []


@pytest.mark.parametrize("query", ["globex.com", "https://www.Globex.com/pricing", "GLOBEX.COM"])
def test_domain_or_url_finds_the_customer(hub, query):
    result = lookup(hub, query)[0]
    assert (result["golden_customer_id"], result["match"]["on"]) == ("GC-000003", "domain")


def test_name_exact_beats_prefix_and_prefix_lists_all(hub):
    assert _ids(lookup(hub, "acme corporation"))[0] == "GC-000001"
    assert set(_ids(lookup(hub, "ACME"))) == {"GC-000001", "GC-000002"}


def test_name_contained_and_typo(hub):
    assert _ids(lookup(hub, "widgets")) == ["GC-000002"]
    typo = lookup(hub, "Acme Corportaion")
    assert _ids(typo)[0] == "GC-000001"
    assert typo[0]["match"]["on"] == "similar name"


def test_unknown_or_empty_query_finds_nothing(hub):
    assert lookup(hub, "zzz unknown") == []
    assert lookup(hub, "   ") == []


def test_results_are_json_ready_and_limited(hub):
    results = lookup(hub, "acme", limit=1)
    assert len(results) == 1
    json.dumps(results)


def test_canonical_email_matches_the_resolution_rules():
    from customer_hub.resolution.emails import normalize_email

    for address in ["J.Smith+crm@GoogleMail.com", "Wile.E@Acme.com", "x+y@outlook.com", " a.b@gmail.com "]:
        assert canonical_email(address) == normalize_email(address)


def test_format_360_shows_sources_money_and_warnings():
    view = {
        "golden_customer_id": "GC-000001",
        "name": "Acme Corporation",
        "domain": "acme.com",
        "email": "wile@acme.com",
        "record_count": 2,
        "fields": {"company_name": {"value": "Acme Corporation", "source": "hubspot", "record": "hubspot:companies:1"}},
        "mrr": 998.0,
        "active_subscriptions": 2,
        "subscriptions": [
            {"source_id": "sub_1", "product": "Growth", "status": "active", "mrr": 499.0, "next_billing_date": None},
            {"source_id": "sub_2", "product": "Growth", "status": "trialing", "mrr": 499.0, "next_billing_date": None},
            {"source_id": "sub_0", "product": "Starter", "status": "canceled", "mrr": 0.0, "next_billing_date": None},
        ],
        "double_billing": [
            {
                "product": "prod_G",
                "product_name": "Growth",
                "subscriptions": ["sub_1", "sub_2"],
                "items": [
                    {"source_id": "sub_1", "mrr": 499.0, "currency": "USD", "started_at": "2025-01-05T00:00:00"},
                    {"source_id": "sub_2", "mrr": 499.0, "currency": "USD", "started_at": "2026-03-02T00:00:00"},
                ],
                "mrr": 998.0,
                "since": "2026-03-02T00:00:00",
            }
        ],
        "accounting": {"balance": 1500.0, "unpaid_invoices": 2, "unpaid_total": 1500.0, "overdue_invoices": 1},
        "support": {"open_conversations": 3, "conversations": 5, "last_conversation_at": "2026-11-20T10:00:00"},
        "implementation_status": {"value": "In progress", "source": "sheets"},
        "history": [{"event": "merged", "at": "2026-11-21T00:00:00", "detail": {"absorbed": "GC-000005"}}],
        "match": {"on": "name", "score": 95.0},
    }
    text = format_360(view)
    for expected in [
        "Acme Corporation  [GC-000001]",
        "hubspot",
        "MRR 998.00 from 2 billing subscription(s)",
        "DOUBLE BILLING: Growth billed 2 times since 2026-03-02: sub_1 499.00 USD/month (from 2025-01-05), sub_2",
        "balance 1,500.00 · 2 unpaid invoice(s) totalling 1,500.00 (1 overdue)",
        "3 open conversation(s)",
        "In progress",
        "merged",
        "absorbed GC-000005",
    ]:
        assert expected in text


def test_format_360_never_adds_up_two_currencies():
    view = {
        "golden_customer_id": "GC-1",
        "mrr": 190.0,
        "mrr_by_currency": {"EUR": 90.0, "USD": 100.0},
        "active_subscriptions": 2,
    }
    assert "MRR 90.00 EUR + 100.00 USD from 2 billing subscription(s)" in format_360(view)
    assert "MRR 100.00 from 1" in format_360({**view, "mrr": 100.0, "mrr_by_currency": {"USD": 100.0},
                                             "active_subscriptions": 1})  # fmt: skip


def test_record_decision_checks_the_records_exist(hub):
    record_decision(
        hub, "hubspot:companies:1", "stripe:customers:cus_G", "keep_apart", "steward@example.com", "two firms"
    )
    decisions = golden_store.read_decisions(hub)
    assert [(d["record_id_a"], d["record_id_b"], d["decision"]) for d in decisions] == [
        ("hubspot:companies:1", "stripe:customers:cus_G", "keep_apart")
    ]
    with pytest.raises(DecisionError, match="no customer record with id hubspot:companies:999: copy record ids"):
        record_decision(hub, "hubspot:companies:1", "hubspot:companies:999", "merge", "me")
    with pytest.raises(DecisionError, match=r"record_a '101' is not a record id \(tool:object:id"):
        record_decision(hub, "101", "stripe:customers:cus_G", "merge", "me")
    with pytest.raises(ValueError, match="use merge or keep_apart"):
        record_decision(hub, "hubspot:companies:1", "stripe:customers:cus_G", "maybe", "me")


def test_newest_decision_on_a_pair_wins(hub):
    record_decision(hub, "hubspot:companies:1", "stripe:customers:cus_G", "merge", "a")
    record_decision(hub, "stripe:customers:cus_G", "hubspot:companies:1", "keep_apart", "b")
    assert [d["decision"] for d in golden_store.read_decisions(hub)] == ["keep_apart"]


def test_decisions_file_yaml_and_csv_all_or_nothing(hub, tmp_path):
    good = tmp_path / "decisions.yaml"
    good.write_text(
        "decisions:\n"
        "  - {record_a: 'hubspot:companies:1', record_b: 'stripe:customers:cus_G', decision: keep_apart, by: ann}\n"
    )
    assert load_decisions_file(hub, good) == 1
    bad = tmp_path / "decisions.csv"
    bad.write_text(
        "record_a,record_b,decision,by,reason\n"
        "hubspot:contacts:11,intercom:contacts:6f1,merge,bob,same person\n"
        "hubspot:contacts:11,nope,merge,bob,typo\n"
    )
    with pytest.raises(ValueError, match="decision 2: record_b 'nope'"):
        load_decisions_file(hub, bad)
    assert len(golden_store.read_decisions(hub)) == 1
    bad.write_text("record_a,record_b,decision,by,reason\nhubspot:contacts:11,intercom:contacts:6f1,merge,,\n")
    assert load_decisions_file(hub, bad) == 1
    by = {d["decision"]: d["decided_by"] for d in golden_store.read_decisions(hub)}
    assert by == {"keep_apart": "ann", "merge": "file:decisions.csv"}


def test_unreadable_decisions_files_are_explained(hub, tmp_path):
    with pytest.raises(DecisionError, match="missing.yaml: cannot read the decisions file"):
        load_decisions_file(hub, tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("decisions: [unclosed\n")
    with pytest.raises(DecisionError, match="broken.yaml: not valid YAML"):
        load_decisions_file(hub, broken)
    assert golden_store.read_decisions(hub) == []
