"""Look at the Dagster UI of `make ui` in a headless browser and print what a newcomer would see.

Run `make demo`, then `make ui`, then, with Playwright's Python package and a Chromium installed (not part of the
project's dependencies; e.g. a separate venv with `pip install playwright` and the system's chromium):

    python benchmarks/ui_smoke.py --url http://127.0.0.1:3000 --chromium /usr/bin/chromium [--materialize]

It checks that the asset graph loads, that golden_customers and match_candidates show their metadata (the table
of open pairs), that the blocking checks and the column schemas show, and that freshness shows on an ingestion
asset. With `--materialize` it clicks "Materialize all", checks that a run starts without asking for config, waits
for it and reads the blocking checks' results. One line per check; exit 1 if any failed. Not a test: it needs a
running UI and a browser, so CI never runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request

from playwright.sync_api import Page, sync_playwright

TIMEOUT_MS = 60_000
RUN_TIMEOUT_S = 900
BLOCKING_CHECKS = {("golden_customers", "duplicates"), ("customer_360", "double_billing")}


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the local UI the caller names
        return json.loads(answer.read())["data"]


def runs(url: str) -> dict[str, str]:
    data = graphql(url, "{ runsOrError(limit: 50) { ... on Runs { results { runId status } } } }")
    return {run["runId"]: run["status"] for run in data["runsOrError"]["results"]}


def check_results(url: str, asset: str) -> dict[str, tuple[str, str | None]]:
    """Check name -> (status of its latest execution, severity) on one asset."""
    query = (
        "query($path: [String!]!) { assetNodes(assetKeys: [{path: $path}]) { assetChecksOrError { ... on "
        "AssetChecks { checks { name executionForLatestMaterialization { status evaluation { severity } } } } } } }"
    )
    checks = graphql(url, query, {"path": [asset]})["assetNodes"][0]["assetChecksOrError"]["checks"]
    result = {}
    for item in checks:
        execution = item["executionForLatestMaterialization"] or {}
        severity = (execution.get("evaluation") or {}).get("severity")
        result[item["name"]] = (execution.get("status") or "NOT EVALUATED", severity)
    return result


def visible(page: Page, *texts: str) -> list[str]:
    """The texts not visible on the page once it settles (empty: all shown)."""
    missing = []
    for text in texts:
        try:
            page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=TIMEOUT_MS)
        except Exception:  # noqa: BLE001 - a text that never shows is the finding, reported by the caller
            missing.append(text)
    return missing


def dismiss_welcome(page: Page) -> None:
    """The community dialog a fresh browser profile gets on its first visit."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(state="visible", timeout=5_000)
        skip.click()
    except Exception:  # noqa: BLE001 - no dialog: nothing to dismiss
        return


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="a Chromium binary (no browser download)")
    parser.add_argument("--materialize", action="store_true", help='also click "Materialize all" and wait for it')
    args = parser.parse_args()
    url = args.url.rstrip("/")
    results: list[tuple[str, bool, str]] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, headless=True)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        def shows(name: str, path: str, *texts: str) -> None:
            page.goto(f"{url}{path}", wait_until="domcontentloaded")
            missing = visible(page, *texts)
            results.append((name, not missing, f"missing {missing}" if missing else f"saw {list(texts)}"))

        page.goto(f"{url}/asset-groups", wait_until="domcontentloaded")
        dismiss_welcome(page)
        shows("global asset graph", "/asset-groups", "golden", "hubspot", "stripe", "quality", "Materialize all")
        shows(
            "golden group graph",
            "/locations/customer_hub/asset-groups/golden",
            "golden_customers",
            "match_candidates",
            "customer_360",
        )
        shows(
            "golden_customers metadata",
            "/assets/golden_customers",
            "golden_persons",
            "candidates_open",
            "prior_match_probability",
        )
        shows("match_candidates metadata", "/assets/match_candidates", "candidates_open", "open_pairs")
        page.get_by_text("[Show Markdown]").first.click()
        dialog = page.get_by_role("dialog")
        dialog.wait_for(state="visible", timeout=TIMEOUT_MS)
        table = dialog.inner_text()
        ok = "not merged" in table and "strongest evidence" in table
        results.append(("open pairs as a table", ok, table.splitlines()[1][:150] if ok else table[:150]))
        page.keyboard.press("Escape")
        shows("blocking check on golden_customers", "/assets/golden_customers?view=checks", "This is a blocking")
        shows("blocking check on customer_360", "/assets/customer_360?view=checks", "This is a blocking")
        shows("columns of customer_360", "/assets/customer_360", "Columns", "golden_customer_id", "name_lc")
        shows("columns of hubspot_contacts", "/assets/hubspot_contacts", "Columns", "properties.email")
        shows("freshness of hubspot_contacts", "/assets/hubspot_contacts", "Freshness policy")

        if args.materialize:
            before = runs(url)
            page.goto(f"{url}/asset-groups", wait_until="domcontentloaded")
            page.get_by_role("button", name="Materialize all").click()
            deadline, started = time.monotonic() + 60, []
            while time.monotonic() < deadline and not started:
                time.sleep(2)
                started = sorted(set(runs(url)) - set(before))
            asked = visible(page, "Launchpad") == []  # Dagster opens the launchpad when a run needs config
            note = f"run {started[0][:8]} started" if started else "no run started"
            results.append(('"Materialize all" starts a run without config', bool(started) and not asked, note))
            status = "NOT STARTED"
            while started and time.monotonic() < deadline + RUN_TIMEOUT_S:
                status = runs(url).get(started[0], "UNKNOWN")
                if status in ("SUCCESS", "FAILURE", "CANCELED"):
                    break
                time.sleep(5)
            results.append(("the run finishes", status == "SUCCESS", status))
            for asset, check in sorted(BLOCKING_CHECKS):
                state, severity = check_results(url, asset).get(check, ("MISSING", None))
                evaluated = state in ("SUCCEEDED", "FAILED")
                results.append((f"{asset} {check} evaluated", evaluated, f"{state} {severity or ''}".strip()))

        results.append(("no JavaScript errors", not errors, "; ".join(errors[:3]) or "none"))
        browser.close()

    for name, ok, note in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {note}")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
