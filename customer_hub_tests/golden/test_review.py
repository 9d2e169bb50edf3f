"""`customer-hub review`: the steward sees each open pair side by side with its evidence and why it was not merged,
answers merge / keep apart / skip, and the answer takes effect on the next golden run and shows in history."""

from __future__ import annotations

import io
import json
import sys

import pytest
from sqlalchemy import insert

from customer_hub.cli import main
from customer_hub.golden.review import (
    auto_merge_threshold,
    format_pair,
    markdown_table,
    open_pairs,
    review_interactively,
)
from customer_hub.lookup import lookup
from customer_hub.store import golden_store
from customer_hub.store.schema import match_candidates
from customer_hub_tests.golden.conftest import START, landed

KATHERINE = (
    landed("hubspot:contacts:1", first_name="Katherine", last_name="Johnson", company_name="NACA"),
    landed("intercom:contacts:a", full_name="Katherine Johnson"),
)


def _customer_of(engine) -> dict[str, str]:
    return {row["record_id"]: row["golden_customer_id"] for row in golden_store.read_xref(engine)}


def _answers(*answers: str):
    queue = list(answers)

    def ask(prompt: str) -> str:
        if not queue:
            raise EOFError
        return queue.pop(0)

    return ask


def test_open_pair_is_shown_side_by_side_with_evidence_and_why_not_merged(engine, land, run, config):
    land(*KATHERINE)
    run(0)
    [pair] = open_pairs(engine, auto_merge_threshold(config))
    assert (pair["record_a"], pair["record_b"], pair["level"]) == (
        "hubspot:contacts:1",
        "intercom:contacts:a",
        "person",
    )
    assert [side["tool"] for side in pair["sides"]] == ["hubspot", "intercom"]
    assert [e["comparison"] for e in pair["evidence"]] == ["last_name", "first_name"]  # strongest first
    assert pair["why_not_merged"].startswith(f"probability {pair['score']:.2f} is below auto-merge (0.92)")

    text = format_pair(pair, 1, 1)
    assert "[1/1] person pair" in text
    assert "Katherine" in text and "Katherine Johnson" in text and "NACA" in text
    assert "last_name exact +7.9" in text
    assert "not merged: probability" in text
    table = markdown_table([pair])
    assert "| hubspot:contacts:1 |" in table and "intercom:contacts:a" in table and "below auto-merge" in table


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("guard", "refused by a guard"),
        ("surnames_differ", "one mailbox under one given name and two surnames"),
    ],
)
def test_a_pair_held_back_says_why(engine, config, reason, said):
    golden_store.read_candidates(engine)  # creates the schema
    with engine.begin() as conn:
        conn.execute(insert(match_candidates).values(
            record_id_a="hubspot:contacts:1", record_id_b="hubspot:contacts:2", score=0.97, status="open",
            scores={"level": "person", "reason": reason, "evidence": {"probability": 0.97}},
            record_a={"record_id": "hubspot:contacts:1"}, record_b={"record_id": "hubspot:contacts:2"},
            created_at=START,
        ))  # fmt: skip
    [pair] = open_pairs(engine, auto_merge_threshold(config))
    assert pair["why_not_merged"].startswith(said)


def test_merge_answer_joins_the_records_on_the_next_run_and_shows_in_history(engine, land, run, config):
    land(*KATHERINE)
    run(0)
    assert len(set(_customer_of(engine).values())) == 2
    said: list[str] = []
    counts = review_interactively(engine, open_pairs(engine, 0.92), _answers("x", "m"), said.append, "ann@example.com")
    assert counts == {"merge": 1, "keep_apart": 0, "skip": 0}
    assert any("answer m, k, s or q" in line for line in said)  # an unknown answer is asked again

    run(1)
    ids = _customer_of(engine)
    assert ids["hubspot:contacts:1"] == ids["intercom:contacts:a"]
    assert open_pairs(engine, 0.92) == []
    [view] = lookup(engine, ids["hubspot:contacts:1"])
    assert any(event["event"] == "merged" for event in view["history"])


def test_keep_apart_and_skip_answers(engine, land, run):
    land(*KATHERINE)
    run(0)
    assert review_interactively(engine, open_pairs(engine, 0.92), _answers("s"), lambda _: None, "ann")["skip"] == 1
    assert golden_store.read_decisions(engine) == []
    review_interactively(engine, open_pairs(engine, 0.92), _answers("k"), lambda _: None, "ann")
    [decision] = golden_store.read_decisions(engine)
    assert (decision["decision"], decision["decided_by"]) == ("keep_apart", "ann")
    run(1)
    ids = _customer_of(engine)
    assert ids["hubspot:contacts:1"] != ids["intercom:contacts:a"]
    assert open_pairs(engine, 0.92) == []  # decided: out of the queue


@pytest.fixture
def cli_hub(engine, land, run, tmp_path, monkeypatch):
    """The small hub reached through the command line (the engine fixture's SQLite file is the data folder's)."""
    monkeypatch.setenv("CUSTOMER_HUB_HOME", str(tmp_path))
    monkeypatch.delenv("CUSTOMER_HUB_DATABASE_URL", raising=False)
    land(*KATHERINE)
    run(0)
    return engine


def test_cli_without_a_terminal_lists_only_and_json_is_machine_readable(cli_hub, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("m\n"))
    assert main(["review"]) == 0
    out = capsys.readouterr().out
    assert "hubspot:contacts:1" in out and "1 open pair(s)" in out
    assert golden_store.read_decisions(cli_hub) == []  # listing never decides

    assert main(["review", "--json"]) == 0
    [pair] = json.loads(capsys.readouterr().out)
    assert pair["record_b"] == "intercom:contacts:a"


def test_cli_file_records_the_decisions(cli_hub, capsys, tmp_path):
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text("- {record_a: 'hubspot:contacts:1', record_b: 'intercom:contacts:a', decision: merge}\n")
    assert main(["review", "--file", str(decisions)]) == 0
    assert "Recorded 1 steward decision(s)" in capsys.readouterr().out
    assert [d["decision"] for d in golden_store.read_decisions(cli_hub)] == ["merge"]
