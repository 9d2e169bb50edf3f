"""How long the quality layer takes on a sandbox-sized hub, how much memory its metrics need, and what it finds.

Builds a hub from the sandbox (seed 42) in a SQLite file: every stream synced in full, customer records, golden
records and customer 360 built, then 1% of the records changed in the tools, synced incrementally and the golden
layer rebuilt (so latency has changes to measure, as on a live hub). Then `compute_metrics` runs in a fresh
interpreter, twice: once timed, reporting peak RSS (VmHWM, reset just before the call, where Linux allows) and its
growth over the interpreter with the quality modules imported and the store connected; once under tracemalloc,
reporting the peak of Python allocations. Last the per-stream and golden checks are timed and the hub-wide figures
printed.

    PYTHONPATH=. .venv/bin/python benchmarks/quality_metrics.py [--scale 1.0] [--db PATH]

`--db PATH` keeps the built hub there; when the file already exists it is measured as it is, without a sandbox,
so one hub can be measured again (after a code change, or under another backend's settings) at no build cost.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from contextlib import ExitStack, suppress
from datetime import UTC, datetime
from pathlib import Path

import customer_hub
from customer_hub.config import load_config
from customer_hub.quality import compute_metrics, quality_settings
from customer_hub.store import engine_for

CHANGED_SHARE = 0.01
"""Share of each stream's records changed in the tools between the full load and the incremental run."""


def _timed(label: str, work):
    start = time.perf_counter()
    value = work()
    print(f"{label:<34} {time.perf_counter() - start:8.3f} s")
    return value


def _mib(kib: int) -> float:
    return kib / 1024


def _sync_all(engine, config, sandbox, mode: str) -> dict[str, int | None]:
    """Sync every stream; returns each tool's own count (what row-count parity compares against)."""
    from customer_hub.local_env import sandbox_google_key
    from customer_hub.sandbox import SANDBOX_IDS
    from customer_hub.spokes.registry import build_connector, streams
    from customer_hub.spokes.sync import sync_stream

    credentials = {
        "hubspot": {"access_token": "sandbox"},
        "stripe": {"api_key": "sk_test_sandbox"},
        "intercom": {"access_token": "sandbox"},
        "quickbooks": {
            "client_id": "sandbox",
            "client_secret": "sandbox",
            "refresh_token": SANDBOX_IDS["quickbooks_refresh_token"],
            "realm_id": SANDBOX_IDS["quickbooks_realm_id"],
        },
        "asana": {"access_token": "sandbox"},
        "sheets": {"service_account_key": sandbox_google_key(sandbox.url)},
    }
    reported = {}
    for tool, obj in streams(config):
        connector = build_connector(
            tool, config, engine=engine, credentials=credentials[tool], base_url=sandbox.base_url(tool)
        )
        reported[f"{tool}_{obj}"] = sync_stream(engine, connector, obj, mode=mode).reported_count
    return reported


def _golden_layer(engine, config, label: str) -> int:
    """Customer records, golden records (logged as a golden run, which latency reads) and customer 360."""
    from customer_hub.golden.build import build_golden
    from customer_hub.golden.records import build_customer_records
    from customer_hub.golden.view360 import build_customer_360
    from customer_hub.quality.metrics import GOLDEN_RUN
    from customer_hub.store.health import health_logged

    records = _timed(f"customer records ({label})", lambda: build_customer_records(engine)["live"])
    with health_logged(engine, GOLDEN_RUN, "benchmark"):
        _timed(f"golden records ({label})", lambda: build_golden(engine, config))
    _timed(f"customer 360 ({label})", lambda: build_customer_360(engine))
    return records


def build_hub(path: Path, scale: float, config) -> dict[str, int | None]:
    """A sandbox hub at `path`: full load, golden layer, 1% changed, incremental sync, golden layer again."""
    from customer_hub.sandbox import start_sandbox

    engine = engine_for(f"sqlite:///{path}")
    with start_sandbox(seed=42, scale=scale) as sandbox:
        os.environ["QUICKBOOKS_TOKEN_URL"] = sandbox.base_url("quickbooks") + "/oauth2/v1/tokens/bearer"
        _timed("full sync, every stream", lambda: _sync_all(engine, config, sandbox, "full"))
        _golden_layer(engine, config, "full")
        sandbox.state.mutate(CHANGED_SHARE)
        reported = _timed("incremental sync, 1% changed", lambda: _sync_all(engine, config, sandbox, "incremental"))
        records = _golden_layer(engine, config, "after 1%")
    print(f"{records:,} live customer records at scale {scale:g}\n")
    return reported


def _reset_peak_rss() -> None:
    """Start the peak RSS afresh (Linux), so imports that came and went before the measured call do not count."""
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_kib() -> int:
    """The process's peak RSS in KiB: Linux's VmHWM, which `_reset_peak_rss` resets, else `ru_maxrss`. (A child
    started from a large parent inherits the parent's peak in `ru_maxrss`, and a reset does not clear that.)"""
    with suppress(OSError, StopIteration):
        status = Path("/proc/self/status").read_text().splitlines()
        return int(next(line for line in status if line.startswith("VmHWM:")).split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(url: str, traced: bool) -> dict[str, float]:
    """`compute_metrics` on the hub at `url`, inside this (fresh) interpreter: seconds, peak RSS, and with `traced`
    the tracemalloc peak instead (tracing slows Python down, so its run is not the timed one)."""
    config = load_config()
    settings = quality_settings(config)
    engine = engine_for(url)
    engine.connect().close()
    _reset_peak_rss()
    before_kib = _peak_rss_kib()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    metrics = compute_metrics(engine, config, datetime.now(UTC), settings)
    seconds = time.perf_counter() - started
    result = {"metrics": len(metrics), "seconds": round(seconds, 3)}
    if traced:
        result["traced_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    else:
        peak_kib = _peak_rss_kib()
        result.update(rss_before_mib=round(_mib(before_kib), 1), peak_rss_mib=round(_mib(peak_kib), 1))
    return result


def measure_in_child(url: str, traced: bool) -> dict[str, float]:
    """`measure` in a fresh interpreter importing this same `customer_hub`, so the peak is compute_metrics' own."""
    code_root = str(Path(customer_hub.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [code_root, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, __file__, "--measure", url, *(["--traced"] if traced else [])]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="sandbox size (1.0 = about 15k records)")
    parser.add_argument("--db", type=Path, help="SQLite file to keep the hub in (reused when it exists)")
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)  # the child process's entry
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.traced)))
        return
    from customer_hub.quality import double_billing_check, duplicates_check, quality_summary, stream_check_results
    from customer_hub.spokes.registry import streams
    from customer_hub.store.quality_store import append_metrics

    config = load_config()
    settings = quality_settings(config)
    with ExitStack() as stack:
        path = args.db or Path(stack.enter_context(tempfile.TemporaryDirectory())) / "hub.db"
        if path.exists():
            print(f"measuring the hub in {path} as it is (--scale not used)\n")
            reported: dict[str, int | None] = {}
        else:
            reported = build_hub(path, args.scale, config)
        url = f"sqlite:///{path.resolve()}"
        timed, traced = measure_in_child(url, traced=False), measure_in_child(url, traced=True)
        print(
            f"compute_metrics: {timed['seconds']:.2f} s, peak RSS {timed['peak_rss_mib']:.0f} MiB "
            f"(+{timed['peak_rss_mib'] - timed['rss_before_mib']:.0f} MiB over {timed['rss_before_mib']:.0f} MiB "
            f"with modules loaded), Python allocations peak {traced['traced_peak_mib']:.0f} MiB, "
            f"{timed['metrics']} metrics\n"
        )
        engine = engine_for(url)
        now = datetime.now(UTC)
        metrics = _timed("compute_metrics (in process)", lambda: compute_metrics(engine, config, now, settings))
        append_metrics(engine, metrics, now)
        stream_map = {f"{tool}_{obj}": (tool, obj) for tool, obj in streams(config)}
        parity, _ = _timed(
            "parity + drift, all streams", lambda: stream_check_results(engine, settings, stream_map, reported)
        )
        append_metrics(engine, parity, now)
        _timed("duplicates check", lambda: duplicates_check(engine, settings))
        _timed("double billing check", lambda: double_billing_check(engine, settings))
        print(f"\n{len(metrics) + len(parity)} metric rows\n")
        print(quality_summary(engine, now))


if __name__ == "__main__":
    main()
