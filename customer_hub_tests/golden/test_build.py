"""Golden records end to end: stable ids across runs, merges that keep the older id, steward decisions that hold,
the review queue, deleted records, and the Acme case (duplicates in HubSpot, double billing in Stripe)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from customer_hub.golden.build import build_golden
from customer_hub.golden.reports import double_billing, duplicate_report
from customer_hub.lookup import format_360, lookup, record_decision
from customer_hub.store import golden_store
from customer_hub.store.schema import landed_records

from .conftest import BOTH_BACKENDS, START, landed

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from pipeline_scale import MATCHED  # noqa: E402

ACME = [
    # HubSpot holds Acme three times, under three spellings: the company and Wile twice (work and Gmail address).
    landed("hubspot:companies:101", company_name="Acme Corp", company_domain="acme.com", phone="(505) 555-0100",
           is_account_only=True, shared_keys="hubspot_company:101"),
    landed("hubspot:contacts:11", first_name="Wile", last_name="Coyote", email="wile.coyote@acme.com",
           company_name="ACME Corporation", shared_keys="hubspot_company:101"),
    landed("hubspot:contacts:12", first_name="Wile", last_name="Coyote", email="wilecoyote+acme@gmail.com",
           company_name="Acme Corp."),
    landed("stripe:customers:cus_A1", full_name="Acme Corp", company_name="Acme Corp", email="billing@acme.com",
           shared_keys="stripe_customer:cus_A1;hubspot_company:101"),
    landed("stripe:customers:cus_A2", full_name="Acme Corporation", company_name="Acme Corporation",
           email="wile.coyote@acme.com", shared_keys="stripe_customer:cus_A2"),
    landed("stripe:subscriptions:sub_1", is_account_only=True, shared_keys="stripe_customer:cus_A1",
           subscription_status="active", product_id="prod_growth", product_name="Growth", mrr=499.0),
    landed("stripe:subscriptions:sub_2", is_account_only=True, shared_keys="stripe_customer:cus_A2",
           subscription_status="active", product_id="prod_growth", product_name="Growth", mrr=499.0),
    landed("quickbooks:customers:58", company_name="Acme Corporation", email="ap@acme.com", is_account_only=True,
           shared_keys="quickbooks_customer:58", balance=1500.0),
    landed("quickbooks:invoices:130", is_account_only=True, shared_keys="quickbooks_customer:58", balance=1000.0,
           total_amount=1000.0, due_date="2026-10-01"),
    landed("quickbooks:invoices:131", is_account_only=True, shared_keys="quickbooks_customer:58", balance=500.0,
           total_amount=500.0, due_date="2026-12-01"),
]  # fmt: skip

ROADRUNNER = [
    landed("stripe:customers:cus_R", full_name="Road Runner", email="beep@roadrunner.io",
           shared_keys="stripe_customer:cus_R"),
    landed("stripe:subscriptions:sub_R", is_account_only=True, shared_keys="stripe_customer:cus_R",
           subscription_status="active", product_id="prod_starter", mrr=49.0),
]  # fmt: skip


def _ids(engine) -> dict[str, str]:
    return {row["record_id"]: row["golden_customer_id"] for row in golden_store.read_xref(engine)}


@BOTH_BACKENDS
def test_acme_is_one_customer_with_its_duplicates_and_double_billing_reported(engine, land, run):
    land(*ACME)
    summary = run()
    assert len(set(_ids(engine).values())) == 1
    assert (summary.customers, summary.persons) == (1, 1)

    [hubspot, stripe] = duplicate_report(engine)
    assert (hubspot["tool"], hubspot["count"], hubspot["name"]) == ("hubspot", 3, "Acme Corp")
    assert hubspot["records"] == ["hubspot:companies:101", "hubspot:contacts:11", "hubspot:contacts:12"]
    assert [(d["level"], d["records"]) for d in hubspot["duplicates"]] == [
        ("person", ["hubspot:contacts:11", "hubspot:contacts:12"])
    ]
    assert (stripe["tool"], stripe["records"]) == ("stripe", ["stripe:customers:cus_A1", "stripe:customers:cus_A2"])
    assert stripe["duplicates"][0]["level"] == "customer"

    [billed] = double_billing(engine)
    assert (billed["product_name"], billed["subscriptions"], billed["mrr"]) == ("Growth", ["sub_1", "sub_2"], 998.0)

    [view] = lookup(engine, "acme.com")
    assert view["mrr"] == 998.0
    assert view["double_billing"][0]["subscriptions"] == ["sub_1", "sub_2"]
    assert (view["accounting"]["unpaid_invoices"], view["accounting"]["unpaid_total"]) == (2, 1500.0)
    assert view["fields"]["company_name"]["source"] == "hubspot"
    assert view["fields"]["balance"] == {"value": 1500.0, "source": "quickbooks", "record": "quickbooks:customers:58"}
    assert view["fields"]["phone"] == {"value": "+15055550100", "source": "hubspot", "record": "hubspot:companies:101"}
    assert [d["tool"] for d in view["within_tool_duplicates"]] == ["hubspot", "stripe"]
    assert sorted(view["sources"]) == ["hubspot", "quickbooks", "stripe"]


@BOTH_BACKENDS
def test_rerun_on_unchanged_data_changes_no_id_and_writes_no_history(engine, land, run):
    land(*ACME, *ROADRUNNER)
    run(0)
    ids, golden = _ids(engine), golden_store.read_golden(engine)
    history = golden_store.history_for(engine, golden)
    summary = run(1)
    assert _ids(engine) == ids
    assert golden_store.read_golden(engine) == golden
    assert golden_store.history_for(engine, golden) == history
    assert (summary.created, summary.merges, summary.splits, summary.updated) == (0, 0, 0, 0)


def test_a_run_that_matches_logs_how_long_matching_took_as_the_scale_benchmark_reads_it(engine, land, run, caplog):
    """`pipeline_scale.py` takes the time golden spent matching out of a run's share by this log line; a run with
    nothing to match logs none."""
    land(*ACME)
    for day, lines in ((0, 1), (1, 0)):
        caplog.clear()
        with caplog.at_level("INFO", logger="customer_hub.golden.build"):
            run(day)
        seconds = [float(found[1]) for message in caplog.messages if (found := MATCHED.match(message))]
        assert len(seconds) == lines and all(value >= 0 for value in seconds)


@BOTH_BACKENDS
def test_bridging_record_merges_two_customers_keeping_the_older_id(engine, land, run):
    land(*ACME)
    run(0)
    acme_id = _ids(engine)["hubspot:companies:101"]
    land(*ROADRUNNER)
    run(1)
    roadrunner_id = _ids(engine)["stripe:customers:cus_R"]
    assert roadrunner_id != acme_id

    # Road Runner turns out to work at Acme: a HubSpot contact with the Stripe email, associated with Acme.
    land(landed("hubspot:contacts:13", first_name="Road", last_name="Runner", email="beep@roadrunner.io",
                shared_keys="hubspot_company:101"))  # fmt: skip
    summary = run(2)
    ids = _ids(engine)
    assert ids["stripe:customers:cus_R"] == ids["hubspot:companies:101"] == acme_id
    assert summary.merges == 1

    retired = golden_store.read_golden(engine)[roadrunner_id]
    assert (retired["status"], retired["merged_into"]) == ("merged", acme_id)
    merged = [e for e in golden_store.history_for(engine, [roadrunner_id, acme_id]) if e["event"] == "merged"]
    assert {e["golden_id"] for e in merged} == {acme_id, roadrunner_id}
    absorbed = next(e for e in merged if e["golden_id"] == roadrunner_id)["detail"]
    assert absorbed["into"] == acme_id
    assert absorbed["rule"] and absorbed["links"]
    # The old id still finds the customer, and its 360 view tells the story.
    [view] = lookup(engine, roadrunner_id)
    assert view["golden_customer_id"] == acme_id
    assert any(event["event"] == "merged" for event in view["history"])


def test_keep_apart_decision_splits_and_holds_on_later_runs(engine, land, run):
    land(
        landed("hubspot:companies:1", company_name="Acme Corp", company_domain="acme.com", city="Albuquerque",
               is_account_only=True, shared_keys="hubspot_company:1"),
        landed("quickbooks:customers:7", company_name="Acme Corp.", city="Albuquerque", is_account_only=True,
               shared_keys="quickbooks_customer:7"),
    )  # fmt: skip
    run(0)
    ids = _ids(engine)
    acme_id = ids["hubspot:companies:1"]
    assert ids["quickbooks:customers:7"] == acme_id
    record_decision(engine, "quickbooks:customers:7", "hubspot:companies:1", "keep_apart", "steward@example.com",
                    "the Acme Corp. in QuickBooks is a different firm")  # fmt: skip
    summary = run(1)
    ids = _ids(engine)
    assert ids["hubspot:companies:1"] == acme_id
    assert ids["quickbooks:customers:7"] != acme_id
    assert summary.splits == 1
    split = [e for e in golden_store.history_for(engine, [ids["quickbooks:customers:7"]]) if e["event"] == "split"]
    assert split[0]["detail"]["from"] == acme_id
    assert split[0]["detail"]["rule"] == "steward keep_apart"

    run(2)
    assert _ids(engine) == ids


def test_review_queue_pair_is_decided_by_a_steward(engine, land, run):
    land(
        landed("hubspot:contacts:1", first_name="Katherine", last_name="Johnson"),
        landed("intercom:contacts:a", full_name="Katherine Johnson"),
    )
    summary = run(0)
    [candidate] = golden_store.read_candidates(engine, "open")
    assert (candidate["record_id_a"], candidate["record_id_b"]) == ("hubspot:contacts:1", "intercom:contacts:a")
    assert candidate["record_a"]["first_name"] == "Katherine"
    assert candidate["record_b"]["full_name"] == "Katherine Johnson"
    assert candidate["scores"]["level"] == "person"
    assert (summary.linked, summary.candidates_open, summary.auto_merge_rate) == (0, 1, 0.0)

    record_decision(engine, "intercom:contacts:a", "hubspot:contacts:1", "merge", "steward@example.com")
    summary = run(1)
    ids = _ids(engine)
    assert ids["hubspot:contacts:1"] == ids["intercom:contacts:a"]
    assert golden_store.read_candidates(engine, "open") == []
    assert [c["status"] for c in golden_store.read_candidates(engine)] == ["decided"]
    assert summary.candidates_decided == 1


def test_deleted_record_leaves_resolution_but_stays_in_customer_records(engine, land, run, delete_landed):
    land(*ROADRUNNER)
    run(0)
    roadrunner_id = _ids(engine)["stripe:customers:cus_R"]
    delete_landed("stripe:subscriptions:sub_R")
    run(1)
    assert "stripe:subscriptions:sub_R" not in _ids(engine)
    kept = {row["record_id"]: row for row in golden_store.read_customer_records(engine, live_only=False)}
    assert kept["stripe:subscriptions:sub_R"]["deleted_at"] is not None
    [view] = lookup(engine, "cus_R")
    assert (view["golden_customer_id"], view["mrr"]) == (roadrunner_id, 0.0)


@pytest.mark.parametrize("query", ["beep@roadrunner.io", "Road Runner", "sub_R"])
def test_lookup_finds_resolved_customers(engine, land, run, query):
    land(*ROADRUNNER)
    run(0)
    assert lookup(engine, query)[0]["golden_customer_id"] == _ids(engine)["stripe:customers:cus_R"]


def test_golden_records_show_phones_in_e164_and_emails_as_their_owner_writes_them(engine, land, run):
    land(
        landed("hubspot:contacts:21", first_name="Rita", last_name="Runner",
               email=" Rita Runner <Rita.Runner@GMail.com> ", phone="5055550142"),
        landed("intercom:contacts:r1", full_name="Rita Runner", email="rita.runner@gmail.com", phone="ask reception"),
    )  # fmt: skip
    run(0)
    golden = golden_store.read_golden(engine)
    [person] = [row for row in golden.values() if row["kind"] == "person"]
    assert (person["fields"]["phone"], person["field_sources"]["phone"]) == ("+15055550142", "hubspot:contacts:21")
    assert person["fields"]["email"] == "rita.runner@gmail.com"  # the address alone, lower case, Gmail dots kept

    [view] = lookup(engine, "rita.runner@gmail.com")
    assert view["fields"]["phone"] == {"value": "+15055550142", "source": "hubspot", "record": "hubspot:contacts:21"}
    assert view["fields"]["email"]["value"] == view["email"] == "rita.runner@gmail.com"
    assert view["persons"][0]["phone"] == "+15055550142"
    assert "+15055550142" in format_360(view)


def test_a_number_that_cannot_be_read_is_shown_as_entered(engine, land, run):
    land(landed("intercom:contacts:r1", full_name="Rita Runner", email="rita@roadrunner.io", phone="ask reception"))
    run(0)
    [view] = lookup(engine, "rita@roadrunner.io")
    assert view["fields"]["phone"]["value"] == "ask reception"


def test_a_first_run_with_only_account_records_issues_customer_ids_only(engine, land, run):
    land(landed("quickbooks:customers:58", company_name="Acme Corporation", is_account_only=True, balance=10.0))
    summary = run(0)
    assert (summary.customers, summary.persons) == (1, 0)
    assert {row["kind"] for row in golden_store.read_golden(engine).values()} == {"customer"}
    assert run(1).created == 0


@pytest.mark.parametrize(
    ("query", "found_by"),
    [
        ("Wile Coyote", "contact name"),  # a person's name finds their customer
        ("+1 505 555 0142", "phone"),
        ("(505) 555-0142", "phone"),
        ("505.555.0142", "phone"),
        ("Acne", "name, one letter different"),  # one-edit typo of Acme
    ],
)
def test_lookup_by_contact_name_phone_in_any_format_and_a_typo(engine, land, run, query, found_by):
    land(
        landed("hubspot:companies:7", company_name="Acme Corp", company_domain="acme.com", is_account_only=True,
               shared_keys="hubspot_company:7"),
        landed("hubspot:contacts:8", first_name="Wile", last_name="Coyote", email="wile@acme.com",
               phone="505 555 0142", company_name="Acme Corp", shared_keys="hubspot_company:7"),
    )  # fmt: skip
    run(0)
    [view, *_] = lookup(engine, query)
    assert view["golden_customer_id"] == _ids(engine)["hubspot:companies:7"]
    assert view["match"]["on"] == found_by


@BOTH_BACKENDS
def test_a_change_of_field_ownership_is_applied_to_every_golden_record(engine, land, run, config):
    """No record changed, yet golden values follow the new owner: hub.yaml's ownership is an input of every id."""
    land(*ACME, *ROADRUNNER)
    run(0)
    [acme] = [row for row in golden_store.read_golden(engine, kind="customer").values()
              if row["fields"].get("company_name") == "Acme Corp"]  # fmt: skip
    assert acme["field_sources"]["email"].startswith("hubspot:")
    owned_by_books = config.model_copy(update={"field_ownership": {**config.field_ownership, "email": "quickbooks"}})
    build_golden(engine, owned_by_books, now=START + timedelta(days=1))
    acme = golden_store.read_golden(engine, golden_ids=[acme["golden_id"]])[acme["golden_id"]]
    assert (acme["fields"]["email"], acme["field_sources"]["email"]) == ("ap@acme.com", "quickbooks:customers:58")


def test_a_release_that_reads_values_otherwise_writes_every_cross_reference_row_again(engine, land, run, monkeypatch):
    """Cross-reference rows are written again only where their link or address moved, and every one once a release
    reads values otherwise (`NORMALISATION`) and some record changed: their addresses were stored read the old way."""
    from customer_hub.golden import build, records

    def pay_invoice(balance: float) -> None:
        c = landed_records.c
        where = (c.tool == "quickbooks", c.object == "invoices", c.source_id == "130")
        with engine.begin() as conn:
            row = conn.execute(select(c.fields).where(*where)).scalar_one()
            conn.execute(update(landed_records).where(*where).values(fields={**row, "balance": balance},
                                                                     content_hash=f"paid {balance}"))  # fmt: skip

    land(*ACME)
    run(0)
    pay_invoice(500.0)
    assert run(1).rewritten == 0
    for module in (build, records):
        monkeypatch.setattr(module, "NORMALISATION", records.NORMALISATION + 1)
    pay_invoice(0.0)
    assert run(2).rewritten == len(ACME)


@BOTH_BACKENDS
def test_survivorship_after_a_change_ends_where_a_full_rebuild_ends(engine, land, run, config, caplog):
    """A changed record that wins no field is survived beside the stored winners only, and so is a changed winner
    no older than when it won; a winner that loses its value makes the id read every record again, and so does one
    whose time went back. Each time the fields are a full rebuild's."""
    switchboard = landed("hubspot:contacts:13", phone="(505) 555-0199", shared_keys="hubspot_company:101")
    land(*ACME, switchboard)  # a second phone, on a record that wins no field while the company has one
    run(0)

    def change(record_id: str, day: int, stamped: int | None = None, **fields) -> None:
        """The record changes in its tool, which stamps it `stamped` days after START (`day` unless given)."""
        tool, obj, source_id = record_id.split(":", 2)
        c = landed_records.c
        where = (c.tool == tool, c.object == obj, c.source_id == source_id)
        stamped = day if stamped is None else stamped
        with engine.begin() as conn:
            row = conn.execute(select(landed_records.c.fields).where(*where)).scalar_one()
            conn.execute(update(landed_records).where(*where).values(
                fields={**row, **fields}, source_updated_at=START + timedelta(days=stamped),
                fields_changed_at=START + timedelta(days=day), content_hash=f"{record_id}@{day}"))  # fmt: skip

    def phone_after(day: int) -> tuple[str, str, int]:
        """Acme's phone and its record after a run on `day`, and how many of Acme's records the run read."""
        caplog.clear()
        with caplog.at_level("INFO", logger="customer_hub.golden.build"):
            run(day)
        [survived] = [message for message in caplog.messages if "customer ids survived from" in message]
        read = int(survived.split(" from ")[1].split(" of their ")[0])
        [acme] = golden_store.read_golden(engine, kind="customer").values()
        golden = golden_store.read_golden(engine)
        build_golden(engine, config, now=START + timedelta(days=day), full=True)
        assert golden_store.read_golden(engine) == golden, f"day {day}"
        return acme["fields"].get("phone"), acme["field_sources"].get("phone"), read

    held = len(ACME) + 1
    change("quickbooks:invoices:131", 1, total_amount=750.0)  # wins nothing
    assert phone_after(1)[:2] == ("+15055550100", "hubspot:companies:101")
    change("hubspot:companies:101", 2, phone="(505) 555-0111")  # the phone's winner, changed, still wins it
    number, source, read = phone_after(2)
    assert (number, source) == ("+15055550111", "hubspot:companies:101") and read < held
    change("hubspot:companies:101", 3, phone=None)  # the phone's winner loses it; the switchboard, unread, has one
    number, source, read = phone_after(3)
    assert (number, source) == ("+15055550199", "hubspot:contacts:13") and read > held  # read in part, then whole
    change("hubspot:contacts:13", 4, stamped=-1, phone="(505) 555-0122")  # the winner's time goes back
    assert phone_after(4) == ("+15055550122", "hubspot:contacts:13", held)


@BOTH_BACKENDS
def test_a_record_joining_a_customer_is_survived_beside_its_winners_only_and_wins_where_it_should(
    engine, land, run, config, caplog
):
    """A new invoice joins Acme: its survivorship reads the invoice, the records whose fields Acme shows and its
    first account record, not every record it holds. A new HubSpot contact of the company, newer than the records
    that named it, takes the fields HubSpot owns from them. Either way a full rebuild finds nothing to change."""
    land(*ACME)
    run(0)
    land(landed("quickbooks:invoices:132", is_account_only=True, shared_keys="quickbooks_customer:58",
                balance=250.0, total_amount=250.0, due_date="2026-12-15"))  # fmt: skip
    with caplog.at_level("INFO", logger="customer_hub.golden.build"):
        run(1)
    [survived] = [message for message in caplog.messages if "customer ids survived from" in message]
    read, held = (int(word) for word in survived.split(" from ")[1].split(" records")[0].split(" of their "))
    assert held == len(ACME) + 1 and read < held
    [acme] = golden_store.read_golden(engine, kind="customer").values()
    assert _ids(engine)["quickbooks:invoices:132"] == acme["golden_id"]

    newer = landed("hubspot:contacts:14", first_name="Marvin", last_name="Martian", email="marvin@acme.com",
                   company_name="Acme Corp International", shared_keys="hubspot_company:101")  # fmt: skip
    land({**newer, "source_updated_at": START + timedelta(days=2)})
    run(2)
    [acme] = golden_store.read_golden(engine, kind="customer").values()
    assert (acme["fields"]["company_name"], acme["field_sources"]["company_name"]) == (
        "Acme Corp International",
        "hubspot:contacts:14",
    )
    golden = golden_store.read_golden(engine)
    build_golden(engine, config, now=START + timedelta(days=3), full=True)
    assert golden_store.read_golden(engine) == golden
