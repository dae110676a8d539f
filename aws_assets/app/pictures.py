"""`aws-assets report`: the pictures of the graph (who trusts whom, what the internet reaches) written as PNG files,
the same the `graph_pictures` asset shows in the Dagster UI."""

from __future__ import annotations

from pathlib import Path

from aws_assets.app.simulate import UsageError, existing_lake_snapshot
from aws_assets.graph.drawing import draw_png
from aws_assets.graph.pictures import read_pictures

FILE_NAMES = ("trust.png", "internet.png")  # in read_pictures' order


def write_pictures(lake_root: str, output: Path) -> list[str]:
    """Writes the pictures into `output` and returns one line per file: its path and what it draws."""
    pictures = read_pictures(existing_lake_snapshot(lake_root))
    try:
        output.mkdir(parents=True, exist_ok=True)
        lines = []
        for name, picture in zip(FILE_NAMES, pictures, strict=True):
            path = output / name
            path.write_bytes(draw_png(picture))
            not_drawn = f", {picture.left_out} more not drawn" if picture.left_out else ""
            lines.append(f"wrote {path}: {picture.title.lower()}, {picture.graph.number_of_edges()} edges{not_drawn}")
    except OSError as error:
        raise UsageError(f"cannot write the pictures into {output}: {error.strerror or error}") from None
    return lines
