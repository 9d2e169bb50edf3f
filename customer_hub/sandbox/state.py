"""Everything the sandbox knows: seeded records, live changes, faults, rate limits and what clients sent."""

import random
import threading
from typing import Any

from customer_hub.sandbox.clock import SandboxClock
from customer_hub.sandbox.faults import FaultBoard
from customer_hub.sandbox.google_oauth import GoogleTokens
from customer_hub.sandbox.ids import SANDBOX_IDS
from customer_hub.sandbox.lifecycle import is_gone
from customer_hub.sandbox.mutation import CHANGERS, close_won, mutate, touch_at_once
from customer_hub.sandbox.oauth import QuickBooksTokens
from customer_hub.sandbox.rate_limits import RateLimiter, RateSetting
from customer_hub.sandbox.seeding import seed_all
from customer_hub.sandbox.store import Record, Stream
from customer_hub.sandbox.webhooks import WebhookSender

DATA_STREAMS: tuple[tuple[str, str], ...] = tuple(CHANGERS)


class SandboxState:
    """The in-memory world behind the HTTP imitation; its methods mirror the `/_sandbox/` admin API.

    All access from request handlers happens under `lock`, so a threaded server sees consistent data.
    """

    def __init__(self, seed: int = 42, scale: float = 1.0, rate_limits: RateSetting = False) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.seed = seed
        self.scale = scale
        self.lock = threading.RLock()
        self.clock = SandboxClock()
        self.world, seeded = seed_all(seed, scale)
        self.truth = seeded.truth
        self.streams: dict[tuple[str, str], Stream] = seeded.streams
        self.streams[("stripe", "events")] = Stream()
        self.sequences = seeded.sequences
        self.extras = seeded.extras
        self.rng = random.Random(f"{seed}:live")
        self.faults = FaultBoard(seed)
        self._initial_rate_limits = rate_limits
        self.limiter = RateLimiter(rate_limits)
        self.quickbooks_tokens = QuickBooksTokens(SANDBOX_IDS["quickbooks_refresh_token"], seed)
        self.google_tokens = GoogleTokens(random.Random(f"{seed}:google-oauth"))
        self.hubspot_association_page = 500
        """Associations per id one v4 batch read page serves (HubSpot's is 500); tests lower it to see paging."""
        self.hubspot_search_cap = 10_000
        """Results one HubSpot search query may page through (HubSpot's is 10,000); tests lower it so a few dozen
        records take the path 10,000 records sharing one timestamp take."""
        self.idempotent_replies: dict[tuple[str, str], Any] = {}
        self.write_log: list[Record] = []  # values the write-back endpoints changed (sandbox/writes.py)
        self.slack_messages: list[Record] = []
        self.slack_rejected: list[Record] = []
        self.written: dict[str, list[Record]] = {
            "asana_projects": [],
            "quickbooks_invoices": [],
            "quickbooks_customers": [],
            "asana_tasks": [],
            "hubspot_contacts": [],
            "hubspot_companies": [],
            "stripe_customers": [],
            "intercom_contacts": [],
        }
        self.asana_tasks: dict[str, Record] = {}  # gid -> task, in creation order (change control's tickets)
        self.asana_task_gid = 1208000000000000
        """The last task gid given: Asana never gives a deleted task's gid to another."""
        self.asana_jobs: dict[str, Record] = {}
        self.asana_events: list[tuple[str, Record]] = []  # (project gid, event), oldest first
        self.asana_sync_tokens: dict[str, int] = {}  # token -> number of events seen when issued
        self.webhooks = WebhookSender()  # signed change announcements, off until a subscriber URL is set

    _PROCESS_BOUND = ("lock", "limiter", "webhooks")
    """What a saved sandbox does not keep (`customer_hub.sandbox.saved`): its lock, its rate windows and its webhook
    sender, whose receiver is given again when a sandbox starts."""

    def __getstate__(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if name not in self._PROCESS_BOUND}

    def __setstate__(self, saved: dict[str, Any]) -> None:
        self.__dict__.update(saved)
        self.lock = threading.RLock()
        self.limiter = RateLimiter(self._initial_rate_limits)
        self.webhooks = WebhookSender()

    def stream(self, tool: str, name: str) -> Stream:
        """One tool object's records."""
        return self.streams[(tool, name)]

    def counts(self) -> dict[str, dict[str, int]]:
        """Records per tool and object as the tool reports its totals (canceled included, HubSpot archive not)."""
        with self.lock:
            result: dict[str, dict[str, int]] = {}
            for tool, name in DATA_STREAMS:
                live = [record for record in self.stream(tool, name) if not is_gone(tool, record)]
                result.setdefault(tool, {})[name] = len(live)
            return result

    def mutate(
        self,
        fraction: float,
        tools: list[str] | None = None,
        create: int = 0,
        delete: int = 0,
        merge: int = 0,
        objects: list[str] | None = None,
        activity: int = 0,
    ) -> dict[str, dict[str, list[str]]]:
        """Change a share of every stream's records (and optionally add/remove/merge some, or add invoices and
        conversations of existing customers); returns ids per stream."""
        with self.lock:
            return mutate(self, fraction, tools, create, delete, merge, objects, activity)

    def touch_at_once(self, tool: str, name: str, count: int) -> tuple[int, list[str]]:
        """A bulk update (an import, a workflow) that changes `count` live records in one moment: they all carry one
        modification time. Returns that time (epoch ms) and the ids, in id order."""
        with self.lock:
            return touch_at_once(self, tool, name, count)

    def close_won(self, deal_id: str) -> Record:
        """Move a HubSpot deal to closed-won now (raises KeyError for an unknown deal)."""
        with self.lock:
            return close_won(self, deal_id)

    def set_faults(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Merge a fault configuration (see `customer_hub.sandbox.faults`); "rate_limits" switches limits."""
        with self.lock:
            settings = dict(spec)
            if "rate_limits" in settings:
                self.limiter.configure(settings.pop("rate_limits"))
            self.faults.configure(settings)
            return self.faults_snapshot()

    def clear_faults(self) -> None:
        """Switch every fault off and put rate limits back to how the sandbox was started."""
        with self.lock:
            self.faults.clear()
            self.limiter.configure(self._initial_rate_limits)

    def faults_snapshot(self) -> dict[str, Any]:
        """Active faults per tool and the rate limits in force."""
        with self.lock:
            return {"faults": self.faults.snapshot(), "rate_limits": self.limiter.limits()}

    def writes(self) -> dict[str, list[Record]]:
        """Records clients created through the API (Asana projects and tasks, QuickBooks invoices and customers,
        and the HubSpot, Stripe and Intercom records the write-back's upsert creates)."""
        with self.lock:
            return {kind: list(records) for kind, records in self.written.items()}

    def record_slack(self, message: Record, delivered: bool) -> None:
        """Keep a Slack message a client sent, delivered or refused."""
        with self.lock:
            (self.slack_messages if delivered else self.slack_rejected).append(message)

    def slack_log(self, clear: bool = False) -> dict[str, list[Record]]:
        """Slack messages delivered and refused so far (then forgotten when `clear`)."""
        with self.lock:
            log = {"messages": list(self.slack_messages), "rejected": list(self.slack_rejected)}
            if clear:
                self.slack_messages.clear()
                self.slack_rejected.clear()
            return log

    def next_id(self, tool: str, name: str) -> str:
        """The next id of a numeric-id stream, continuing the seeded sequence."""
        return self.sequences[(tool, name)].next()
