"""The map of the running hub: hub.yaml, the Dagster definitions and the hub store's figures, and its files.

Shared by the `integration_map` asset, `customer-hub map` and the monthly export, so all three show one map.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from customer_hub.config import HubConfig
from customer_hub.integration_map.facts import DefinitionFacts
from customer_hub.integration_map.model import IntegrationMap, build_map
from customer_hub.integration_map.render import GraphvizMissing, render
from customer_hub.inventory import inventory_rows

FILE_STEM = "integration_map"


def current_map(
    config: HubConfig, engine: Engine, facts: DefinitionFacts, now: datetime | None = None
) -> IntegrationMap:
    """The map as of now: configuration and wiring with each tool's records and last sync from the store."""
    return build_map(config, facts, inventory_rows(config, engine), now or datetime.now(UTC))


def map_folder(config: HubConfig) -> Path:
    """Where the asset keeps the map's files: `<data folder>/integration_map/`."""
    return config.data_dir / FILE_STEM


@dataclass(frozen=True)
class MapFiles:
    """The files written; `drawing_skipped` says why there is no SVG and HTML (Graphviz missing)."""

    markdown: Path
    svg: Path | None
    html: Path | None
    drawing_skipped: str | None


def _write(path: Path, text: str) -> Path:
    """Replace the file whole: a reader never sees half a map."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path


def write_map(chart: IntegrationMap, folder: Path) -> MapFiles:
    """integration_map.md always; .svg and .html where Graphviz can draw them."""
    folder.mkdir(parents=True, exist_ok=True)
    markdown = _write(folder / f"{FILE_STEM}.md", render(chart, "md"))
    try:
        svg = _write(folder / f"{FILE_STEM}.svg", render(chart, "svg"))
        html = _write(folder / f"{FILE_STEM}.html", render(chart, "html"))
    except GraphvizMissing as missing:
        for stale in (folder / f"{FILE_STEM}.svg", folder / f"{FILE_STEM}.html"):
            stale.unlink(missing_ok=True)  # an older drawing would no longer match the map
        return MapFiles(markdown, None, None, str(missing))
    return MapFiles(markdown, svg, html, None)
