"""Schema changes as units of work: one per field, stable keys, ticket text, reconciliation and digest lines."""

from datetime import UTC, datetime, timedelta

from customer_hub.change_control.changes import (
    NAME_LIMIT,
    SchemaChange,
    changes_of,
    digest_lines,
    find_ticket,
    reconcile,
    ticket_name,
    ticket_notes,
)
from customer_hub.quality.drift import Drift

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _drift() -> Drift:
    return Drift(
        "hubspot",
        "contacts",
        added=["properties.loyalty_tier"],
        removed=["properties.fax"],
        renamed=[{"from": "properties.email", "to": "properties.email_address", "score": 0.9, "basis": "name"}],
    )


def test_a_drift_becomes_one_change_per_field_with_a_key_that_is_the_same_on_every_run():
    changes = changes_of([_drift()])

    assert [(c.field, c.kind, c.summary) for c in changes] == [
        ("properties.email", "renamed", "renamed properties.email → properties.email_address"),
        ("properties.loyalty_tier", "added", "added properties.loyalty_tier"),
        ("properties.fax", "removed", "removed properties.fax"),
    ]
    assert [c.key for c in changes] == [c.key for c in changes_of([_drift()])]
    assert len({c.key for c in changes}) == 3
    other_stream = SchemaChange("intercom", "contacts", "properties.email", "renamed", "")
    assert other_stream.key != changes[0].key  # a key is tool + object + field


def test_reconcile_opens_new_changes_resolves_gone_ones_and_reopens_returning_ones():
    email, tier, fax = changes_of([_drift()])
    tracked = [
        {"change_key": email.key, "status": "open"},
        {"change_key": tier.key, "status": "resolved"},
        {"change_key": "gone0000000000aa", "status": "open"},
        {"change_key": "old00000000000bb", "status": "resolved"},
    ]

    found = reconcile([email, tier, fax], tracked)

    assert found.opened == [fax] and found.reopened == [tier] and found.seen == [email]
    assert found.resolved == ["gone0000000000aa"]


def test_ticket_name_and_notes_carry_the_marker_and_a_long_name_is_cut_before_it():
    change = {**changes_of([_drift()])[0].row(), "first_seen_at": NOW}
    name = ticket_name(change)
    notes = ticket_notes(change, "sales-ops@example.com", "http://dagster:3000/")

    assert name.startswith("Schema change: hubspot contacts: renamed properties.email")
    assert name.endswith(f"[schema-change {change['change_key']}]")
    assert f"[schema-change {change['change_key']}]" in notes.splitlines()[-1]
    assert "Owner: sales-ops@example.com" in notes and "customer-hub changes accept hubspot contacts" in notes
    assert "http://dagster:3000/assets/hubspot_contacts" in notes
    long = {**change, "summary": "added " + "x" * 400}
    assert len(ticket_name(long)) == NAME_LIMIT and ticket_name(long).endswith(f"{change['change_key']}]")


def test_a_ticket_is_found_by_its_marker_in_the_name_or_in_the_notes():
    marker = "[schema-change 0123456789abcdef]"
    tasks = [
        {"gid": "1", "name": "Schema change: hubspot contacts", "notes": "someone removed the marker"},
        {"gid": "2", "name": "Renamed by a person", "notes": f"...\ncustomer-hub change id: {marker}"},
    ]
    assert find_ticket(tasks, marker)["gid"] == "2"
    assert find_ticket(tasks, "[schema-change ffffffffffffffff]") is None


def test_digest_lines_give_age_owner_and_ticket_state_oldest_first():
    ticket = {"ticket_gid": "9", "ticket_url": "https://app.asana.com/0/1/9", "ticket_state": "open"}
    none = {"ticket_gid": None, "ticket_url": None, "ticket_state": None, "ticket_error": "asana: timed out"}
    rows = [
        {"tool": "hubspot", "object": "contacts", "summary": "added a", "first_seen_at": NOW - timedelta(days=2),
         "ticket_error": None, **ticket},
        {"tool": "sheets", "object": "implementations", "summary": "removed b",
         "first_seen_at": NOW - timedelta(days=9), **none},
    ]  # fmt: skip

    lines = digest_lines(rows, {"hubspot": "sales-ops@example.com"}, NOW)

    assert [line.age_days for line in lines] == [9, 2]
    assert lines[0].text() == (
        "sheets implementations: removed b · open 9 days · owner no owner in hub.yaml · no ticket yet "
        "(asana: timed out)"
    )
    assert lines[1].text().endswith("owner sales-ops@example.com · ticket open")
