"""What the Dagster definitions say about the hub: which assets, schedules and sensors are really wired.

hub.yaml says what is configured; the definitions say what runs (a disabled tool has no assets, a write-back
target switched off has no `<tool>_writeback` asset, onboarding needs HubSpot, Asana and QuickBooks). The map
takes both, so a tool listed but not wired shows as such instead of as a flow that does not happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DefinitionFacts:
    """Asset key -> its group; schedule name -> its cron; the sensor names."""

    assets: dict[str, str] = field(default_factory=dict)
    schedules: dict[str, str] = field(default_factory=dict)
    sensors: frozenset[str] = frozenset()

    def has_asset(self, key: str) -> bool:
        return key in self.assets


def facts_from_repository(repository: Any) -> DefinitionFacts:
    """The facts of a Dagster `RepositoryDefinition` (`Definitions.get_repository_def()`, or an asset's
    `context.repository_def`)."""
    graph = repository.asset_graph
    return DefinitionFacts(
        assets={key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()},
        schedules={schedule.name: str(schedule.cron_schedule) for schedule in repository.schedule_defs},
        sensors=frozenset(sensor.name for sensor in repository.sensor_defs),
    )


def code_location_facts() -> DefinitionFacts:
    """The facts of this code location's one `Definitions` (`customer_hub.definitions`): what the daemon and the UI
    load, whichever job or command asks (a run's context does not always carry its repository)."""
    from customer_hub.definitions import defs

    return facts_from_repository(defs.get_repository_def())
