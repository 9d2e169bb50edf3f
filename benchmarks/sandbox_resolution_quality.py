"""Golden-record quality on the sandbox's messy data, scored against the sandbox's ground truth.

The synthetic benchmark (`resolution_benchmark.py`) measures scale; this one measures the whole path a user runs:
real connectors land the sandbox's six tools into a fresh SQLite hub, the golden layer resolves them, and every
record's golden customer (and golden person) is compared with the real customer (and person) the sandbox seeded it
for. Prints pairwise precision, recall and F1, plus the Acme case.

    .venv/bin/python benchmarks/sandbox_resolution_quality.py [--seed 42] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select

from customer_hub.config import load_config
from customer_hub.golden.build import build_golden
from customer_hub.golden.records import build_customer_records
from customer_hub.local_env import environment, sandbox_environment
from customer_hub.sandbox import ACME_CUSTOMER_KEY, start_sandbox
from customer_hub.spokes.registry import build_connectors, streams
from customer_hub.spokes.sync import sync_stream
from customer_hub.store import engine_for
from customer_hub.store.schema import customer_xref


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
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
        truth = sandbox.state.truth.records
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


if __name__ == "__main__":
    main()
