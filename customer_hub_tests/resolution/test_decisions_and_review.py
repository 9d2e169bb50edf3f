"""Steward decisions and the review queue."""

import json

from customer_hub.resolution import Decision, ResolutionSettings, find_candidates, resolve, resolve_with_review

from .records import acme_records, by_id, frame


def _twins():
    """Two records with the same address: an exact person match unless a steward says otherwise."""
    return frame(
        {"record_id": "a", "full_name": "Sam Park", "email": "sam@parkfamily.net"},
        {"record_id": "b", "full_name": "Sam Park", "email": "sam@parkfamily.net"},
        {"record_id": "c", "full_name": "Sam Park", "email": "sam@parkfamily.net"},
    )


def test_exact_email_links_without_decisions():
    resolved = by_id(resolve(_twins()))
    assert resolved["golden_person_id"].nunique() == 1


def test_keep_apart_holds_against_an_exact_email_match():
    resolved = by_id(resolve(_twins(), {"decisions": [("a", "b", "keep_apart")]}))
    assert resolved.loc["a", "golden_person_id"] != resolved.loc["b", "golden_person_id"]
    assert resolved.loc["c", "golden_person_id"] in {
        resolved.loc["a", "golden_person_id"],
        resolved.loc["b", "golden_person_id"],
    }


def test_customer_level_keep_apart_splits_accounts_linked_by_domain():
    settings = ResolutionSettings(decisions=[Decision(record_a="hs-co-1", record_b="stripe-1", action="keep_apart")])
    resolved = by_id(resolve(acme_records(), settings))
    assert resolved.loc["hs-co-1", "golden_customer_id"] != resolved.loc["stripe-1", "golden_customer_id"]


def test_customer_keep_apart_holds_for_a_record_that_inherits_its_persons_account():
    """The contact comes first, so its person and its account share a label; the Stripe record (same person by name
    and phone, gmail address, so no company of its own) must still leave the company the steward kept it from."""
    records = frame(
        {"record_id": "c1", "source_system": "hubspot", "source_object": "contacts", "first_name": "John",
         "last_name": "Doe", "email": "john@acme.com", "phone": "+14155550111"},
        {"record_id": "co", "source_system": "hubspot", "source_object": "companies", "company_name": "Acme Corp",
         "company_domain": "acme.com", "is_account_only": True},
        {"record_id": "s1", "source_system": "stripe", "source_object": "customers", "first_name": "John",
         "last_name": "Doe", "email": "jdoe@gmail.com", "phone": "+14155550111"},
    )  # fmt: skip
    together = by_id(resolve(records))
    assert together.loc["s1", "golden_customer_id"] == together.loc["co", "golden_customer_id"]
    resolved = by_id(resolve(records, {"decisions": [("co", "s1", "keep_apart")]}))
    assert resolved.loc["s1", "golden_customer_id"] != resolved.loc["co", "golden_customer_id"]
    assert resolved.loc["c1", "golden_customer_id"] == resolved.loc["co", "golden_customer_id"]
    assert resolved.loc["s1", "golden_person_id"] == resolved.loc["c1", "golden_person_id"]


def test_merge_decision_links_records_no_rule_would():
    records = frame(
        {"record_id": "a", "full_name": "Ann Lee", "email": "ann@lee.dev"},
        {"record_id": "b", "full_name": "Annie Li", "email": "annie.li@gmail.com"},
    )
    resolved = by_id(resolve(records, {"decisions": [{"record_a": "a", "record_b": "b", "action": "merge"}]}))
    assert resolved.loc["a", "golden_person_id"] == resolved.loc["b", "golden_person_id"]
    assert resolved.loc["b", "match_rule"] == "steward_merge"


def test_keep_apart_wins_over_a_contradicting_merge():
    decisions = [("a", "b", "merge"), ("a", "b", "keep_apart")]
    resolved = by_id(resolve(_twins(), {"decisions": decisions}))
    assert resolved.loc["a", "golden_person_id"] != resolved.loc["b", "golden_person_id"]


def test_decisions_about_records_not_in_the_run_are_ignored():
    resolved = resolve(_twins(), {"decisions": [("a", "gone", "keep_apart")]})
    assert resolved["golden_person_id"].nunique() == 1


def _near_miss():
    """Same name at the same company but two different work addresses: maybe one person, maybe two."""
    return frame(
        {
            "record_id": "x",
            "first_name": "Lee",
            "last_name": "Wong",
            "email": "lee.wong@acme.com",
            "company_name": "Acme",
        },
        {
            "record_id": "y",
            "first_name": "Lee",
            "last_name": "Wong",
            "email": "lee.wong2@acme.com",
            "company_name": "Acme",
            "postcode": "02139",
            "city": "Cambridge",
        },
        {
            "record_id": "z",
            "first_name": "Lee",
            "last_name": "Wong",
            "email": "lee@wong.family",
            "postcode": "02139",
            "city": "Cambridge",
        },
    )


def test_two_work_addresses_a_company_numbers_apart_are_queued_for_review_not_merged():
    resolution = resolve_with_review(_near_miss(), {"review_threshold": 0.3})
    resolved = by_id(resolution.records)
    assert resolved.loc["x", "golden_person_id"] != resolved.loc["y", "golden_person_id"]
    queued = resolution.review
    pair = queued[(queued["record_id_a"] == "x") & (queued["record_id_b"] == "y")]
    assert len(pair) == 1
    assert pair["level"].iloc[0] == "person"
    assert pair["confidence"].iloc[0] >= 0.3
    assert pair["reason"].iloc[0] == "guard"


def test_pairs_between_thresholds_are_queued_for_review_not_merged():
    records = frame(
        {"record_id": "a", "first_name": "Katherine", "last_name": "Johnson", "city": "Boston"},
        {"record_id": "b", "first_name": "Kate", "last_name": "Johnson", "city": "Denver"},
    )
    resolution = resolve_with_review(records, {"review_threshold": 0.01})
    resolved = by_id(resolution.records)
    assert resolved.loc["a", "golden_person_id"] != resolved.loc["b", "golden_person_id"]
    [pair] = resolution.review.itertuples()
    assert 0.01 <= pair.confidence < 0.92
    assert pair.reason == "below_auto_merge"
    assert json.loads(pair.match_scores)["evidence"]["first_name"][0] == "nickname"


def test_find_candidates_is_the_review_queue():
    queued = find_candidates(_near_miss(), {"review_threshold": 0.3})
    assert {"record_id_a", "record_id_b", "level", "confidence", "match_rule", "match_scores", "reason"} <= set(
        queued.columns
    )
    assert queued["confidence"].is_monotonic_decreasing


def test_guard_refusals_are_queued_for_review():
    records = frame(
        {"record_id": "john", "first_name": "John", "last_name": "Smith", "email": "john@acme.com"},
        {"record_id": "jane", "first_name": "Jane", "last_name": "Smith", "email": "jane@acme.com"},
        {"record_id": "initial", "full_name": "J Smith", "company_name": "Acme", "city": "Austin"},
        {"record_id": "acme", "company_name": "Acme", "company_domain": "acme.com", "is_account_only": True},
    )
    queued = find_candidates(records)
    refused = queued[queued["reason"] == "guard"]
    assert len(refused) == 1
    assert set(refused[["record_id_a", "record_id_b"]].iloc[0]) == {"initial", "jane"}


def test_company_names_one_unlike_word_apart_are_not_queued_but_a_misspelt_word_still_is():
    names = {
        "agate": "Agate Materials Corp",
        "amber": "Amber Materials Limited",
        "mark": "Mark Linhurst",
        "maria": "Maria Linhurst",
        "suffix": "Sage Manufacturing oCrporation",
        "signal": "Signal Manufacturing",
        "games": "Lunar Games Inc",
        "gmaes": "Lunar Gmaes",
    }
    records = frame(*({"record_id": key, "company_name": name, "is_account_only": True} for key, name in names.items()))
    resolution = resolve_with_review(records, {"review_threshold": 0.75, "company_name_fuzzy_threshold": 99})
    queued = {frozenset(pair) for pair in resolution.review[["record_id_a", "record_id_b"]].itertuples(index=False)}
    assert queued == {frozenset({"games", "gmaes"})}
