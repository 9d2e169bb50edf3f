"""`customer-hub review`: the steward's pass over the review queue (`match_candidates`).

Each open pair is shown side by side (the fields of both records, the tool and golden customer each sits in
today), with the model's evidence from the stored scores and why the golden run did not merge it: a probability
below auto-merge, or a guard that refused a link the evidence alone would have made. The steward answers merge,
keep apart or skip; answers are recorded as steward decisions (the same path as `customer-hub decide`), so they
take effect on the next golden run and show in each customer's history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, select

from customer_hub.config import HubConfig
from customer_hub.lookup import record_decision
from customer_hub.resolution.settings import ResolutionSettings
from customer_hub.store import golden_store
from customer_hub.store.schema import customer_xref

SHOWN_FIELDS = ("full_name", "first_name", "last_name", "email", "phone", "company_name", "company_domain",
                "street", "city", "postcode", "country", "source_updated_at")  # fmt: skip
"""The side-by-side rows, in reading order (only those set on either record are shown)."""
ANSWERS = {"m": "merge", "merge": "merge", "k": "keep_apart", "keep_apart": "keep_apart", "keep": "keep_apart",
           "s": "skip", "skip": "skip", "": "skip", "q": "quit", "quit": "quit"}  # fmt: skip


def auto_merge_threshold(config: HubConfig) -> float:
    """The probability at or above which the golden run links a pair, as hub.yaml sets it (or its default)."""
    return ResolutionSettings.model_validate(dict(config.matching or {})).auto_merge_threshold


def _placement(engine: Engine, record_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Where each record sits today: its golden customer and person (records not resolved are absent)."""
    ids = list(set(record_ids))
    if not ids:
        return {}
    c = customer_xref.c
    query = select(c.record_id, c.golden_customer_id, c.golden_person_id).where(c.record_id.in_(ids))
    with engine.connect() as conn:
        return {row.record_id: {"golden_customer_id": row.golden_customer_id,
                                "golden_person_id": row.golden_person_id} for row in conn.execute(query)}  # fmt: skip


def _source(record_id: str) -> dict[str, str]:
    tool, obj, source_id = (record_id.split(":", 2) + ["", ""])[:3]
    return {"tool": tool, "object": obj, "source_id": source_id}


def _why_not_merged(scores: Mapping[str, Any], probability: float, auto_merge: float) -> str:
    if scores.get("reason") == "guard":
        return (f"refused by a guard: the evidence ({probability:.2f}) reached auto-merge, but joining the two would "
                "put records the model keeps apart in one customer or person")  # fmt: skip
    if scores.get("reason") == "surnames_differ":
        return (
            f"one mailbox under one given name and two surnames (probability {probability:.2f}): a surname that "
            "changed, or two people on one address; the address proves neither"
        )
    return f"probability {probability:.2f} is below auto-merge ({auto_merge:.2f})"


def _evidence(scores: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The comparisons behind the pair, strongest first: comparison, level and match weight."""
    stored = scores.get("evidence")
    evidence = stored.get("evidence") if isinstance(stored, Mapping) else None
    if not isinstance(evidence, Mapping):
        return []
    rows = [
        {"comparison": name, "level": value[0], "weight": float(value[1])}
        for name, value in evidence.items()
        if isinstance(value, list | tuple) and len(value) == 2
    ]
    return sorted(rows, key=lambda row: -abs(row["weight"]))


def open_pairs(engine: Engine, auto_merge_threshold: float) -> list[dict[str, Any]]:
    """The open review-queue pairs, best first, each as plain data: record_a, record_b (their ids), level, score,
    why_not_merged, evidence, prior and match_weight, sides (per record: fields, tool, object, golden ids)."""
    candidates = golden_store.read_candidates(engine, "open")
    placed = _placement(engine, (c[key] for c in candidates for key in ("record_id_a", "record_id_b")))
    pairs = []
    for candidate in candidates:
        scores = candidate.get("scores") or {}
        stored = scores.get("evidence") if isinstance(scores.get("evidence"), Mapping) else {}
        sides = []
        for side in ("a", "b"):
            record_id = candidate[f"record_id_{side}"]
            fields = candidate.get(f"record_{side}") or {}
            sides.append({"record_id": record_id, **_source(record_id), **placed.get(record_id, {}),
                          "fields": {key: fields.get(key) for key in SHOWN_FIELDS}})  # fmt: skip
        probability = float(stored.get("probability", candidate["score"]))
        pairs.append(
            {
                "record_a": candidate["record_id_a"],
                "record_b": candidate["record_id_b"],
                "level": scores.get("level"),
                "score": float(candidate["score"]),
                "why_not_merged": _why_not_merged(scores, probability, auto_merge_threshold),
                "evidence": _evidence(scores),
                "prior": stored.get("prior"),
                "match_weight": stored.get("match_weight"),
                "queued_at": candidate.get("created_at"),
                "sides": sides,
            }
        )
    return pairs


def format_pair(pair: Mapping[str, Any], number: int | None = None, total: int | None = None) -> str:
    """One pair as text for a terminal: the two records in two columns, then the evidence and the reason."""
    a, b = pair["sides"]
    head = f"[{number}/{total}] " if number is not None else ""
    lines = [f"{head}{pair['level'] or 'pair'} pair, match probability {pair['score']:.2f}"]
    rows = [("record", a["record_id"], b["record_id"]),
            ("in", a.get("golden_customer_id") or "-", b.get("golden_customer_id") or "-")]  # fmt: skip
    rows += [
        (field, str(a["fields"].get(field) or "-")[:38], str(b["fields"].get(field) or "-")[:38])
        for field in SHOWN_FIELDS
        if a["fields"].get(field) or b["fields"].get(field)
    ]
    width = max(len(row[1]) for row in rows)
    lines += [f"  {label:<18} {left:<{width}}  {'=' if left == right and left != '-' else '|'}  {right}"
              for label, left, right in rows]  # fmt: skip
    if pair["evidence"]:
        said = ", ".join(f"{e['comparison']} {e['level']} {e['weight']:+.1f}" for e in pair["evidence"])
        prior = f"prior {pair['prior']:+.1f}, " if isinstance(pair.get("prior"), int | float) else ""
        total_weight = pair.get("match_weight")
        total_text = f", total {total_weight:+.1f}" if isinstance(total_weight, int | float) else ""
        lines.append(f"  evidence: {prior}{said}{total_text}")
    lines.append(f"  not merged: {pair['why_not_merged']}")
    return "\n".join(lines)


def markdown_table(pairs: list[Mapping[str, Any]], limit: int = 25) -> str:
    """The open pairs as a markdown table for the match_candidates asset's metadata in the Dagster UI."""
    if not pairs:
        return "No open pairs: the review queue is empty."

    def cell(value: Any) -> str:
        return str(value if value not in (None, "") else "-").replace("|", "/").replace("\n", " ")

    def who(side: Mapping[str, Any]) -> str:
        fields = side["fields"]
        name = fields.get("full_name") or " ".join(filter(None, (fields.get("first_name"), fields.get("last_name"))))
        return " · ".join(cell(v) for v in (name or fields.get("company_name"), fields.get("email")) if v)

    lines = ["| score | record A | A | record B | B | strongest evidence | not merged |", "|---" * 7 + "|"]
    for pair in pairs[:limit]:
        a, b = pair["sides"]
        evidence = ", ".join(f"{e['comparison']} {e['level']} {e['weight']:+.1f}" for e in pair["evidence"][:3])
        lines.append(
            f"| {pair['score']:.2f} | {cell(a['record_id'])} | {who(a) or '-'} | {cell(b['record_id'])} | "
            f"{who(b) or '-'} | {cell(evidence)} | {cell(pair['why_not_merged'])} |"
        )
    if len(pairs) > limit:
        lines.append(f"\n{len(pairs) - limit} more: `customer-hub review` lists them all.")
    return "\n".join(lines)


def review_interactively(
    engine: Engine,
    pairs: list[Mapping[str, Any]],
    ask: Callable[[str], str],
    say: Callable[[str], None],
    by: str,
) -> dict[str, int]:
    """Show each pair and record the steward's answer; returns how many were merged, kept apart and skipped.

    `ask` returns the answer to a prompt (EOF or 'q' stops early); an unknown answer is asked again.
    """
    counts = {"merge": 0, "keep_apart": 0, "skip": 0}
    for number, pair in enumerate(pairs, start=1):
        say(format_pair(pair, number, len(pairs)))
        while True:
            try:
                answer = ANSWERS.get(ask("  [m]erge, [k]eep apart, [s]kip, [q]uit? ").strip().lower())
            except EOFError:
                answer = "quit"
            if answer is not None:
                break
            say("  answer m, k, s or q")
        if answer == "quit":
            break
        if answer != "skip":
            record_decision(engine, pair["record_a"], pair["record_b"], answer, by, "customer-hub review")
        counts[answer] += 1
        say("")
    return counts
