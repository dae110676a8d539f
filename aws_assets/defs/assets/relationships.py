"""The relationship assets: one asset per relationship type, computed over the whole lake with DuckDB.

Each depends on the entity tables its SQL reads, refreshes itself when they change (declarative automation), and
checks its edges on every materialization: unique keys, no duplicate edges, endpoints that exist. The edges and
their checks are computed by `aws_assets.graph.edges`; this module wires them into Dagster.
"""

import time
from collections.abc import Iterator

import pyarrow as pa
from dagster import (
    AssetCheckKey,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from aws_assets.defs.assets.column_schema import column_schema
from aws_assets.defs.assets.edge_checks import EDGE_CHECK, edge_check_results, edge_check_specs
from aws_assets.defs.assets.entities import markdown_preview
from aws_assets.defs.automation import REFRESH_WHEN_UPSTREAM_CHANGES
from aws_assets.defs.resources import LakeResource
from aws_assets.graph.edges import build_edges, check_edges, columns_read, endpoint_tables, tables_read
from aws_assets.graph.tables import load_tables
from aws_assets.model.relationship import RelationshipType
from aws_assets.relationships.catalog import RELATIONSHIP_TYPES

GROUP = "relationships"
PREVIEW_COLUMNS = ("accountId", "_fromEntityKey", "_toEntityKey")  # the short one first


def relationship_spec(relationship: RelationshipType) -> AssetSpec:
    origin = "the integration spec" if relationship.in_spec else "JupiterOne's live graph (beyond the spec)"
    return AssetSpec(
        key=AssetKey(relationship.type),
        group_name=GROUP,
        kinds={"duckdb", "parquet"},
        deps=[AssetKey(t) for t in tables_read(relationship)],
        description=f"`{relationship.from_type}` **{relationship.verb}** `{relationship.to_type}`: "
        f"{relationship.description} From {origin}.",
        metadata={
            "dagster/column_schema": column_schema(relationship.schema),
            "in_spec": relationship.in_spec,
        },
        automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
    )


def build_relationship_assets() -> AssetsDefinition:
    @multi_asset(
        name="build_relationships",
        specs=[relationship_spec(r) for r in RELATIONSHIP_TYPES.values()],
        check_specs=[spec for r in RELATIONSHIP_TYPES.values() for spec in edge_check_specs(r.type)],
        can_subset=True,
        description="Computes the selected relationship types from the entity tables with DuckDB.",
    )
    def build_relationships(context: AssetExecutionContext, lake: LakeResource) -> Iterator:
        started = time.monotonic()
        selected = [r for r in RELATIONSHIP_TYPES.values() if AssetKey(r.type) in context.selected_asset_keys]
        snapshot = lake.snapshot()
        con = load_tables(snapshot, columns_read(selected))
        stats = snapshot.stats
        context.log.info(
            f"loaded {stats.rows:,} rows of {stats.files:,} partition files ({stats.read_files:,} read from the "
            f"lake, {stats.reused_files:,} from the snapshot) in {time.monotonic() - started:.1f}s"
        )
        target = lake.lake()
        for relationship in selected:
            key = AssetKey(relationship.type)
            began = time.monotonic()
            edges = build_edges(con, relationship)
            path = target.write_table(relationship.type, edges)
            yield MaterializeResult(
                asset_key=key,
                metadata={
                    "dagster/row_count": edges.num_rows,
                    "edges_by_account": MetadataValue.json(_count_by_account(edges)),
                    "seconds": round(time.monotonic() - began, 3),
                    "lake/path": MetadataValue.path(path),
                    "preview": MetadataValue.md(markdown_preview(edges, PREVIEW_COLUMNS)),
                },
            )
            if AssetCheckKey(key, EDGE_CHECK) in context.selected_asset_check_keys:
                checked = check_edges(con, edges, endpoint_tables(relationship), relationship.parallel_edges)
                yield from edge_check_results(relationship.type, checked)

    return build_relationships


def _count_by_account(edges: pa.Table) -> dict[str, int]:
    counts = edges.group_by("accountId").aggregate([("_key", "count")]).to_pylist()
    return {row["accountId"]: row["_key_count"] for row in sorted(counts, key=lambda r: r["accountId"] or "")}
