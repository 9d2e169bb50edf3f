"""Finding a customer from whatever someone has at hand, and recording a steward's match decisions.

`lookup` answers from indexed columns only (exact ids, emails, domains, an index range for name prefixes) and
falls back to a bounded contains scan and a fuzzy comparison over a bounded candidate set, so it stays well under
a second on a hub with a million golden customers. It imports neither pandas nor Dagster: the command line
starts quickly.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process
from sqlalchemy import Engine, select

from customer_hub.golden.double_billing import describe_double_billing
from customer_hub.golden.names import bare_domain, name_key, prefix_range
from customer_hub.store import customer_health_store, golden_store
from customer_hub.store.schema import customer_records

_RECORD_ID = re.compile(r"^[a-z]+:[a-z_]+:.+$")
_PHONE = re.compile(r"^\+?[\d\s().\-/]{7,}$")
"""A query that reads as a phone number in any common format: '+1 505 555 0142', '(505) 555-0142', '505.555.0142'."""
_MAX_BY = 128
"""Longest `decided_by` the store keeps (the column's size on every backend)."""
FUZZY_CANDIDATES = 2_000
"""Names sharing the query's known prefix compared with rapidfuzz for a typo: bounded so the comparison stays fast."""
FUZZY_CUTOFF = 80.0
CONTAINS_MIN_LENGTH = 3
ONE_EDIT_MIN_LENGTH = 4
"""Shorter queries are one edit away from too many names to mean any of them."""
ONE_EDIT_SCORE = 85.0
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 "

_ID_COLUMNS = {"record_id": "record id", "source_id": "tool id", "golden_person_id": "golden person id"}
# Ranking bands: an exact id beats an email, which beats a domain, then exact, prefix, contains and fuzzy names.
_ID, _EMAIL, _DOMAIN_SCORE, _EXACT_NAME, _EMAIL_DOMAIN = 100.0, 99.0, 97.0, 95.0, 75.0


def canonical_email(value: str) -> str:
    """The mailbox an address reaches, as `customer_hub.resolution.emails` stores it: lowercase, '+tag' dropped,
    Gmail dots ignored, googlemail.com read as gmail.com. Repeated here so lookup needs no pandas."""
    text = value.strip().lower().removeprefix("mailto:")
    if text.count("@") != 1:
        return text
    local, domain = text.split("@")
    domain = domain.strip(".")
    domain = "gmail.com" if domain == "googlemail.com" else domain
    local = local.split("+", 1)[0]
    if domain == "gmail.com":
        local = local.replace(".", "")
    return f"{local}@{domain}" if local else text


class _Hits:
    """Golden ids found so far with the best way each was found."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[float, str]] = {}

    def add(self, ids: Iterable[str], score: float, how: str) -> None:
        for golden_id in ids:
            if golden_id not in self.found or self.found[golden_id][0] < score:
                self.found[golden_id] = (score, how)

    def __len__(self) -> int:
        return len(self.found)


def _by_ids(engine: Engine, query: str, hits: _Hits) -> None:
    for golden_id, column in golden_store.golden_ids_for_record(engine, query).items():
        hits.add([golden_id], _ID, _ID_COLUMNS[column])
    survivor = golden_store.resolve_merged(engine, query)
    if survivor:
        hits.add([survivor], _ID, "golden id" if survivor == query else f"golden id (merged into {survivor})")


def _by_email(engine: Engine, query: str, hits: _Hits, limit: int) -> None:
    emails = list(dict.fromkeys([query.strip().lower(), canonical_email(query)]))
    hits.add(golden_store.golden_ids_for_email(engine, emails), _EMAIL, "email")
    hits.add(golden_store.ids_by_column(engine, "email", emails, limit), _EMAIL, "email")
    if not len(hits):
        domain = emails[-1].rsplit("@", 1)[-1]
        hits.add(golden_store.ids_by_column(engine, "domain", [domain], limit), _EMAIL_DOMAIN, "domain of the email")


def _by_phone(engine: Engine, query: str, hits: _Hits, limit: int) -> None:
    """Phones are stored as the digits of their E.164 form. A national number (no '+') is tried as written and with
    the North American country code, the default region's; '00' is the international prefix."""
    digits = re.sub(r"\D", "", query)
    if query.strip().startswith("00"):
        digits = digits[2:]
    tried = [digits] if query.strip().startswith(("+", "00")) else [digits, f"1{digits}"]
    for key in tried:
        hits.add([golden_id for golden_id, _ in golden_store.ids_by_key(engine, "phone", key, None, limit)], _EMAIL,
                 "phone")  # fmt: skip


def _by_contact_name(engine: Engine, key: str, hits: _Hits, limit: int) -> None:
    """The customer of a person named `key` (exact, else a name starting with it)."""
    for golden_id, name in golden_store.ids_by_key(engine, "contact_name", *prefix_range(key), limit * 4):
        hits.add([golden_id], _EXACT_NAME - 1 if name == key else 80.0 + fuzz.ratio(key, name) / 10, "contact name")


def _by_name(engine: Engine, query: str, hits: _Hits, limit: int) -> None:
    key = name_key(query)
    if not key:
        return
    _by_contact_name(engine, key, hits, limit)
    low, high = prefix_range(key)
    for golden_id, name in golden_store.names_in_range(engine, low, high, limit * 4):
        if name == key:
            hits.add([golden_id], _EXACT_NAME, "name")
        else:
            hits.add([golden_id], 80.0 + fuzz.ratio(key, name) / 10, "name starts with")
    if not len(hits) and len(key) >= CONTAINS_MIN_LENGTH:
        for golden_id, name in golden_store.names_containing(engine, key, limit * 4):
            hits.add([golden_id], 70.0 + fuzz.ratio(key, name) / 10, "name contains")
    if not len(hits):
        _fuzzy(engine, key, hits, limit)


def _longest_known_prefix(engine: Engine, key: str) -> int:
    """Length of the longest prefix of `key` that some name starts with (binary search over index probes)."""
    low, high = 0, len(key)
    while low < high:
        middle = (low + high + 1) // 2
        if golden_store.names_in_range(engine, *prefix_range(key[:middle]), 1):
            low = middle
        else:
            high = middle - 1
    return low


def _single_edits(key: str, at: int) -> set[str]:
    """`key` with one deletion, swap, substitution or insertion at position `at`: where the typo must be."""
    head, tail = key[:at], key[at:]
    variants = {head + tail[1:], head + tail[1:2] + tail[:1] + tail[2:]}
    for char in _ALPHABET:
        variants.add(head + char + tail[1:])
        variants.add(head + char + tail)
    variants.discard(key)
    return {variant for variant in variants if variant}


def _fuzzy(engine: Engine, key: str, hits: _Hits, limit: int) -> None:
    """Typos. Names share the query's letters up to the typo, so the candidates are the names starting with the
    query corrected by one edit where its known prefix ends (about 80 index probes; if no whole correction is a
    prefix, only a few letters past the typo are kept), plus names sharing the known prefix; rapidfuzz ranks them.
    Bounded work whatever the size of the hub."""
    known = _longest_known_prefix(engine, key)
    variants = _single_edits(key, known)
    candidates: dict[str, str] = {}
    one_edit: set[str] = set()
    for length in (len(key) + 1, known + 4):  # one typo: a whole variant is a prefix; else near the typo
        for variant in variants:
            for golden_id, name in golden_store.names_in_range(engine, *prefix_range(variant[:length]), 20):
                candidates[golden_id] = name
        if candidates:
            one_edit = set(candidates) if length == len(key) + 1 and len(key) >= ONE_EDIT_MIN_LENGTH else set()
            break
    # A name that starts with the query corrected by one letter ('acne' -> 'acme corp') is found even when the
    # rest of the name makes the whole-string similarity low.
    hits.add(one_edit, 0.7 * ONE_EDIT_SCORE, "name, one letter different")
    for golden_id, name in golden_store.names_in_range(engine, *prefix_range(key[: max(known, 1)]), FUZZY_CANDIDATES):
        candidates[golden_id] = name
    ids, names = list(candidates), list(candidates.values())
    for _, score, index in process.extract(key, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=FUZZY_CUTOFF):
        hits.add([ids[index]], 0.7 * score, "similar name")


def lookup(engine: Engine, query: str, limit: int = 5) -> list[dict[str, Any]]:
    """The 360 views of the golden customers that best match `query`, best first, each with a `match` entry
    ({"on": how it was found, "score": 0-100}).

    `query` may be a golden id (a merged one leads to the customer it was merged into), a record id
    (`stripe:customers:cus_1`), any tool's own id, an email, a domain or URL, or a name (prefix, contained words,
    or with a typo).
    """
    query = (query or "").strip()
    if not query or limit < 1:
        return []
    hits = _Hits()
    _by_ids(engine, query, hits)
    if "@" in query:
        _by_email(engine, query, hits, limit)
    domain = bare_domain(query) if "." in query and " " not in query and "@" not in query else None
    if domain:
        hits.add(golden_store.ids_by_column(engine, "domain", [domain], limit), _DOMAIN_SCORE, "domain")
    if not len(hits) and _PHONE.match(query) and sum(char.isdigit() for char in query) >= 7:
        _by_phone(engine, query, hits, limit)
    if not len(hits) and "@" not in query:
        _by_name(engine, query, hits, limit)
    ranked = sorted(hits.found.items(), key=lambda item: (-item[1][0], item[0]))
    views = golden_store.read_360(engine, [golden_id for golden_id, _ in ranked])
    results = []
    for golden_id, (score, how) in ranked:
        if golden_id in views:
            results.append({**views[golden_id], "match": {"on": how, "score": round(score, 1)}})
        if len(results) == limit:
            break
    health = customer_health_store.scores_for(engine, [view["golden_customer_id"] for view in results])
    for view in results:
        view["health"] = _health_entry(health.get(view["golden_customer_id"]))
    return results


def _health_entry(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The customer's latest health score for the view (None before the first health run)."""
    if row is None:
        return None
    return {
        "score": row["score"],
        "band": row["band"],
        "previous_band": row["previous_band"],
        "signals": row["signals"],
        "notes": row["notes"],
        "scored_at": row["scored_at"].isoformat(),
        "trend": [{"day": day, "score": score} for day, score in row["trend"]],
    }


# --- the readable view -----------------------------------------------------------------------------------------


def _money(value: Any) -> str:
    return "-" if value is None else f"{float(value):,.2f}"


def _day(value: Any) -> str:
    return str(value)[:10] if value else "-"


def format_360(view: Mapping[str, Any]) -> str:
    """A customer's 360 view as text for a terminal: each field with the tool it came from, money, warnings."""
    lines = [f"{view.get('name') or '(no name)'}  [{view['golden_customer_id']}]"]
    match = view.get("match")
    summary = [
        f"domain {view.get('domain') or '-'}",
        f"email {view.get('email') or '-'}",
        f"{view.get('record_count', 0)} source records",
        f"last activity {_day(view.get('last_activity_at'))}",
    ]
    lines.append("  " + " · ".join(summary))
    if match:
        lines.append(f"  found by {match['on']} (score {match['score']})")

    warnings = [f"DOUBLE BILLING: {describe_double_billing(problem)}" for problem in view.get("double_billing") or []]
    warnings += [
        f"{duplicate['tool']} holds this {duplicate.get('level') or 'customer'} {duplicate['count']} times: "
        f"{', '.join(duplicate['records'])}"
        for duplicate in view.get("within_tool_duplicates") or []
    ]
    lines += [f"  !! {warning}" for warning in warnings]
    lines += _health_lines(view.get("health"))

    lines.append("")
    lines.append("Fields (value, owning tool, record)")
    for field, entry in (view.get("fields") or {}).items():
        lines.append(
            f"  {field:<22} {str(entry['value'])[:40]:<40} {entry.get('source') or '-':<10} {entry.get('record') or ''}"
        )

    lines.append("")
    by_currency = view.get("mrr_by_currency") or {}
    mrr = (
        " + ".join(f"{_money(amount)} {currency or '(no currency)'}" for currency, amount in by_currency.items())
        if len(by_currency) > 1
        else _money(view.get("mrr"))
    )
    lines.append(f"Billing (stripe)  MRR {mrr} from {view.get('active_subscriptions', 0)} billing subscription(s)")
    for sub in view.get("subscriptions", []):
        lines.append(
            f"  - {sub['source_id']}  {sub.get('product') or '-'}  {sub.get('status') or '-'}  "
            f"{_money(sub.get('mrr'))}/month  next bill {_day(sub.get('next_billing_date'))}"
        )

    accounting = view.get("accounting") or {}
    lines.append(
        f"Accounting (quickbooks)  balance {_money(accounting.get('balance'))} · "
        f"{accounting.get('unpaid_invoices', 0)} unpaid invoice(s) totalling {_money(accounting.get('unpaid_total'))}"
        f" ({accounting.get('overdue_invoices', 0)} overdue)"
    )
    support = view.get("support") or {}
    lines.append(
        f"Support (intercom)  {support.get('open_conversations', 0)} open conversation(s) of "
        f"{support.get('conversations', 0)} · last {_day(support.get('last_conversation_at'))}"
    )
    implementation = view.get("implementation_status") or {}
    lines.append(
        f"Implementation ({implementation.get('source') or 'sheets'})  {implementation.get('value') or 'not tracked'}"
    )
    deals = view.get("deals") or {}
    lines.append(
        f"Deals (hubspot)  {len(deals.get('open', []))} open ({_money(deals.get('open_amount'))}) · "
        f"{len(deals.get('closed_won', []))} closed won ({_money(deals.get('closed_won_amount'))})"
    )
    projects = view.get("projects") or []
    lines.append(
        "Projects (asana)  " + (", ".join(str(p.get("name") or p.get("source_id")) for p in projects) or "none")
    )
    persons = view.get("persons") or []
    if persons:
        lines.append(
            "People  "
            + ", ".join(f"{p.get('name') or '?'}" + (f" <{p['email']}>" if p.get("email") else "") for p in persons)
        )

    lines.append("")
    lines.append("Source records (tool, record, how it was linked)")
    for tool, links in (view.get("sources") or {}).items():
        for link in links:
            confidence = link.get("confidence")
            lines.append(
                f"  {tool:<10} {link['record_id']:<45} {link.get('match_rule') or '-'}"
                + (f" ({confidence:.2f})" if isinstance(confidence, int | float) else "")
                + _evidence(link)
            )
    history = view.get("history") or []
    if history:
        lines.append("")
        lines.append("History")
        for event in history:
            lines.append(f"  {_day(event.get('at'))}  {event['event']:<8} {_describe_event(event.get('detail') or {})}")
    return "\n".join(lines)


TREND_SHOWN = 8
"""Score changes shown in the trend line: the latest ones."""


def _health_lines(health: Mapping[str, Any] | None) -> list[str]:
    """The health score, its band, each signal's points and reason, and how the score moved day by day."""
    if not health:
        return ["", "Health  not scored yet (the customer_health asset scores every customer daily)"]
    lines = ["", f"Health  {health['score']}/100 ({health['band'].replace('_', ' ')})"]
    lines += [f"  -{signal['points']:<3} {signal['name']}: {signal['reason']}" for signal in health["signals"]]
    lines += [f"  note: {note}" for note in health.get("notes") or []]
    changes = []
    for point in health.get("trend") or []:
        if not changes or changes[-1]["score"] != point["score"]:
            changes.append(point)
    if len(health.get("trend") or []) > 1:
        shown = " → ".join(f"{point['score']} ({point['day']})" for point in changes[-TREND_SHOWN:])
        lines.append(f"  trend: {shown}")
    return lines


def _evidence(link: Mapping[str, Any]) -> str:
    """' with <record>: <comparison> <level> <weight>, ...' for a probabilistic link, strongest evidence first
    (`customer-hub explain` shows the whole waterfall)."""
    scores = link.get("evidence")
    evidence = scores.get("evidence") if isinstance(scores, Mapping) else None
    if not isinstance(evidence, Mapping):
        return f" with {link['linked_to']}" if link.get("linked_to") else ""
    weighed = [(name, value) for name, value in evidence.items() if isinstance(value, list) and len(value) == 2]
    weighed.sort(key=lambda item: -abs(item[1][1]))
    said = ", ".join(f"{name} {level} {weight:+.1f}" for name, (level, weight) in weighed[:4])
    return f" with {link.get('linked_to')}: {said}"


def _describe_event(detail: Mapping[str, Any]) -> str:
    parts = []
    for key in ("into", "absorbed", "from", "new_id", "rule", "records", "records_joined", "records_left"):
        value = detail.get(key)
        if isinstance(value, list) and len(value) > 3:
            parts.append(f"{key.replace('_', ' ')} {', '.join(map(str, value[:3]))} and {len(value) - 3} more")
        elif value:
            parts.append(f"{key.replace('_', ' ')} {', '.join(map(str, value)) if isinstance(value, list) else value}")
    if detail.get("fields"):
        parts.append("fields " + ", ".join(detail["fields"]))
    return " · ".join(parts)


# --- steward decisions -----------------------------------------------------------------------------------------


def _known_records(engine: Engine, record_ids: Iterable[str]) -> set[str]:
    ids = list(set(record_ids))
    query = select(customer_records.c.record_id).where(customer_records.c.record_id.in_(ids))
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(query)}


class DecisionError(ValueError):
    """Steward decisions that cannot be recorded; the message names each problem and how to fix it."""


def _validate(engine: Engine, decisions: list[dict[str, Any]]) -> None:
    problems = []
    for number, decision in enumerate(decisions, start=1):
        where = f"decision {number}: " if len(decisions) > 1 else ""
        for key in ("record_a", "record_b"):
            if not _RECORD_ID.match(str(decision.get(key) or "")):
                problems.append(
                    f"{where}{key} {decision.get(key)!r} is not a record id (tool:object:id, e.g. hubspot:contacts:101)"
                )
        if decision.get("decision") not in golden_store.DECISIONS:
            problems.append(f"{where}decision {decision.get('decision')!r}: use merge or keep_apart")
        if decision.get("record_a") == decision.get("record_b"):
            problems.append(f"{where}record_a and record_b are the same record")
        if len(str(decision.get("by") or "")) > _MAX_BY:
            problems.append(f"{where}--by is longer than {_MAX_BY} characters: give a name or an email address")
        if any("\x00" in str(value) for value in decision.values() if value is not None):
            problems.append(f"{where}a value contains a NUL character: remove it")
    if not problems:
        named = {str(d[key]) for d in decisions for key in ("record_a", "record_b")}
        unknown = sorted(named - _known_records(engine, named))
        if unknown:
            problems.append(
                f"no customer record with id {', '.join(unknown)}: copy record ids from the 'Source records' of "
                "`customer-hub lookup <name, email or domain>` or from the review queue (match_candidates)"
            )
    if problems:
        raise DecisionError("steward decision(s) not recorded:\n  " + "\n  ".join(problems))


def record_decision(
    engine: Engine, record_a: str, record_b: str, decision: str, by: str, reason: str | None = None
) -> None:
    """Record that two source records are one customer (`merge`) or never are (`keep_apart`).

    The decision applies from the next golden_customers run and on every run after, whatever the scores say.
    """
    entry = {"record_a": record_a, "record_b": record_b, "decision": decision}
    _validate(engine, [{**entry, "by": by, "reason": reason}])
    golden_store.add_decisions(engine, [{**entry, "decided_by": by, "reason": reason}])


def withdraw_decision(engine: Engine, record_a: str, record_b: str) -> None:
    """Take back the steward decision on two records: from the next golden run the evidence alone decides."""
    if not golden_store.withdraw_decision(engine, record_a, record_b):
        raise DecisionError(f"no decision on {record_a} and {record_b} to withdraw")


def load_decisions_file(engine: Engine, path: str | Path) -> int:
    """Record every decision in a YAML file (a list, or a mapping with `decisions:`) or a CSV file with the
    columns record_a, record_b, decision, by, reason. All or nothing: one bad row records none."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".csv":
            with path.open(newline="") as handle:
                entries = [dict(row) for row in csv.DictReader(handle)]
        else:
            data = yaml.safe_load(path.read_text()) or []
            entries = data.get("decisions", []) if isinstance(data, dict) else data
    except OSError as error:
        raise DecisionError(f"{path}: cannot read the decisions file ({error.strerror or error})") from error
    except yaml.YAMLError as error:
        raise DecisionError(f"{path}: not valid YAML ({error})") from error
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise DecisionError(f"{path}: expected a list of decisions with record_a, record_b, decision, by, reason")
    entries = [{key: (str(value).strip() if value is not None else None) for key, value in e.items()} for e in entries]
    _validate(engine, entries)
    golden_store.add_decisions(
        engine,
        [
            {**entry, "decided_by": entry.get("by") or f"file:{path.name}", "reason": entry.get("reason") or None}
            for entry in entries
        ],
    )
    return len(entries)
