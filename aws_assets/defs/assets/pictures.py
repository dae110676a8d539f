"""The `graph_pictures` asset: who trusts whom and what the internet reaches, drawn from the lake
(aws_assets.graph.pictures) and shown on the asset's overview as images in its materialization metadata; the
`aws-assets report` command writes the same pictures to files."""


import base64
import time

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from aws_assets.defs.assets.analysis import GROUP
from aws_assets.defs.automation import REFRESH_WHEN_UPSTREAM_CHANGES
from aws_assets.defs.resources import LakeResource
from aws_assets.graph.drawing import draw_png
from aws_assets.graph.pictures import Picture, picture_reads, read_pictures

PICTURES_KEY = AssetKey("graph_pictures")
METADATA_NAMES = ("trust_picture", "internet_picture")  # in read_pictures' order


def embedded_png(picture: Picture, png: bytes) -> str:
    """Markdown showing the PNG itself: Dagster's UI renders `data:` image sources in Markdown metadata."""
    return f"![{picture.title}](data:image/png;base64,{base64.b64encode(png).decode()})"


@asset(
    key=PICTURES_KEY,
    group_name=GROUP,
    kinds={"python", "matplotlib"},
    deps=[AssetKey(table) for table in picture_reads()],
    automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
    description="Two pictures of the graph, on this overview under Metadata: who may assume the roles (everyone, "
    "accounts outside the lake, the lake's other accounts, AWS services, identity providers -> roles, from the "
    "TRUSTS edges) and what the internet reaches (internet -> security groups open to it, with their ports -> "
    "instances and databases). `aws-assets report` writes them as PNG files.",
)
def graph_pictures(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    started = time.monotonic()
    metadata: dict = {}
    for name, picture in zip(METADATA_NAMES, read_pictures(lake.snapshot()), strict=True):
        metadata[name] = MetadataValue.md(embedded_png(picture, draw_png(picture)))
        metadata[f"{name}/edges"] = picture.graph.number_of_edges()
        metadata[f"{name}/edges_not_drawn"] = picture.left_out
    metadata["seconds"] = round(time.monotonic() - started, 3)
    context.log.info(", ".join(f"{name}: {metadata[f'{name}/edges']} edges" for name in METADATA_NAMES))
    return MaterializeResult(metadata=metadata)
