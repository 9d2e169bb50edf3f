"""The figures the store counts in SQL agree with the rules as written in Python, on SQLite and PostgreSQL: blank
values, deleted records, merged golden records, and offenders listed only up to the limit while counts cover all."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, update

from customer_hub.config import load_config
from customer_hub.golden.review import auto_merge_threshold
from customer_hub.quality import compute_metrics, duplicates_check, quality_settings
from customer_hub.quality.completeness import incomplete_customer
from customer_hub.store.quality_store import _WHITESPACE, record_completeness_counts
from customer_hub.store.schema import customer_records, golden_customers, resolution_input
from customer_hub_tests.quality.hub_data import NOW, candidate, golden, land, record, view


@pytest.fixture
def config():
    return load_config()


def _series(engine, config, limit: int = 20):
    settings = quality_settings(config).model_copy(update={"offenders_limit": limit})
    return {metric.series: metric for metric in compute_metrics(engine, config, NOW, settings)}


def _delete_record(engine, record_id: str) -> None:
    """As customer records mark a vanished record: kept, with `deleted_at`, and out of matching's input."""
    with engine.begin() as conn:
        conn.execute(update(customer_records).where(customer_records.c.record_id == record_id).values(deleted_at=NOW))
        conn.execute(delete(resolution_input).where(resolution_input.c.record_id == record_id))


def _merge_golden(engine, golden_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(golden_customers).where(golden_customers.c.golden_id == golden_id).values(status="merged"))


def test_the_sql_trim_removes_exactly_what_python_strip_removes():
    assert set(_WHITESPACE) == {char for char in map(chr, range(0x110000)) if char.isspace()}


def test_completeness_counts_blank_and_whitespace_values_as_missing(hub_engine, config):
    golden(hub_engine, "GC1", email="a@acme.com", company_name="Acme", phone=4420)  # a number is a value
    golden(hub_engine, "GC-2", email="  ", company_name="\t", phone="\u00a0")  # blanks only
    golden(hub_engine, "GC_3", email="b@beta.io", company_name=None, phone="")
    golden(hub_engine, "GCa", email="c@gamma.org")  # company and phone absent from the fields
    golden(hub_engine, "GP1", kind="person")  # people are not customers
    golden(hub_engine, "GC9")
    _merge_golden(hub_engine, "GC9")  # merged away: not a customer any more

    metric = _series(hub_engine, config, limit=2)["completeness/all"]

    assert metric.value == pytest.approx(0.25)
    detail = metric.detail
    assert (detail["customers"], detail["complete"], detail["offender_count"]) == (4, 1, 3)
    assert detail["missing_per_field"] == {"email": 1, "company_name": 3, "phone": 3}
    # the first two by golden id in code-point order, whatever the database's collation
    assert [item["golden_id"] for item in detail["offenders"]] == sorted(["GC-2", "GC_3", "GCa"])[:2]
    fields = ["email", "company_name", "phone"]
    expected = incomplete_customer("GC-2", {"email": "  ", "company_name": "\t", "phone": "\u00a0"}, fields)
    assert detail["offenders"][0] == expected and expected["missing"] == fields


def test_record_completeness_counts_live_records_of_the_entity_streams_per_tool(hub_engine, config):
    record(hub_engine, "hubspot:contacts:1", "GC1", email="a@acme.com", company_name="Acme", phone="+4420")
    record(hub_engine, "hubspot:contacts:2", "GC1", email=" ", company_name="Acme", phone="+4420")
    record(hub_engine, "hubspot:contacts:3", "GC1", email="c@acme.com", company_name="Acme", phone="+4420")
    _delete_record(hub_engine, "hubspot:contacts:3")  # deleted: not counted
    record(hub_engine, "hubspot:deals:4", "GC1")  # deals are not entity records
    record(hub_engine, "stripe:customers:cus_1", "GC1", email="a@acme.com", company_name="Acme", phone=4420)

    metrics = _series(hub_engine, config)

    hubspot = metrics["completeness/hubspot"]
    assert hubspot.value == 0.5
    assert hubspot.detail == {
        "records": 2,
        "complete": 1,
        "missing_per_field": {"email": 1, "company_name": 0, "phone": 0},
    }
    assert metrics["completeness/stripe"].value == 1.0
    assert "completeness/intercom" not in metrics  # a tool without records has no figure


def test_record_completeness_of_a_field_matching_does_not_read_counts_the_stored_attributes(hub_engine):
    record(hub_engine, "stripe:customers:cus_1", "GC1", email="a@acme.com", payment_method="card")
    record(hub_engine, "stripe:customers:cus_2", "GC2", email="b@beta.io", payment_method=" ")
    record(hub_engine, "stripe:customers:cus_3", "GC3", email="c@gamma.org", payment_method="card")
    _delete_record(hub_engine, "stripe:customers:cus_3")  # deleted: not counted

    counts = record_completeness_counts(hub_engine, [("stripe", "customers")], ["email", "payment_method"])

    assert counts == {"stripe": (2, 1, {"email": 0, "payment_method": 1})}


def test_duplicates_are_counted_in_full_and_listed_up_to_the_limit_per_tool(hub_engine, config):
    for sid in ("h1", "h2", "h3"):
        record(hub_engine, f"hubspot:contacts:{sid}", "GC1", "GP1", email=f"{sid}@acme.com", full_name="Jane Roe")
    for sid in ("h4", "h5"):
        record(hub_engine, f"hubspot:contacts:{sid}", "GC2", "GP2", email="bob@beta.io")
    record(hub_engine, "hubspot:contacts:h6", "GC3", "GP3")
    record(hub_engine, "hubspot:contacts:h7", "GC3", "GP3")
    _delete_record(hub_engine, "hubspot:contacts:h7")  # deleted since the golden run: no duplicate left
    record(hub_engine, "stripe:customers:cus_1", "GC1", "GP1")
    record(hub_engine, "stripe:customers:cus_2", "GC1", "GP4")  # two Stripe customers for one account
    record(hub_engine, "stripe:invoices:in_1", "GC1")
    record(hub_engine, "stripe:invoices:in_2", "GC1")  # many invoices per customer are no duplicate
    record(hub_engine, "intercom:contacts:ic_1", "GC1", "GP1")

    metrics = _series(hub_engine, config, limit=1)

    hubspot = metrics["duplicate_records/hubspot"]
    assert (hubspot.value, hubspot.detail["groups"]) == (3, 2)
    [largest] = hubspot.detail["offenders"]
    assert largest["records"] == ["hubspot:contacts:h1", "hubspot:contacts:h2", "hubspot:contacts:h3"]
    assert largest["golden_id"] == "GP1" and largest["emails"] == ["h1@acme.com", "h2@acme.com", "h3@acme.com"]
    assert largest["summary"].startswith("hubspot contacts h1, h2, h3: Jane Roe")
    stripe = metrics["duplicate_records/stripe"]
    assert (stripe.value, stripe.detail["groups"]) == (1, 1)
    assert stripe.detail["offenders"][0]["records"] == ["stripe:customers:cus_1", "stripe:customers:cus_2"]
    assert metrics["duplicate_records/intercom"].value == 0
    everything = metrics["duplicate_records/all"]
    assert (everything.value, everything.detail["groups"]) == (4, 3)
    assert [group["golden_id"] for group in everything.detail["offenders"]] == ["GP1"]

    # the check lists every group
    check = duplicates_check(hub_engine, quality_settings(config), auto_merge_threshold(config))
    assert (check.value, check.offender_count) == (4, 3)


def test_open_pairs_are_counted_per_tool_they_touch(hub_engine, config):
    candidate(hub_engine, "hubspot:contacts:1", "intercom:contacts:a", 0.90)
    candidate(hub_engine, "hubspot:contacts:2", "stripe:customers:b", 0.95)
    candidate(hub_engine, "stripe:customers:c", "intercom:contacts:d", 0.80)
    candidate(hub_engine, "hubspot:contacts:3", "intercom:contacts:e", 0.99, status="decided")

    metrics = _series(hub_engine, config, limit=1)

    def pairs(tool):
        metric = metrics[f"open_match_candidates/{tool}"]
        return metric.value, [(item["record_a"], item["score"]) for item in metric.detail["offenders"]]

    assert pairs("all") == (3, [("hubspot:contacts:2", 0.95)])
    assert pairs("hubspot") == (2, [("hubspot:contacts:2", 0.95)])
    assert pairs("intercom") == (2, [("hubspot:contacts:1", 0.90)])
    assert pairs("stripe") == (2, [("hubspot:contacts:2", 0.95)])
    assert pairs("quickbooks") == (0, [])


def test_unmatched_invoices_are_counted_beyond_the_ones_listed(hub_engine, config):
    for sid in ("9003", "9001", "9002", "9004"):
        record(hub_engine, f"quickbooks:invoices:{sid}", "GC4", company_name="Delta Ltd", is_account_only=True)
    _delete_record(hub_engine, "quickbooks:invoices:9004")
    record(hub_engine, "stripe:invoices:in_1", "GC1", email="jane@acme.com", is_account_only=True)
    record(hub_engine, "stripe:customers:cus_1", "GC1", email="jane@acme.com")  # GC1 is a known customer
    record(hub_engine, "stripe:invoices:in_2", "GC5", email="ap@epsilon.example", is_account_only=True)

    metrics = _series(hub_engine, config, limit=2)

    everything = metrics["unmatched_invoices/all"]
    assert (everything.value, everything.detail["offender_count"]) == (4, 4)
    assert [item["record_id"] for item in everything.detail["offenders"]] == [
        "quickbooks:invoices:9001",
        "quickbooks:invoices:9002",
    ]
    assert everything.detail["offenders"][0]["summary"] == "quickbooks:invoices:9001 Delta Ltd"
    assert metrics["unmatched_invoices/quickbooks"].value == 3
    stripe = metrics["unmatched_invoices/stripe"]
    assert stripe.value == 1
    assert stripe.detail["offenders"][0]["email"] == "ap@epsilon.example"


def test_latency_waits_for_an_active_golden_record_updated_after_landing(hub_engine, config):
    start = NOW - timedelta(hours=2)

    def change(sid: str, updated: int, landed: int) -> None:
        minutes = timedelta(minutes=1)
        land(hub_engine, "intercom", "contacts", sid, updated=NOW - updated * minutes, first_seen=start,
             changed=NOW - landed * minutes)  # fmt: skip

    change("1", 60, 50)  # its person was updated 20 minutes ago: reflected then, 40 minutes in all
    record(hub_engine, "intercom:contacts:1", "GC1", "GP1")
    golden(hub_engine, "GP1", kind="person", updated=NOW - timedelta(minutes=20))
    change("2", 30, 25)  # its person was merged away: still waiting, 30 minutes so far
    record(hub_engine, "intercom:contacts:2", "GC2", "GP2")
    golden(hub_engine, "GP2", kind="person", updated=NOW - timedelta(minutes=10))
    _merge_golden(hub_engine, "GP2")
    change("3", 10, 5)  # not resolved yet: waiting, 10 minutes so far
    # changed in the window but before the stream was first landed: the initial load, not latency
    land(hub_engine, "intercom", "contacts", "4", updated=NOW - timedelta(hours=3), first_seen=start)

    latency = _series(hub_engine, config)["latency_minutes/intercom"]

    assert (latency.detail["changes"], latency.detail["pending"]) == (3, 2)
    assert latency.value == 40 and latency.detail["max"] == 40
    assert [item["record_id"] for item in latency.detail["offenders"]] == [
        "intercom:contacts:1",
        "intercom:contacts:2",
    ]


def test_double_billing_counts_only_views_that_report_it(hub_engine, config):
    twice = [{"product": "Pro plan", "subscriptions": ["sub_1", "sub_2"], "mrr": 98.0}]
    thrice = [{"product": "Team", "subscriptions": ["sub_3", "sub_4", "sub_5"], "mrr": 300.0}]
    view(hub_engine, "GC1", "Acme", "jane@acme.com", double_billing=twice)
    view(hub_engine, "GC2", "Beta", "bob@beta.io", double_billing=[])
    view(hub_engine, "GC3", "Gamma", "carol@gamma.org")  # a view without the key
    view(hub_engine, "GC4", "Delta", "ap@delta.example", double_billing=None)
    view(hub_engine, "GC5", "Epsilon", None, double_billing=thrice)

    billed = _series(hub_engine, config, limit=1)["double_billing/all"]

    assert billed.value == 2 and billed.detail["offender_count"] == 2
    [first] = billed.detail["offenders"]  # largest overcharge first
    assert first["golden_customer_id"] == "GC5"
    assert first["summary"].startswith("Epsilon (GC5): Team billed 3 times: sub_3, sub_4, sub_5")
