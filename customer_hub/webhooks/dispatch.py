"""One sensor tick's worth of processing: stored events → onboarding and sync requests, events marked.

Called by the Dagster sensor (which turns the result into run requests) and by the demo directly. The tick number
is the sensor cursor: events dispatched by a tick become `processed` once a later tick starts from that cursor,
which Dagster commits only with the tick's run requests; a tick that died before is re-planned, with the same
run keys, so its runs are requested exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from customer_hub.store import onboarding_store, webhook_store
from customer_hub.webhooks.work import plan_work, sync_run_key


@dataclass(frozen=True)
class OnboardRequest:
    deal_id: str
    closed_at: datetime | None


@dataclass(frozen=True)
class SyncRequest:
    tool: str
    obj: str
    run_key: str
    events: int


@dataclass
class Dispatch:
    """What one tick asks for; `tick` is the cursor to store with it."""

    tick: int
    events: int = 0
    onboard: list[OnboardRequest] = field(default_factory=list)
    syncs: list[SyncRequest] = field(default_factory=list)

    @property
    def requested(self) -> bool:
        return bool(self.onboard or self.syncs)


def dispatch(
    engine: Engine,
    committed_tick: int,
    streams: set[tuple[str, str]],
    onboarding: bool,
    now: datetime,
    *,
    limit: int = 1000,
    trigger: str = "sensor",
) -> Dispatch:
    """Plan the pending events into requests, record them on the events, count the tick in the health log."""
    webhook_store.confirm_dispatched(engine, committed_tick, now)
    events = webhook_store.pending_events(engine, committed_tick, limit)
    if not events:
        return Dispatch(tick=committed_tick)
    plan = plan_work(events, streams, onboarding)
    occurred = {event["id"]: event["occurred_at"] or event["received_at"] for event in events}
    done = onboarding_store.finished_deal_ids(engine, plan.onboard)
    result = Dispatch(tick=committed_tick + 1, events=len(events))
    run_keys: dict[int, list[str]] = {}
    for deal_id, rows in plan.onboard.items():
        if deal_id in done:
            plan.ignored.update({row: f"deal {deal_id} is already onboarded" for row in rows})
            continue
        closed_at = min(occurred[row] for row in rows)
        onboarding_store.record_detected(
            engine, deal_id, deal_name=None, amount=None, deal_closed_at=closed_at, detected_at=now
        )
        result.onboard.append(OnboardRequest(deal_id, closed_at))
        for row in rows:
            run_keys.setdefault(row, []).append(f"onboarding:{deal_id}")
    for (tool, obj), rows in sorted(plan.syncs.items()):
        key = sync_run_key(tool, obj, rows)
        result.syncs.append(SyncRequest(tool, obj, key, len(rows)))
        for row in rows:
            run_keys.setdefault(row, []).append(key)
    webhook_store.mark_dispatched(engine, {row: " ".join(keys) for row, keys in run_keys.items()}, result.tick)
    webhook_store.mark_ignored(engine, {row: why for row, why in plan.ignored.items() if row not in run_keys}, now)
    webhook_store.record_dispatch(
        engine, trigger, now, datetime.now(now.tzinfo), len(events), len(result.onboard) + len(result.syncs)
    )
    if not result.requested:
        result.tick = committed_tick
    return result
