"""Golden-record quality on the sandbox's messy data, scored against the sandbox's ground truth.

The synthetic benchmark (`resolution_benchmark.py`) measures scale; this one measures the whole path a user runs:
real connectors land the sandbox's six tools into a fresh SQLite hub, the golden layer resolves them, and every
record's golden customer (and golden person) is compared with the real customer (and person) the sandbox seeded it
for. Prints pairwise precision, recall and F1, the Acme case, the review queue (open pairs, and how many of them the
truth says are one customer) and the double-billing flags (and how many of them put subscriptions of different real
customers together: a wrong merge, not a customer paying twice).

    .venv/bin/python benchmarks/sandbox_resolution_quality.py [--seed 42] [--scale 1.0]

With `--export PATH` it stops after landing: the live customer records, as the golden layer would resolve them
(canonical columns), are written to Parquet with `true_person_id` / `true_account_id` (null where the sandbox holds
no truth), for `resolution_benchmark.py` to run every engine on the same frame.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from customer_hub.config import load_config
from customer_hub.golden.build import build_golden
from customer_hub.golden.records import BASE_COLUMNS, build_customer_records, records_frame
from customer_hub.golden.reports import double_billing
from customer_hub.golden.view360 import double_billed, subscriptions_of
from customer_hub.local_env import environment, sandbox_environment
from customer_hub.sandbox import ACME_CUSTOMER_KEY, start_sandbox
from customer_hub.sandbox.truth import RecordTruth
from customer_hub.spokes.canonical import IDENTITY_FIELDS, LINK_FIELDS
from customer_hub.spokes.registry import build_connectors, streams
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for, golden_store
from customer_hub.store.schema import customer_records, customer_xref


def pairwise(labels: Iterable[tuple[str, str]]) -> tuple[float, float, float]:
    """Precision, recall and F1 over record pairs: (predicted cluster, true cluster) per record."""
    predicted, true, both = Counter(), Counter(), Counter()
    for guess, real in labels:
        predicted[guess] += 1
        true[real] += 1
        both[(guess, real)] += 1

    def pairs(counts: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    hits = pairs(both)
    precision = hits / pairs(predicted) if pairs(predicted) else 1.0
    recall = hits / pairs(true) if pairs(true) else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def export(engine, truth, path: str) -> None:
    """The live customer records in canonical columns plus true_person_id / true_account_id, to Parquet."""
    records = records_frame(golden_store.read_customer_records(engine))
    records = records[[*BASE_COLUMNS, *IDENTITY_FIELDS, *LINK_FIELDS]].copy()
    real = [
        truth.get((tool, obj, source_id))
        for tool, obj, source_id in records[["source_system", "source_object", "source_id"]].itertuples(index=False)
    ]
    records["true_person_id"] = [item.person if item else None for item in real]
    records["true_account_id"] = [item.customer if item else None for item in real]
    for column in [*IDENTITY_FIELDS, "true_person_id", "true_account_id"]:
        records[column] = records[column].astype(object).where(records[column].notna(), None)
    records.to_parquet(path)


def _truth_of(record_id: str, truth: dict) -> RecordTruth | None:
    """The truth behind a hub record id (`tool:object:source id`)."""
    tool, obj, source_id = (record_id.split(":", 2) + ["", ""])[:3]
    return truth.get((tool, obj, source_id))


def review_pairs(engine, truth: dict) -> tuple[int, int]:
    """Open review-queue pairs, and how many of them the truth says belong to one customer."""
    same = 0
    candidates = golden_store.read_candidates(engine, status="open")
    for pair in candidates:
        a, b = _truth_of(pair["record_id_a"], truth), _truth_of(pair["record_id_b"], truth)
        same += bool(a and b and a.customer == b.customer)
    return len(candidates), same


def double_billing_flags(engine, truth: dict) -> tuple[int, int, int]:
    """Double-billing flags (one per golden customer and product), how many of them join subscriptions of
    different real customers, and how many double billings the sandbox seeded (the same rule applied to each real
    customer's subscriptions)."""
    flags = double_billing(engine)
    wrong = sum(
        len({real.customer for record in flag["records"] if (real := _truth_of(record, truth))}) > 1 for flag in flags
    )
    query = select(customer_records.c.attributes).where(
        customer_records.c.source_system == "stripe",
        customer_records.c.source_object == "subscriptions",
        customer_records.c.deleted_at.is_(None),
    )
    by_customer: dict[str, list] = defaultdict(list)
    with engine.connect() as conn:
        for (attributes,) in conn.execute(query):
            if real := _truth_of(attributes["record_id"], truth):
                by_customer[real.customer].append(attributes)
    seeded = sum(len(double_billed(subscriptions_of(subscriptions))) for subscriptions in by_customer.values())
    return len(flags), wrong, seeded


def shared_personal_addresses(conn) -> list[str]:
    """Canonical person addresses (free-mail providers, no role mailboxes) that sit in two or more golden customers:
    one person split into several customers."""
    from customer_hub.resolution.domains import free_mail_mask
    from customer_hub.resolution.emails import normalize_emails

    rows = conn.execute(
        select(customer_xref.c.email, customer_xref.c.golden_customer_id).where(customer_xref.c.email.is_not(None))
    ).all()
    emails = normalize_emails(pd.Series([email for email, _ in rows], dtype="str"))
    free = free_mail_mask(emails["email_domain"], frozenset()).to_numpy() & ~emails["email_is_role"].to_numpy()
    frame = pd.DataFrame({"email": emails["email"], "customer": [customer for _, customer in rows]})[free]
    counts = frame.drop_duplicates().groupby("email")["customer"].size()
    return sorted(counts[counts > 1].index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--export", help="write the landed customer records and their truth to this Parquet file")
    args = parser.parse_args()

    config = load_config(Path(__file__).resolve().parents[1] / "hub.yaml")
    with tempfile.TemporaryDirectory() as folder, start_sandbox(seed=args.seed, scale=args.scale) as sandbox:
        engine = engine_for(f"sqlite:///{folder}/hub.db")
        with environment(sandbox_environment(config, sandbox.url)):
            connectors = build_connectors(config, engine=engine)
            started = time.monotonic()
            for tool, obj in streams(config):
                sync_stream(engine, connectors[tool], obj, mode="full")
            synced = time.monotonic() - started
        if args.export:
            build_customer_records(engine, config.matching)
            export(engine, sandbox.state.truth.records, args.export)
            print(
                f"sandbox seed {args.seed}, scale {args.scale}: landed in {synced:.1f} s, exported to {args.export}",
                file=sys.stderr,
            )
            return
        started = time.monotonic()
        build_customer_records(engine, config.matching)
        build_golden(engine, config)
        resolved = time.monotonic() - started

        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    customer_xref.c.source_system,
                    customer_xref.c.source_object,
                    customer_xref.c.source_id,
                    customer_xref.c.golden_customer_id,
                    customer_xref.c.golden_person_id,
                )
            ).all()
            shared = shared_personal_addresses(conn)
        truth = sandbox.state.truth.records
        review, review_same = review_pairs(engine, truth)
        flags, flags_wrong, seeded = double_billing_flags(engine, truth)
        accounts, people, unknown = [], [], 0
        for tool, obj, source_id, customer, person in rows:
            real = truth.get((tool, obj, source_id))
            if real is None:
                unknown += 1
                continue
            accounts.append((customer, real.customer))
            if real.person and person:
                people.append((person, real.person))
        acme_ids = {
            customer
            for tool, obj, source_id, customer, _ in rows
            if (real := truth.get((tool, obj, source_id))) and real.customer == ACME_CUSTOMER_KEY
        }

    print(
        f"sandbox seed {args.seed}, scale {args.scale}: {len(rows)} records landed in {synced:.1f} s, "
        f"resolved in {resolved:.1f} s ({unknown} records without ground truth left out)"
    )
    print(f"{'level':<10}{'records':>9}{'precision':>11}{'recall':>9}{'F1':>8}")
    for level, labels in (("accounts", accounts), ("people", people)):
        precision, recall, f1 = pairwise(labels)
        print(f"{level:<10}{len(labels):>9}{precision:>11.3f}{recall:>9.3f}{f1:>8.3f}")
    print(f"Acme Corp records fall into {len(acme_ids)} golden customer(s): {sorted(acme_ids)}")
    print(f"personal addresses held by more than one golden customer: {len(shared)} {shared[:5]}")
    print(f"review pairs open: {review} ({review_same} of them one real customer)")
    print(
        f"double-billing flags: {flags} ({flags_wrong} of them join different real customers; "
        f"the sandbox seeded {seeded} double billings)"
    )


if __name__ == "__main__":
    main()
