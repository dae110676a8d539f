"""The relationship assets: one asset per relationship type, computed over the whole lake with DuckDB.

Each depends on the entity tables its SQL reads, refreshes itself when they change (declarative automation), and
checks its edges on every materialization: unique keys, no duplicate edges, endpoints that exist.
"""

import re
import time
from collections.abc import Iterator

import duckdb
import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    multi_asset,
)

from aws_assets.automation import REFRESH_WHEN_UPSTREAM_CHANGES
from aws_assets.entity_assets import markdown_preview
from aws_assets.query import entity_schemas, open_lake
from aws_assets.relationships.catalog import RELATIONSHIP_TYPES
from aws_assets.relationships.model import RelationshipType
from aws_assets.resources import LakeResource

GROUP = "relationships"
CHECKS = {
    "unique_keys": "Every edge `_key` is unique",
    "no_duplicate_edges": "No two edges of the type join the same two entities (for types with one edge per "
    "rule, as security group ALLOWS: no two edges are equal)",
    "endpoints_exist": "Both ends of every edge are entities in the lake",
}
PREVIEW_COLUMNS = ("_fromEntityKey", "_toEntityKey", "accountId")


def tables_read(relationship: RelationshipType) -> list[str]:
    """The entity tables the relationship's SQL reads (`person` and the analyses' entity tables included): its
    upstream assets."""
    return sorted(t for t in entity_schemas() if re.search(rf"\b{t}\b", relationship.sql))


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
            "dagster/column_schema": TableSchema(
                columns=[TableColumn(c.name, str(c.type), description=c.description) for c in relationship.all_columns]
            ),
            "in_spec": relationship.in_spec,
        },
        automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
    )


def build_edges(con: duckdb.DuckDBPyConnection, relationship: RelationshipType) -> pa.Table:
    edges = con.sql(relationship.edge_query()).to_arrow_table()
    return edges.select(relationship.schema.names).cast(relationship.schema)


def check_edges(con: duckdb.DuckDBPyConnection, edges: pa.Table, parallel_edges: bool = False) -> dict[str, int]:
    """Counts of problems per check; 0 everywhere is a healthy edge table. With `parallel_edges` (the type keeps one
    edge per rule), two edges may join the same two entities; a duplicate is then an edge equal in every column."""
    distinct = "* EXCLUDE (_key)" if parallel_edges else "_fromEntityKey, _toEntityKey"
    con.register("edges", edges)
    try:
        duplicate_keys, duplicate_pairs = con.execute(
            "SELECT count(*) - count(DISTINCT _key), "
            f"count(*) - (SELECT count(*) FROM (SELECT DISTINCT {distinct} FROM edges)) FROM edges"
        ).fetchall()[0]
        [(dangling,)] = con.execute(
            "SELECT count(*) FROM edges e WHERE NOT EXISTS (SELECT 1 FROM entity_keys k WHERE k._key = "
            "e._fromEntityKey) OR NOT EXISTS (SELECT 1 FROM entity_keys k WHERE k._key = e._toEntityKey)"
        ).fetchall()
    finally:
        con.unregister("edges")
    return {"unique_keys": duplicate_keys, "no_duplicate_edges": duplicate_pairs, "endpoints_exist": dangling}


def build_relationship_assets() -> AssetsDefinition:
    @multi_asset(
        name="build_relationships",
        specs=[relationship_spec(r) for r in RELATIONSHIP_TYPES.values()],
        check_specs=[
            AssetCheckSpec(name, asset=AssetKey(r.type), description=description)
            for r in RELATIONSHIP_TYPES.values()
            for name, description in CHECKS.items()
        ],
        can_subset=True,
        description="Computes the selected relationship types from the entity tables with DuckDB.",
    )
    def build_relationships(context: AssetExecutionContext, lake: LakeResource) -> Iterator:
        started = time.monotonic()
        con = open_lake(lake.root, load=True)
        con.execute("CREATE TEMP TABLE entity_keys AS SELECT DISTINCT _key FROM entities")
        context.log.info(f"loaded the entity tables in {time.monotonic() - started:.1f}s")
        target = lake.lake()
        for relationship in RELATIONSHIP_TYPES.values():
            key = AssetKey(relationship.type)
            if key not in context.selected_asset_keys:
                continue
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
            for check, problems in check_edges(con, edges, relationship.parallel_edges).items():
                if (key, check) in {(c.asset_key, c.name) for c in context.selected_asset_check_keys}:
                    yield AssetCheckResult(
                        asset_key=key,
                        check_name=check,
                        passed=problems == 0,
                        severity=AssetCheckSeverity.ERROR,
                        metadata={"problems": problems},
                    )

    return build_relationships


def _count_by_account(edges: pa.Table) -> dict[str, int]:
    counts = edges.group_by("accountId").aggregate([("_key", "count")]).to_pylist()
    return {row["accountId"]: row["_key_count"] for row in sorted(counts, key=lambda r: r["accountId"] or "")}
