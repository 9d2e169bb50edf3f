"""`customer-hub explain A B`: why two records are, or are not, one person and one customer.

The answer is computed the way the golden run computes it - the same live records, steward decisions and
`matching` settings, the match model the golden layer keeps - so it shows the evidence behind today's golden
record: each comparison's level and match weight (a waterfall from the prior to the total), the match probability
against the thresholds, where each record ended up and the link that placed it there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from customer_hub.config import HubConfig
from customer_hub.golden.build import resolution_settings, stored_model
from customer_hub.resolution import resolve_with_review
from customer_hub.store import frames, golden_store

_SHOWN = ("full_name", "first_name", "last_name", "email", "phone", "company_name", "company_domain", "street",
          "city", "postcode")  # fmt: skip


class ExplainError(ValueError):
    """The pair cannot be explained; the message says which record is unknown and where to find ids."""


def explain_records(engine: Engine, config: HubConfig, record_a: str, record_b: str) -> dict[str, Any]:
    """The explanation of one pair of live records (see the module docstring), as plain data."""
    records = frames.resolution_frame(engine)
    decisions = golden_store.read_decisions(engine)
    settings = resolution_settings(config.matching, decisions)
    resolution = resolve_with_review(records, settings, stored_model(engine, config, len(records)))
    try:
        explained = resolution.explain(record_a, record_b)
    except KeyError as error:
        raise ExplainError(
            f"no live customer record with id {error.args[0]}: copy record ids from `customer-hub lookup` "
            "(Source records) or from the review queue"
        ) from None
    shown = records.set_index("record_id")
    decided = {frozenset((d["record_id_a"], d["record_id_b"])): d for d in decisions}
    decision = decided.get(frozenset((record_a, record_b)))
    return {
        "record_a": _values(shown.loc[record_a], record_a),
        "record_b": _values(shown.loc[record_b], record_b),
        **explained,
        "decision": {"decision": decision["decision"], "by": decision["decided_by"]} if decision else None,
        "auto_merge_threshold": settings.auto_merge_threshold,
        "review_threshold": settings.review_threshold,
    }


def _values(row: Any, record_id: str) -> dict[str, Any]:
    values = {"record_id": record_id}
    for column in _SHOWN:
        value = row.get(column)
        if isinstance(value, str) and value.strip():
            values[column] = value
    return values


def _verdict(explained: Mapping[str, Any]) -> str:
    person = "one person" if explained["same_person"] else "different people"
    customer = "one customer" if explained["same_customer"] else "different customers"
    return f"{person}, {customer}"


def format_explanation(explained: Mapping[str, Any]) -> str:
    """The explanation as a readable waterfall."""
    lines = []
    for key in ("record_a", "record_b"):
        record = explained[key]
        described = " · ".join(str(value) for name, value in record.items() if name != "record_id")
        lines.append(f"{record['record_id']}  {described or '(no identity fields)'}")
    lines.append("")
    pair = explained.get("pair")
    if pair:
        lines.append(f"{'prior (how often two records are one person)':<46} {pair['prior']:+7.2f}")
        for name, said in pair["evidence"].items() if isinstance(pair["evidence"], dict) else []:
            if name == "names_swapped":  # a flag beside the levels, said below them
                continue
            level, weight = said
            bar = ("+" if weight > 0 else "-") * min(int(abs(weight)), 20)
            lines.append(f"  {name:<14} {level:<28} {weight:+7.2f}  {bar}")
        if pair["evidence"].get("names_swapped"):
            lines.append("  (first and last name compared the other way round)")
        lines.append(
            f"{'match weight':<46} {pair['match_weight']:+7.2f}  -> probability {pair['probability']:.4f} "
            f"(auto-merge at {explained['auto_merge_threshold']}, review from {explained['review_threshold']})"
        )
    else:
        lines.append("No model was trained (fewer than two named people): only exact keys link records.")
    lines.append("")
    for record_id, placed in explained["placed_by"].items():
        via = f" via {placed['linked_to']}" if placed["linked_to"] else ""
        lines.append(f"{record_id} placed by {placed['rule']}{via}")
    if explained.get("decision"):
        lines.append(
            f"Steward decision in force: {explained['decision']['decision']} (by {explained['decision']['by']})"
        )
    lines.append(f"Verdict: {_verdict(explained)}")
    return "\n".join(lines)
