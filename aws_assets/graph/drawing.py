"""Draws a layered picture (`pictures.Picture`) as a PNG with networkx and matplotlib: one column per layer, left to
right, each node a labelled box coloured by its kind, each node placed near the nodes it points at so that few
edges cross."""

from __future__ import annotations

import io
from statistics import mean

import networkx as nx
from PIL import Image

from aws_assets.graph.pictures import Picture

COLOURS = {
    "everyone": "#f4a6a6", "internet": "#f4a6a6", "external account": "#fcd29f", "security group": "#fcd29f",
    "other lake account": "#a9cce3", "AWS service": "#b7e1b0", "identity provider": "#d7bde2", "role": "#e5e7e9",
    "instance": "#a9cce3", "database": "#d7bde2",
}
LINE_INCHES = 0.2  # a node's row: its label's lines, and a margin of one line
DPI = 96
# A picture is stored in the Dagster event log at every graph build: a palette this small keeps it a quarter the size.
PALETTE_COLOURS = 32


def positions(graph: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """x: the node's layer; y: rows from the top. The first layer is ordered by kind then label, each later one by
    the mean row of the nodes pointing at it (then label), so that few edges cross; columns are centred."""
    kinds = list(COLOURS)
    layers = sorted({data["layer"] for _, data in graph.nodes(data=True)})
    rows: dict[str, float] = {}
    for layer in layers:
        nodes = sorted((node for node, data in graph.nodes(data=True) if data["layer"] == layer),
                       key=lambda node: (mean([rows[p] for p in graph.predecessors(node) if p in rows] or [0]),
                                         kinds.index(graph.nodes[node]["kind"]), graph.nodes[node]["label"]))
        rows.update((node, float(row)) for row, node in enumerate(nodes))
    heights = {layer: sum(1 for _, d in graph.nodes(data=True) if d["layer"] == layer) for layer in layers}
    tallest = max(heights.values(), default=1)
    return {node: (float(graph.nodes[node]["layer"]), -(row + (tallest - heights[graph.nodes[node]["layer"]]) / 2))
            for node, row in rows.items()}


def draw_png(picture: Picture) -> bytes:
    # matplotlib is imported here, not with the module: importing it took half a second of every start of the Dagster
    # definitions, of the command and of each test process, most of which draw nothing.
    import matplotlib

    matplotlib.use("Agg")  # no display: the product draws to files and metadata
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    graph = picture.graph
    pos = positions(graph)
    layers = max((x for x, _ in pos.values()), default=0) + 1
    tallest = max((-y for _, y in pos.values()), default=0) + 1
    lines = max((data["label"].count("\n") + 2 for _, data in graph.nodes(data=True)), default=2)
    figure, axes = plt.subplots(figsize=(4.2 * layers + 1.5, max(2.5, LINE_INCHES * lines * tallest + 1.4)), dpi=DPI)
    try:
        axes.set_axis_off()
        axes.set_title(picture.title + (f" ({picture.left_out} more edges not drawn)" if picture.left_out else ""),
                       loc="left", fontsize=12)
        if picture.empty:
            axes.text(0.5, 0.5, "nothing to draw: the lake holds none", ha="center", va="center", fontsize=11)
        else:
            axes.set_xlim(-0.6, layers - 0.4)
            axes.set_ylim(-tallest + 0.4, 0.8)
            boxes = {}
            for node, (x, y) in pos.items():
                data = graph.nodes[node]
                boxes[node] = axes.text(x, y, data["label"], ha="center", va="center", fontsize=8.5, zorder=2,
                                        bbox={"boxstyle": "round,pad=0.35", "facecolor": COLOURS[data["kind"]],
                                              "edgecolor": "#566573", "linewidth": 0.6})
            for source, target in graph.edges():
                # From box to box: matplotlib clips the arrow to the two label boxes.
                axes.annotate("", xy=pos[target], xytext=pos[source], zorder=3,
                              arrowprops={"arrowstyle": "-|>", "color": "#7f8c8d", "linewidth": 0.9,
                                          "shrinkA": 1, "shrinkB": 1, "patchA": boxes[source].get_bbox_patch(),
                                          "patchB": boxes[target].get_bbox_patch()})
            kinds = sorted({data["kind"] for _, data in graph.nodes(data=True)}, key=list(COLOURS).index)
            axes.legend(handles=[Patch(facecolor=COLOURS[k], edgecolor="#566573", label=k) for k in kinds],
                        loc="upper left", fontsize=8, frameon=False, ncol=len(kinds), bbox_to_anchor=(0.0, 0.0))
        drawn, buffer = io.BytesIO(), io.BytesIO()
        figure.savefig(drawn, format="png", bbox_inches="tight")
        Image.open(drawn).convert("RGB").quantize(colors=PALETTE_COLOURS).save(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)
