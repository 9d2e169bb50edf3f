"""Two onboarding attempts for one deal starting at once (a retry beside the sensor's run) leave one Asana project
and fail with no IntegrityError: the deal is claimed in the hub store before any write, the other attempt waits
and then finds what the first created. Asana and HubSpot are the sandbox over HTTP; both store backends."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from customer_hub.automation.onboarding import OnboardingError, OnboardingFlow
from customer_hub.automation.settings import OnboardingSettings
from customer_hub.sandbox import SANDBOX_IDS, start_sandbox
from customer_hub.store import onboarding_store
from customer_hub_tests.automation.fakes import FakeQuickBooks
from customer_hub_tests.spokes.conftest import connector_for

SETTINGS = OnboardingSettings(
    asana_template_gid=SANDBOX_IDS["asana_onboarding_template_gid"], asana_team_gid=SANDBOX_IDS["asana_team_gid"]
)


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox(scale=0.2) as server:
        yield server


class SlowToCreate:
    """The sandbox's Asana, with a pause between looking for the project and creating it: the window in which two
    attempts that both found nothing would both create."""

    def __init__(self, asana):
        self.asana = asana

    def find_project(self, marker):
        found = self.asana.find_project(marker)
        time.sleep(0.3)
        return found

    def instantiate_template(self, *args, **kwargs):
        return self.asana.instantiate_template(*args, **kwargs)


def _closed_won_deal(sandbox, taken: set[str]) -> str:
    hubspot = connector_for(sandbox, "hubspot")
    deals = next(iter(hubspot.read_full("deals").pages)).records
    deal_id = next(
        str(d["id"]) for d in deals if d["properties"]["dealstage"] != "closedwon" and str(d["id"]) not in taken
    )
    requests.post(f"{sandbox.url}/_sandbox/deals/{deal_id}/close_won", timeout=10).raise_for_status()
    taken.add(deal_id)
    return deal_id


_TAKEN: set[str] = set()


def _flow(sandbox, engine, quickbooks, run_id: str) -> OnboardingFlow:
    return OnboardingFlow(
        engine=engine,
        hubspot=connector_for(sandbox, "hubspot"),
        asana=SlowToCreate(connector_for(sandbox, "asana")),
        quickbooks=quickbooks,
        settings=SETTINGS,
        refresh_customer=lambda deal: None,
        run_id=run_id,
        claim_poll_seconds=0.05,
    )


def test_two_first_attempts_at_once_create_one_project(sandbox, hub_engine):
    deal_id = _closed_won_deal(sandbox, _TAKEN)
    quickbooks = FakeQuickBooks()
    flows = [_flow(sandbox, hub_engine, quickbooks, run_id) for run_id in ("run-a", "run-b")]
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def attempt(flow: OnboardingFlow) -> None:
        start.wait()
        try:
            outcomes[flow.owner] = flow.run(deal_id)
        except Exception as error:  # noqa: BLE001 - the test reports what each attempt ended with
            outcomes[flow.owner] = error

    threads = [threading.Thread(target=attempt, args=(flow,)) for flow in flows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(outcome, dict) and outcome["status"] == "done" for outcome in outcomes.values()), outcomes
    projects = [p for p in sandbox.state.writes()["asana_projects"] if p["name"].endswith(f"[deal {deal_id}]")]
    assert len(projects) == 1 and len(quickbooks.invoices) == 1
    flow_row = onboarding_store.read_flow(hub_engine, deal_id)
    assert flow_row["attempts"] == 2 and flow_row["asana_project_gid"] == projects[0]["gid"]


def test_a_claim_held_elsewhere_stops_the_attempt_cleanly_and_lapses(hub_engine):
    now = datetime.now(UTC)
    assert onboarding_store.claim(hub_engine, "d1", "run-a", now, timedelta(minutes=10)) is None
    assert onboarding_store.claim(hub_engine, "d1", "run-b", now, timedelta(minutes=10)) == "run-a"
    assert onboarding_store.claim(hub_engine, "d1", "run-a", now, timedelta(minutes=10)) is None  # its own: renewed

    flow = OnboardingFlow(
        engine=hub_engine, hubspot=None, asana=None, quickbooks=None, settings=SETTINGS,
        refresh_customer=lambda deal: None, run_id="run-b", claim_wait_seconds=0.2, claim_poll_seconds=0.05,
    )  # fmt: skip
    busy = "being onboarded by run-a; this attempt stopped without writing"
    with pytest.raises(OnboardingError, match=busy), flow._claimed("d1"):
        pass

    later = now + timedelta(minutes=11)  # run-a was killed: its claim lapses
    assert onboarding_store.claim(hub_engine, "d1", "run-b", later, timedelta(minutes=10)) is None
