"""Look at the Dagster UI of `make ui` in a headless browser and print what a newcomer would see.

Run `make demo`, then `make ui`, then, with Playwright's Python package and a Chromium installed (not part of the
project's dependencies; e.g. a separate venv with `pip install playwright` and the system's chromium):

    python benchmarks/ui_smoke.py --url http://127.0.0.1:3000 --chromium /usr/bin/chromium [--materialize]

It checks that the asset graph loads, that golden_customers and match_candidates show their metadata (the table
of open pairs), that the checks and column schemas show, that freshness shows on an ingestion asset, and with
`--materialize` that "Materialize all" starts a run without asking for config. It prints one line per check and
exits 1 if any failed. Not a test: it needs a running UI and a browser, so CI never runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from collections.abc import Callable

from playwright.sync_api import Page, sync_playwright

TIMEOUT_MS = 60_000


def _graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - a local UI the caller names
        return json.loads(answer.read())["data"]


def _run_ids(url: str) -> set[str]:
    data = _graphql(url, "{ runsOrError(limit: 50) { ... on Runs { results { runId status } } } }")
    return {run["runId"] for run in data["runsOrError"]["results"]}


def _shows(page: Page, *texts: str) -> list[str]:
    """The texts not visible on the page after it settles (empty: all shown)."""
    missing = []
    for text in texts:
        try:
            page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=TIMEOUT_MS)
        except Exception:  # noqa: BLE001 - a missing text is the finding, reported below
            missing.append(text)
    return missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="a Chromium binary (no browser download)")
    parser.add_argument("--materialize", action="store_true", help='also click "Materialize all" (starts a run)')
    args = parser.parse_args()
    url = args.url.rstrip("/")
    results: list[tuple[str, bool, str]] = []

    def check(name: str, path: str, texts: tuple[str, ...], extra: Callable[[Page], str] | None = None) -> None:
        page.goto(f"{url}{path}", wait_until="domcontentloaded")
        missing = _shows(page, *texts)
        note = extra(page) if extra and not missing else ""
        results.append((name, not missing, f"missing {missing}" if missing else note or f"saw {list(texts)}"))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, headless=True)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        check("asset graph loads", "/asset-groups", ("golden_customers", "customer_360", "hubspot_contacts"))
        check(
            "golden_customers metadata",
            "/assets/golden_customers",
            ("golden_persons", "candidates_open", "auto_merge_rate", "prior_match_probability"),
        )
        check("match_candidates: open pairs as a table", "/assets/match_candidates", ("open_pairs", "not merged"))
        check("checks on golden_customers", "/assets/golden_customers?view=checks", ("duplicates",))
        check("checks on customer_360", "/assets/customer_360?view=checks", ("double_billing",))
        check("column schema of customer_360", "/assets/customer_360", ("golden_customer_id", "name_lc"))
        check("column schema of an ingestion stream", "/assets/hubspot_contacts", ("properties.email",))
        check("freshness of an ingestion stream", "/assets/hubspot_contacts", ("Freshness",))

        if args.materialize:
            before = _run_ids(url)
            page.goto(f"{url}/asset-groups", wait_until="domcontentloaded")
            button = page.get_by_role("button", name="Materialize all")
            button.wait_for(state="visible", timeout=TIMEOUT_MS)
            button.click()
            deadline, started = time.monotonic() + 60, set()
            while time.monotonic() < deadline and not started:
                time.sleep(2)
                started = _run_ids(url) - before
            config_asked = page.get_by_text("Launchpad", exact=False).count() > 0
            ok = bool(started) and not config_asked
            note = f"run {sorted(started)[0][:8]} started" if started else "no run started"
            results.append(('"Materialize all" starts a run without config', ok, note))

        results.append(("no JavaScript errors", not errors, "; ".join(errors[:3]) or "none"))
        browser.close()

    for name, ok, note in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {note}")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
