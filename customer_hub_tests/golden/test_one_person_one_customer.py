"""Records of one person always make one customer, and a steward's merge / keep-apart / withdrawal takes effect.

These are the cases a new user met after `make demo`: an individual buying with a personal address split into a
customer per tool, and a `decide ... merge` that was recorded but changed nothing.
"""

from __future__ import annotations

import pytest

from customer_hub.golden.explain import ExplainError, explain_records, format_explanation
from customer_hub.golden.records import build_customer_records
from customer_hub.lookup import DecisionError, record_decision, withdraw_decision
from customer_hub.store import golden_store

from .conftest import BOTH_BACKENDS, landed

# Lars buys as an individual: two HubSpot contacts (same address, one shouting), a Stripe customer that Stripe
# names after him (company_name = his name) with its invoices, and an Intercom contact.
LARS = [
    landed("hubspot:contacts:505", first_name="Lars", last_name="Harris", email="lars.harris@proton.me",
           phone="3125555070", city="Chicago", shared_keys="hubspot_contact:505"),
    landed("hubspot:contacts:507", first_name="Lars", last_name="Harris", email="LARS.HARRIS@PROTON.ME",
           phone="+13125555070", shared_keys="hubspot_contact:507"),
    landed("hubspot:deals:9", is_account_only=True, shared_keys="hubspot_contact:505"),
    landed("stripe:customers:cus_L", full_name="Lars Harris", company_name="Lars Harris",
           email="lars.harris@proton.me", phone="3125555070", shared_keys="stripe_customer:cus_L"),
    landed("stripe:invoices:in_L1", is_account_only=True, email="lars.harris@proton.me",
           shared_keys="stripe_customer:cus_L"),
    landed("intercom:contacts:c1", full_name="Lars Harris", email="lars.harris@proton.me"),
]  # fmt: skip


def _ids(engine, column: str = "golden_customer_id") -> dict[str, str]:
    return {row["record_id"]: row[column] for row in golden_store.read_xref(engine)}


@BOTH_BACKENDS
def test_an_individual_with_one_personal_address_is_one_customer_across_tools(engine, land, run):
    land(*LARS)
    run(0)
    customers = _ids(engine)
    assert len(set(customers.values())) == 1, customers
    people = {v for v in _ids(engine, "golden_person_id").values() if v}
    assert len(people) == 1


def test_no_two_customers_share_a_personal_address(engine, land, run):
    land(
        *LARS,
        landed("hubspot:contacts:160", first_name="Pedro", last_name="Nakamura", email="pedro.nakamura@hotmail.com",
               shared_keys="hubspot_contact:160"),
        landed("intercom:contacts:p", full_name="Pedro Nakamura", email="pedro.nakamura@hotmail.com",
               phone="+1 404-555-5001"),
        landed("stripe:customers:cus_P", full_name="Pedro Nakamura", company_name="Pedro Nakamura",
               email="pedro.nakamura@Hotmail.com", shared_keys="stripe_customer:cus_P"),
    )  # fmt: skip
    run(0)
    by_email: dict[str, set[str]] = {}
    for row in golden_store.read_xref(engine):
        if row["email"]:
            by_email.setdefault(row["email"], set()).add(row["golden_customer_id"])
    assert {email: ids for email, ids in by_email.items() if len(ids) > 1} == {}


@BOTH_BACKENDS
def test_steward_merge_joins_customers_and_people_and_writes_history(engine, land, run):
    land(
        landed("hubspot:contacts:1", first_name="Ann", last_name="Lee", email="ann@lee.dev",
               shared_keys="hubspot_contact:1"),
        landed("stripe:customers:cus_X", full_name="Annie Li", email="annie.li@gmail.com",
               shared_keys="stripe_customer:cus_X"),
    )  # fmt: skip
    run(0)
    before = _ids(engine)
    assert before["hubspot:contacts:1"] != before["stripe:customers:cus_X"]

    record_decision(engine, "hubspot:contacts:1", "stripe:customers:cus_X", "merge", "steward@example.com")
    record_decision(engine, "stripe:customers:cus_X", "hubspot:contacts:1", "merge", "steward@example.com")
    assert len(golden_store.read_decisions(engine)) == 1
    run(1)
    after = _ids(engine)
    assert after["hubspot:contacts:1"] == after["stripe:customers:cus_X"]
    people = _ids(engine, "golden_person_id")
    assert people["hubspot:contacts:1"] == people["stripe:customers:cus_X"]
    merged = [e for e in golden_store.history_for(engine, [after["hubspot:contacts:1"]]) if e["event"] == "merged"]
    assert merged and merged[0]["detail"]["rule"] == "steward_merge"

    withdraw_decision(engine, "hubspot:contacts:1", "stripe:customers:cus_X")
    assert golden_store.read_decisions(engine) == []
    run(2)
    again = _ids(engine)
    assert again["hubspot:contacts:1"] != again["stripe:customers:cus_X"]


def test_the_latest_decision_on_a_pair_wins_and_is_the_only_one_kept(engine, land, run):
    land(*LARS)
    run(0)
    record_decision(engine, "hubspot:contacts:505", "stripe:customers:cus_L", "merge", "a")
    record_decision(engine, "hubspot:contacts:505", "stripe:customers:cus_L", "keep_apart", "b")
    [decision] = golden_store.read_decisions(engine)
    assert (decision["decision"], decision["decided_by"]) == ("keep_apart", "b")
    run(1)
    ids = _ids(engine)
    assert ids["hubspot:contacts:505"] != ids["stripe:customers:cus_L"]


def test_withdrawing_a_decision_that_does_not_exist_says_so(engine, land):
    land(*LARS)
    with pytest.raises(DecisionError, match="no decision"):
        withdraw_decision(engine, "hubspot:contacts:505", "stripe:customers:cus_L")


@BOTH_BACKENDS
def test_overlong_or_nul_steward_names_are_refused_the_same_on_both_backends(engine, land):
    land(*LARS)
    with pytest.raises(DecisionError, match="128"):
        record_decision(engine, "hubspot:contacts:505", "stripe:customers:cus_L", "merge", "x" * 129)
    with pytest.raises(DecisionError, match="NUL"):
        record_decision(engine, "hubspot:contacts:505", "stripe:customers:cus_L", "merge", "ann", "bad\x00reason")
    assert golden_store.read_decisions(engine) == []


def test_explain_shows_the_waterfall_behind_a_link_and_why_a_pair_stays_apart(engine, land, run, config):
    land(
        landed("hubspot:contacts:1", first_name="Olivia", last_name="Hunt", email="olivia@redmfg.com",
               company_name="Red Manufacturing LLC", shared_keys="hubspot_contact:1"),
        landed("sheets:implementations:r1", full_name="Hunt, Oliiva", company_name="Red Manufacturing"),
        landed("intercom:contacts:z", full_name="Bob Stone", email="bob@stone.example"),
    )  # fmt: skip
    run(0)
    linked = explain_records(engine, config, "hubspot:contacts:1", "sheets:implementations:r1")
    assert linked["same_person"] and linked["same_customer"]
    evidence = linked["pair"]["evidence"]
    assert evidence["first_name"][0] == "close"
    assert evidence["last_name"][0] == "exact" and evidence["last_name"][1] > 0
    assert linked["pair"]["probability"] >= linked["auto_merge_threshold"]
    text = format_explanation(linked)
    assert "match weight" in text and "Verdict: one person, one customer" in text

    apart = explain_records(engine, config, "hubspot:contacts:1", "intercom:contacts:z")
    assert not apart["same_person"] and not apart["same_customer"]
    assert apart["pair"]["evidence"]["first_name"][0] == "different"
    assert apart["pair"]["probability"] < apart["review_threshold"]

    with pytest.raises(ExplainError, match="no live customer record with id nope:x:1"):
        explain_records(engine, config, "hubspot:contacts:1", "nope:x:1")


def test_explain_prints_a_pair_whose_names_were_compared_the_other_way_round():
    explained = {
        "record_a": {"record_id": "hubspot:contacts:1", "full_name": "Santos Fatima"},
        "record_b": {"record_id": "intercom:contacts:2", "full_name": "Fatima Santos"},
        "pair": {"prior": -14.2, "evidence": {"first_name": ["exact", 6.1], "last_name": ["exact", 6.4],
                                              "names_swapped": True},
                 "match_weight": -1.7, "probability": 0.24},
        "auto_merge_threshold": 0.92, "review_threshold": 0.8, "same_person": False, "same_customer": False,
        "placed_by": {"hubspot:contacts:1": {"rule": "singleton", "linked_to": None}},
    }  # fmt: skip
    text = format_explanation(explained)
    assert "first_name" in text and "(first and last name compared the other way round)" in text


@BOTH_BACKENDS
def test_two_golden_runs_at_once_write_each_event_once(engine, land, run, config, monkeypatch):
    """A second run saves while the first is still resolving: the first must not save over it (duplicate history,
    or a raw UNIQUE error on golden ids) but resolve again from what the second saved."""
    from customer_hub.golden import build

    land(*LARS)
    build_customer_records(engine)
    save = golden_store.save_golden_run
    raced = []

    def save_after_a_rival(*args, **kwargs):
        if not raced:
            raced.append(True)
            build.build_golden(engine, config)  # the rival finishes first
        return save(*args, **kwargs)

    monkeypatch.setattr(golden_store, "save_golden_run", save_after_a_rival)
    build.build_golden(engine, config)
    created = [e for e in golden_store.history_for(engine, _all_golden_ids(engine)) if e["event"] == "created"]
    assert len(created) == len({e["golden_id"] for e in created})
    # the retry finds the rival's result current (nothing changed since it saved) and writes nothing more
    assert golden_store.read_generation(engine) == 1


def _all_golden_ids(engine) -> list[str]:
    return sorted(golden_store.read_golden(engine))
