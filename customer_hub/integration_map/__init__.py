"""The integration map: the hub, each tool, what flows where and who owns which field, drawn from hub.yaml and the
Dagster definitions, so it is current whenever either changes."""

from customer_hub.integration_map.facts import DefinitionFacts, code_location_facts, facts_from_repository
from customer_hub.integration_map.model import IntegrationMap, build_map
from customer_hub.integration_map.render import FORMATS, GraphvizMissing, render

__all__ = [
    "FORMATS",
    "DefinitionFacts",
    "GraphvizMissing",
    "IntegrationMap",
    "build_map",
    "code_location_facts",
    "facts_from_repository",
    "render",
]
