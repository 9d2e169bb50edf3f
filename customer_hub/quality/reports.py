"""The quality findings read straight from the hub store: what the checks, the metrics and the digest share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from customer_hub.golden import review
from customer_hub.golden.duplicates import ACCOUNT_OBJECTS, PERSON_OBJECTS
from customer_hub.quality.drift import Drift, stream_drift
from customer_hub.quality.duplicates import candidate_offenders, double_billed, within_tool_duplicates
from customer_hub.quality.settings import QualitySettings
from customer_hub.store import quality_store


def duplicate_tally(
    engine: Engine, settings: QualitySettings, limit: int | None
) -> tuple[dict[str, tuple[int, int]], list[dict[str, Any]]]:
    """Within-tool duplicates of the `duplicate_objects`: per tool (groups, extra records), and each tool's first
    `limit` groups (every group when None), largest first. Only the groups' own records are read."""
    wanted = {(tool, obj) for tool, objects in settings.duplicate_objects.items() for obj in objects}
    counts, xref, attributes = quality_store.duplicate_groups_tally(
        engine, ACCOUNT_OBJECTS & wanted, PERSON_OBJECTS & wanted, limit
    )
    return counts, within_tool_duplicates(xref, attributes, settings.duplicate_objects)


def duplicate_groups(engine: Engine, settings: QualitySettings) -> list[dict[str, Any]]:
    """Records of one tool+object resolved to one golden customer or person, largest group first."""
    return duplicate_tally(engine, settings, None)[1]


def open_pairs(engine: Engine, auto_merge_threshold: float) -> list[dict[str, Any]]:
    """Likely duplicates across tools waiting for a steward, best score first, each saying why it was not merged
    (below `auto_merge_threshold`, or refused by a guard)."""
    return candidate_offenders(review.open_pairs(engine, auto_merge_threshold))


def double_billing_report(engine: Engine) -> list[dict[str, Any]]:
    """Golden customers paying twice for one product, from the customer 360 views the golden layer built."""
    return double_billed(quality_store.double_billed_views(engine))


def schema_drifts(
    engine: Engine, streams: list[tuple[str, str]] | None = None, ignore: Sequence[str] = ()
) -> list[Drift]:
    """Drift of every stream with a schema snapshot (or of the given (tool, object) streams)."""
    snapshots = quality_store.schema_snapshots_of(engine)
    accepted = quality_store.accepted_schemas(engine)
    drifts = []
    for tool, obj in sorted(snapshots if streams is None else streams):
        history = snapshots.get((tool, obj), [])
        if not history:
            continue
        changed = set(history[-1]["fields"]) ^ set(history[0]["fields"])
        samples = quality_store.payload_samples(engine, tool, obj) if changed else []
        drift = stream_drift(tool, obj, history, accepted.get((tool, obj)), samples, ignore)
        if drift is not None:
            drifts.append(drift)
    return drifts
