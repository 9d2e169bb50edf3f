"""A kept match model scores a link the same way until its own evidence changes: the links a steward reads, and the
customer views built on them, do not move because unrelated records came or went."""

from __future__ import annotations

import json
import re

import pandas as pd

from customer_hub.resolution import resolve_with_review
from customer_hub_tests.resolution.records import frame

FIRST_NAMES = ("Anna", "Ben", "Chloe", "Dev", "Emma", "Farid")


def _surname(number: int) -> str:
    """A made-up surname of letters only, different for every number: Bakov, Bekov, ..."""
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    letters = []
    while True:
        number, rest = divmod(number, len(consonants) * len(vowels))
        letters.append(consonants[rest // len(vowels)] + vowels[rest % len(vowels)])
        if not number:
            break
    return ("".join(letters) + "kov").capitalize()


def _people(
    count: int, start: int = 0, *, pool: tuple[str, ...] = FIRST_NAMES, city: str = "Springfield"
) -> list[dict[str, str]]:
    """Each person twice: a CRM contact at work and a support contact from a personal address, linked only by
    their name and phone (a probabilistic link whose evidence carries the names' term frequencies)."""
    rows = []
    for number in range(start, start + count):
        first, last = pool[number % len(pool)], _surname(number)
        phone = f"+1 415 555 {number:04d}"
        rows.append({"record_id": f"hubspot:contacts:{number}", "source_system": "hubspot",
                     "source_object": "contacts", "first_name": first, "last_name": last, "phone": phone,
                     "email": f"{first.lower()}@company{number}.com", "company_name": f"Company {number}",
                     "city": city})  # fmt: skip
        rows.append({"record_id": f"intercom:contacts:{number}", "source_system": "intercom",
                     "source_object": "contacts", "first_name": first, "last_name": last, "phone": phone,
                     "email": f"{last.lower()}@gmail.com", "city": city})  # fmt: skip
    return rows


def _scores(resolved: pd.DataFrame, record_ids: pd.Series) -> dict[str, str]:
    linked = resolved[resolved["record_id"].isin(record_ids) & (resolved["match_rule"] == "probabilistic")]
    return dict(zip(linked["record_id"], linked["match_scores"], strict=True))


def test_unrelated_records_leave_a_kept_models_evidence_as_it_was():
    before = frame(*_people(120))
    first = resolve_with_review(before)
    assert first.model is not None
    scores = _scores(first.records, before["record_id"])
    assert len(scores) >= 100  # the pairs are linked by name and phone, with term frequencies in the evidence

    # a hub that grew by more than half, with people who share no name, phone or city with the others
    strangers = _people(150, start=5000, pool=("Ximena", "Yusuf", "Zora"), city="Shelbyville")
    after = resolve_with_review(frame(*_people(120), *strangers), estimated=first.model.estimates())

    assert _scores(after.records, before["record_id"]) == scores


def test_evidence_weights_read_as_rounded_numbers():
    resolved = resolve_with_review(frame(*_people(60))).records
    evidence = [json.loads(text)["evidence"] for text in resolved["match_scores"] if "evidence" in text]
    assert evidence
    weights = [str(level[1]) for said in evidence for level in said.values() if isinstance(level, list)]
    assert weights and not [weight for weight in weights if re.fullmatch(r"-?\d+(\.\d{1,2})?", weight) is None]


def test_new_people_with_the_common_values_leave_a_kept_models_evidence_as_it_was():
    before = frame(*_people(120))
    first = resolve_with_review(before)
    assert first.model is not None
    scores = _scores(first.records, before["record_id"])

    # people new to the hub with the first names and the city everybody has: counted again, those names and that
    # city would cross several of their steps and weigh less in every link they are part of
    newcomers = _people(90, start=5000)
    after = resolve_with_review(frame(*_people(120), *newcomers), estimated=first.model.estimates())

    assert _scores(after.records, before["record_id"]) == scores


def _first_name_weight(resolved: pd.DataFrame, record_id: str) -> float:
    row = resolved[resolved["record_id"] == record_id].iloc[0]
    return json.loads(row["match_scores"])["evidence"]["first_name"][1]


def test_a_value_new_since_the_model_was_trained_is_counted_on_the_records():
    first = resolve_with_review(frame(*_people(120)))
    assert first.model is not None
    estimates = first.model.estimates()

    one = resolve_with_review(frame(*_people(120), *_people(1, start=5000, pool=("Ximena",))), estimated=estimates)
    many = resolve_with_review(frame(*_people(120), *_people(40, start=5000, pool=("Ximena",))), estimated=estimates)

    # a name held by forty people proves less than one held by a single person
    rare, common = (_first_name_weight(run.records, "intercom:contacts:5000") for run in (one, many))
    assert common < rare
