"""How fast `customer-hub lookup` answers on a hub with a million golden customers.

Fills a fresh SQLite hub with synthetic golden customers (one 360 row, one golden row and three source records
each), then times lookups by tool id, record id, golden id, email, domain, name prefix, contained word and typo.

    .venv/bin/python benchmarks/lookup_benchmark.py [--customers 1000000] [--db /tmp/lookup_bench.db]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from customer_hub.golden.names import name_key
from customer_hub.lookup import lookup
from customer_hub.store import engine_for

WORDS = [
    "Bright", "North", "Blue", "Silver", "Rapid", "Clear", "Green", "Summit", "Iron", "Cedar", "Harbor", "Pioneer",
    "Atlas", "Nimbus", "Vertex", "Quantum", "Golden", "Crystal", "Falcon", "Maple", "Ocean", "Prairie", "Red",
    "Stone", "Sun", "Union", "Vista", "West", "Zenith", "Apex", "Beacon", "Canyon", "Delta", "Echo", "Frontier",
]  # fmt: skip
NOUNS = [
    "Logistics", "Analytics", "Foods", "Labs", "Systems", "Partners", "Media", "Health", "Energy", "Capital",
    "Robotics", "Studios", "Dynamics", "Networks", "Supply", "Ventures", "Works", "Solutions", "Designs", "Motors",
]  # fmt: skip
SUFFIXES = ["Inc", "LLC", "GmbH", "Ltd", "Corp", "SA", "BV", ""]
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def synthetic_name(index: int) -> str:
    rng = random.Random(index)
    return " ".join(
        part
        for part in (rng.choice(WORDS) + rng.choice(NOUNS).lower(), rng.choice(NOUNS), str(index), rng.choice(SUFFIXES))
        if part
    )


def fill(url: str, customers: int) -> float:
    """Bulk insert through the driver's executemany in large transactions; returns the seconds taken."""
    engine = engine_for(url)
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        batch = 50_000
        for start in range(0, customers, batch):
            views, golden, xref = [], [], []
            naive_now = NOW.replace(tzinfo=None)
            for index in range(start, min(start + batch, customers)):
                gid = f"GC-{index:07d}"
                name = synthetic_name(index)
                domain = f"{name_key(name).split()[0]}{index}.com"
                email = f"contact{index}@{domain}"
                view = {"golden_customer_id": gid, "name": name, "domain": domain, "email": email, "mrr": index % 997}
                views.append((gid, name, name_key(name), domain, email, json.dumps(view), naive_now))
                golden.append((gid, "customer", "active", None, "{}", "{}", naive_now, naive_now))
                for rid, tool, obj, sid, person, mail in (
                    (f"hubspot:companies:{index}", "hubspot", "companies", str(index), None, None),
                    (f"hubspot:contacts:{index}", "hubspot", "contacts", f"c{index}", f"GP-{index:07d}", email),
                    (f"stripe:customers:cus_{index:08x}", "stripe", "customers", f"cus_{index:08x}", None, email),
                ):
                    xref.append((rid, tool, obj, sid, gid, person, mail, "shared_key", 1.0, None, None, naive_now))
            cursor.executemany(
                "INSERT INTO customer_360 (golden_customer_id, name, name_lc, domain, email, view, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                views,
            )
            cursor.executemany(
                "INSERT INTO golden_customers (golden_id, kind, status, merged_into, fields, field_sources, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                golden,
            )
            cursor.executemany(
                "INSERT INTO customer_xref (record_id, source_system, source_object, source_id, golden_customer_id,"
                " golden_person_id, email, match_rule, confidence, match_scores, linked_to, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                xref,
            )
            raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def timed(engine, query: str, repeat: int) -> tuple[float, float, int]:
    """(median ms, worst ms, results) over `repeat` runs."""
    times, found = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        found = len(lookup(engine, query))
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--db", help="SQLite file to create (default: a temporary folder)")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="lookup_bench_")
    path = Path(args.db or Path(folder) / "hub.db")
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    seconds = fill(url, args.customers)
    print(
        f"filled {args.customers:,} golden customers (+{3 * args.customers:,} xref rows) in {seconds:.1f} s -> {path}"
    )
    engine = engine_for(url)
    probe = args.customers // 2
    name = synthetic_name(probe)
    first_word = name.split()[0]
    typo = first_word[:2] + first_word[3] + first_word[2] + first_word[4:] + " " + " ".join(name.split()[1:3])
    queries = {
        "tool id (Stripe)": f"cus_{probe:08x}",
        "record id": f"hubspot:companies:{probe}",
        "golden id": f"GC-{probe:07d}",
        "golden person id": f"GP-{probe:07d}",
        "email": f"contact{probe}@{name_key(name).split()[0]}{probe}.com",
        "domain": f"{name_key(name).split()[0]}{probe}.com",
        "exact name": name,
        "name prefix": first_word[:5],
        "contained words (scan)": f"{name.split()[1]} {probe}",
        "typo": typo,
        "no match at all": "qqqq xyzzy",
    }
    print(f"{'query':<24} {'text':<44} {'median ms':>10} {'worst ms':>9} {'found':>6}")
    for label, query in queries.items():
        median, worst, found = timed(engine, query, args.repeat)
        print(f"{label:<24} {query[:44]:<44} {median:>10.2f} {worst:>9.2f} {found:>6}")


if __name__ == "__main__":
    main()
