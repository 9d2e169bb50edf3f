"""The integration map as a page: Markdown with a Mermaid diagram, an SVG drawn by Graphviz, or HTML.

The diagram is laid out by a diagramming library, never by hand: Mermaid text (GitHub, GitLab and most Markdown
viewers draw it; the Dagster UI shows its source, as its Markdown has no Mermaid) or Graphviz's `dot` through the
`graphviz` package for SVG and HTML. `dot` is a program, not a Python package: without it `svg` and `html` fail
with one line saying how to install it, and `md` still works.
"""

from __future__ import annotations

import shutil
from datetime import datetime

from customer_hub.integration_map.model import HUB, SLACK, Flow, IntegrationMap, ToolNode

FORMATS = ("md", "svg", "html")
_STYLE = {
    "read": {"mermaid": "-->", "color": "#1f4e79", "style": "solid"},
    "webhook": {"mermaid": "-->", "color": "#2e75b6", "style": "solid"},
    "onboarding": {"mermaid": "==>", "color": "#38761d", "style": "bold"},
    "writeback": {"mermaid": "-->", "color": "#b45f06", "style": "solid"},
    "alert": {"mermaid": "-->", "color": "#674ea7", "style": "solid"},
}
_INSTALL = "install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz) or use --format md"


class GraphvizMissing(OSError):
    """`svg` or `html` was asked for where Graphviz cannot draw; the message says what to install."""


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _rows(tool: ToolNode) -> str:
    return " · ".join(f"{obj} {count:,}" for obj, count in tool.objects.items())


def _tool_lines(tool: ToolNode) -> tuple[str, ...]:
    """What a tool's box says, line by line: name, owner, cadence, records per object, last sync and run status."""
    status = f"last sync {_when(tool.last_sync_at)}" + (f" · {tool.last_run_status}" if tool.last_run_status else "")
    return (tool.name, tool.owner, tool.cadence + ("" if tool.wired else " · disabled"), _rows(tool), status)


def _state(flow: Flow) -> str:
    return "on" if flow.active else "off"


def _cell(value: object) -> str:
    return str(value).replace("|", "/").replace("\n", " ")


# --- Markdown + Mermaid -----------------------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: `#` and quotes as Mermaid's entity codes, so a name can neither end the
    label early nor be read as an entity (a channel `#ops;`)."""
    return text.replace("#", "#35;").replace('"', "#quot;")


def mermaid(chart: IntegrationMap) -> str:
    """The map as a Mermaid flowchart, left to right: tools, the hub in the middle, Slack; dotted when off."""
    lines = ["flowchart LR", f'  {HUB}[["{_mermaid_text(chart.hub_name)}<br/>{_mermaid_text(chart.hub_owner)}"]]']
    for tool in chart.tools:
        lines.append(f'  {tool.tool}["{"<br/>".join(_mermaid_text(line) for line in _tool_lines(tool))}"]')
    if chart.alert_channel:
        lines.append(f'  {SLACK}>"{_mermaid_text(chart.name_of(SLACK))}"]')
    for flow in chart.flows:
        arrow = _STYLE[flow.kind]["mermaid"] if flow.active else "-.->"
        label = _mermaid_text(flow.label + ("" if flow.active else " (off)"))
        lines.append(f'  {flow.source} {arrow}|"{label}"| {flow.target}')
    off = [tool.tool for tool in chart.tools if not tool.wired]
    if off:
        lines.append("  classDef off stroke-dasharray: 5 5,color:#888")
        lines.append(f"  class {','.join(off)} off")
    return "\n".join(lines)


def _tables(chart: IntegrationMap) -> list[str]:
    lines = ["## Tools", "", "| tool | owner | cadence | objects (records in the hub) | last sync | last run |"]
    lines.append("|---|---|---|---|---|---|")
    for tool in chart.tools:
        cadence = tool.cadence + (f" (`{tool.schedule}`)" if tool.schedule else "")
        cadence += "" if tool.wired else ", disabled"
        lines.append(
            f"| {tool.name} | {tool.owner} | {cadence} | {_rows(tool)} | {_when(tool.last_sync_at)} | "
            f"{tool.last_run_status or '-'} |"
        )
    lines += ["", "## Data flows", "", "| from | to | what | detail | state |", "|---|---|---|---|---|"]
    for flow in chart.flows:
        lines.append(
            f"| {_cell(chart.name_of(flow.source))} | {_cell(chart.name_of(flow.target))} | {_cell(flow.label)} | "
            f"{_cell(flow.detail)} | {_state(flow)} |"
        )
    lines += ["", "## Field ownership", "", "| field | owned by | written back to |", "|---|---|---|"]
    for row in chart.fields:
        lines.append(f"| {row.field} | {', '.join(row.owners)} | {_cell(', '.join(row.written_to) or '-')} |")
    lines += ["", "## Inside the hub", "", "| group | assets |", "|---|---|"]
    lines += [f"| {group} | {', '.join(keys)} |" for group, keys in chart.inside_hub.items()]
    return lines


def _heading(chart: IntegrationMap) -> list[str]:
    counts = chart.definitions
    return [
        f"# Integration map: {chart.hub_name}",
        "",
        f"Source of truth: the hub ({chart.hub_owner}). Generated {_when(chart.generated_at)} from "
        f"`{chart.config_file}` and the Dagster definitions ({counts['assets']} assets, {counts['schedules']} "
        f"schedules, {counts['sensors']} sensors): `customer-hub map` or the `integration_map` asset draw it again. "
        "Dotted arrows are configured but switched off.",
        "",
    ]


def markdown(chart: IntegrationMap) -> str:
    """The whole page: the Mermaid diagram, then the tools, the flows and the field ownership as tables."""
    return "\n".join([*_heading(chart), "```mermaid", mermaid(chart), "```", "", *_tables(chart)]) + "\n"


# --- Graphviz: SVG and HTML --------------------------------------------------------------------------------------


def _digraph(chart: IntegrationMap):
    try:
        import graphviz
    except ImportError:
        raise GraphvizMissing(
            "the graphviz Python package is not installed: run `make install` (it is pinned in requirements.lock)"
        ) from None
    graph = graphviz.Digraph(
        "integration_map",
        graph_attr={"rankdir": "LR", "fontname": "Helvetica", "nodesep": "0.3", "ranksep": "1.6"},
        node_attr={"shape": "box", "style": "rounded,filled", "fillcolor": "#f3f6fa", "fontname": "Helvetica"},
        edge_attr={"fontname": "Helvetica", "fontsize": "10"},
    )
    graph.node(HUB, f"{chart.hub_name}\\n{chart.hub_owner}", shape="box3d", fillcolor="#fff2cc")
    off = {"style": "rounded,dashed", "fontcolor": "#888888"}
    for tool in chart.tools:
        graph.node(tool.tool, "\\n".join(_tool_lines(tool)), **({} if tool.wired else off))
    if chart.alert_channel:
        graph.node(SLACK, chart.name_of(SLACK), shape="note", fillcolor="#ede7f6")
    for flow in chart.flows:
        style = _STYLE[flow.kind]
        # every tool is laid out left of the hub (one column of spokes); a flow into a tool points back at it
        outward = flow.source == HUB and flow.target != SLACK
        graph.edge(
            flow.target if outward else flow.source,
            flow.source if outward else flow.target,
            dir="back" if outward else "forward",
            label=flow.label + ("" if flow.active else " (off)"),
            color=style["color"] if flow.active else "#999999",
            fontcolor=style["color"] if flow.active else "#999999",
            style=style["style"] if flow.active else "dashed",
        )
    return graph


def require_dot() -> None:
    """Fail with one line when Graphviz's `dot` program is not on PATH (before any other work is done)."""
    if shutil.which("dot") is None:
        raise GraphvizMissing(f"drawing the map needs Graphviz's `dot` program, which is not on PATH: {_INSTALL}")


def svg(chart: IntegrationMap) -> str:
    """The map drawn by Graphviz's `dot`."""
    require_dot()
    return _digraph(chart).pipe(format="svg", encoding="utf-8")


def html(chart: IntegrationMap) -> str:
    """One self-contained page: the SVG diagram and the tables (rendered by markdown-it, text escaped)."""
    from markdown_it import MarkdownIt

    drawing = svg(chart)
    drawing = drawing[drawing.index("<svg") :]  # inline: no XML prolog inside HTML
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    heading = renderer.render("\n".join(_heading(chart)))
    tables = renderer.render("\n".join(_tables(chart)))
    title = chart.hub_name.replace("&", "&amp;").replace("<", "&lt;")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Integration map: {title}</title>"
        "<style>body{font-family:Helvetica,Arial,sans-serif;margin:2em;max-width:1400px}"
        "table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:left;vertical-align:top}svg{max-width:100%;height:auto}</style></head><body>\n"
        f"{heading}{drawing}\n{tables}</body></html>\n"
    )


def render(chart: IntegrationMap, file_format: str) -> str:
    """The map in `md`, `svg` or `html`."""
    renderers = {"md": markdown, "svg": svg, "html": html}
    if file_format not in renderers:
        raise ValueError(f"map format {file_format!r}: use one of {', '.join(FORMATS)}")
    return renderers[file_format](chart)
