"""Asana: onboarding projects per customer (many from the template) and a few internal ones."""

import random

from customer_hub.sandbox.clock import BASE_TIME, iso_date, iso_seconds
from customer_hub.sandbox.ids import SANDBOX_IDS
from customer_hub.sandbox.messiness import company_name_variant
from customer_hub.sandbox.seeding.common import IdSequence, Seeded, moment_after
from customer_hub.sandbox.seeding.sheets import onboarding_candidates
from customer_hub.sandbox.store import Record, Stream
from customer_hub.sandbox.vocabulary import CSM_NAMES
from customer_hub.sandbox.world import Customer, World

WORKSPACE = {"gid": SANDBOX_IDS["asana_workspace_gid"], "resource_type": "workspace", "name": "Customer Hub Demo"}
TEAM = {"gid": SANDBOX_IDS["asana_team_gid"], "resource_type": "team", "name": "Customer Success"}
TEMPLATE = {
    "gid": SANDBOX_IDS["asana_onboarding_template_gid"],
    "resource_type": "project_template",
    "name": "Customer onboarding",
}
OWNERS = [
    {"gid": str(1200000000000100 + index), "resource_type": "user", "name": name}
    for index, name in enumerate(CSM_NAMES)
]
DOMAIN_FIELD_GID = "1200000000000011"
INTERNAL_PROJECTS = (
    "Q3 roadmap",
    "Website refresh",
    "Support rota",
    "Pricing review",
    "Hiring: CSM",
    "Quarterly business reviews",
    "Churn interviews",
    "Partner program",
)


def status_update(gid: str, status_type: str, epoch_s: float) -> Record:
    """The compact status update a project names as its `current_status_update`."""
    return {
        "gid": gid,
        "resource_type": "status_update",
        "resource_subtype": "project_status_update",
        "title": f"{status_type.replace('_', ' ').capitalize()}: {iso_date(epoch_s)}",
        "status_type": status_type,
    }


def new_project(
    gid: str,
    name: str,
    created: int,
    modified: int,
    owner: Record,
    notes: str,
    from_template: bool,
    domain: str | None,
    archived: bool,
) -> Record:
    """The full Asana project record; list endpoints show the compact subset unless opt_fields ask for more."""
    return {
        "gid": gid,
        "resource_type": "project",
        "name": name,
        "archived": archived,
        "color": "light-green",
        "completed": archived,
        "completed_at": iso_seconds(modified) if archived else None,
        "completed_by": None,
        "created_at": iso_seconds(created),
        "modified_at": iso_seconds(modified),
        "current_status": None,
        "current_status_update": None if archived else status_update(f"{gid}01", "on_track", modified),
        "default_view": "list",
        "due_on": iso_date(created + 60 * 86400),
        "start_on": iso_date(created),
        "notes": notes,
        "html_notes": f"<body>{notes}</body>",
        "public": False,
        "privacy_setting": "public_to_workspace",
        "owner": owner,
        "team": TEAM,
        "workspace": WORKSPACE,
        "followers": [owner],
        "members": [owner],
        "permalink_url": f"https://app.asana.com/0/{gid}/list",
        "created_from_template": TEMPLATE if from_template else None,
        "custom_fields": [
            {
                "gid": DOMAIN_FIELD_GID,
                "resource_type": "custom_field",
                "name": "Customer domain",
                "type": "text",
                "resource_subtype": "text",
                "text_value": domain,
                "display_value": domain,
                "enabled": True,
            }
        ],
    }


def seed_asana(seeded: Seeded, world: World, seed: int) -> None:
    """About 300 projects per 2,000 customers; ~60% were instantiated from the onboarding template."""
    rng = random.Random(f"{seed}:asana")
    projects = seeded.stream("asana", "projects", numeric_ids=True)
    gids = IdSequence(rng, 1205000000000001, 40)
    seeded.sequences[("asana", "projects")] = gids
    target = round(300 * len(world.customers) / 2000)
    internal = max(1, target // 12)
    overlap = onboarding_candidates(world, random.Random(f"{seed}:onboarding"), target)
    customers: list[Customer] = overlap[: int(len(overlap) * 0.75)]
    chosen = {c.key for c in customers}
    extra = [c for c in world.customers[1:] if c.key not in chosen and c.status == "active"]
    rng.shuffle(extra)
    customers += extra[: max(0, target - internal - len(customers))]
    entries: list[tuple[int, str | None, str, str, str | None, bool]] = []
    for customer in customers:
        created = moment_after(rng, customer.since, 30)
        if customer is world.acme:
            name, template = "Acme Corp – Onboarding", True
        else:
            display = (
                company_name_variant(rng, customer.stem, customer.suffix) if customer.is_company else customer.stem
            )
            name = rng.choice(
                (f"{display} – Onboarding", f"Onboarding: {display}", f"[Impl] {display}", f"{display} onboarding")
            )
            template = rng.random() < 0.6
        contact = customer.people[0].email or ""
        notes = rng.choice((f"Champion: {contact}", f"Kickoff with {customer.people[0].full_name}", "", contact))
        entries.append((created, customer.key, name, notes, customer.domain, template))
    for index in range(internal):
        created = BASE_TIME - rng.randrange(30, 700) * 86400
        entries.append(
            (created, None, rng.choice(INTERNAL_PROJECTS) + (f" {index}" if index >= 8 else ""), "", None, False)
        )
    for created, customer_key, name, notes, domain, template in sorted(entries, key=lambda e: (e[0], e[2])):
        modified = moment_after(rng, created, 200)
        gid = gids.next()
        archived = modified < BASE_TIME - 200 * 86400 and rng.random() < 0.5
        record = new_project(
            gid,
            name,
            created,
            modified,
            rng.choice(OWNERS),
            notes,
            template,
            domain if template and rng.random() < 0.8 else None,
            archived,
        )
        projects.add(gid, record, modified * 1000)
        if customer_key:
            seeded.truth.add("asana", "projects", gid, customer_key)
    _patch_project(projects)


def _patch_project(projects: Stream) -> None:
    """The integration team's project the schema-change tickets go to, at a fixed gid (hub.yaml names it)."""
    created = BASE_TIME - 400 * 86400
    gid = SANDBOX_IDS["asana_patch_project_gid"]
    notes = "Schema changes in the connected tools, one task each; patched in the weekly integration window."
    record = new_project(gid, "Integration patches", created, created, OWNERS[0], notes, False, None, False)
    projects.add(gid, record, created * 1000)
