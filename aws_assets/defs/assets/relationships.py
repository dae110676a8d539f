"""The relationship assets: one asset per relationship type, computed over the whole lake with DuckDB.

Each depends on the entity tables its SQL reads, refreshes itself when they change (declarative automation), and
checks its edges on every materialization: unique keys, no duplicate edges, endpoints that exist.
"""

import re
import time
from collections.abc import Iterable, Iterator

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
    multi_asset,
)

from aws_assets.defs.assets.column_schema import column_schema
from aws_assets.defs.assets.entities import markdown_preview
from aws_assets.defs.automation import REFRESH_WHEN_UPSTREAM_CHANGES
from aws_assets.defs.resources import LakeResource
from aws_assets.graph.tables import columns_named, entity_schemas, load_tables
from aws_assets.lake.sql import quote_identifier
from aws_assets.model.relationship import RelationshipType
from aws_assets.relationships.catalog import RELATIONSHIP_TYPES
from aws_assets.services.catalog import ENTITY_TYPES

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


def columns_read(relationships: Iterable[RelationshipType]) -> dict[str, list[str]]:
    """Table -> the columns the relationships' SQL names, with `_key` for the endpoint check, plus the `_key` of
    the tables of their endpoint types: what the asset loads."""
    schemas = entity_schemas()
    columns: dict[str, set[str]] = {}
    for relationship in relationships:
        for table, names in columns_named(relationship.sql, tables_read(relationship)).items():
            columns.setdefault(table, set()).update(names)
        for endpoint_type in (relationship.from_type, relationship.to_type):
            if endpoint_type in schemas:
                columns.setdefault(endpoint_type, set()).add("_key")
    return {table: sorted(names) for table, names in sorted(columns.items())}


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


def endpoint_tables(relationship: RelationshipType) -> list[str]:
    """The tables both ends of the relationship's edges must be entities of: those of its two entity types, and
    the entity tables of the analyses its SQL reads (the `security_group_peer` rows a rule points at)."""
    schemas = entity_schemas()
    tables = {t for t in (relationship.from_type, relationship.to_type) if t in schemas}
    return sorted(tables | {t for t in tables_read(relationship) if t not in ENTITY_TYPES})


def build_edges(con: duckdb.DuckDBPyConnection, relationship: RelationshipType) -> pa.Table:
    edges = con.sql(relationship.edge_query()).to_arrow_table()
    return edges.select(relationship.schema.names).cast(relationship.schema)


def check_edges(
    con: duckdb.DuckDBPyConnection, edges: pa.Table, key_tables: list[str], parallel_edges: bool = False
) -> dict[str, int]:
    """Counts of problems per check; 0 everywhere is a healthy edge table. Both ends of an edge must be the `_key`
    of a row of `key_tables`. With `parallel_edges` (the type keeps one edge per rule), two edges may join the same
    two entities; a duplicate is then an edge equal in every column."""
    distinct = "* EXCLUDE (_key)" if parallel_edges else "_fromEntityKey, _toEntityKey"
    con.register("edges", edges)
    try:
        duplicate_keys, duplicate_pairs = con.execute(
            "SELECT count(*) - count(DISTINCT _key), "
            f"count(*) - (SELECT count(*) FROM (SELECT DISTINCT {distinct} FROM edges)) FROM edges"
        ).fetchall()[0]
        # Anti-joins against the distinct keys of the endpoint tables alone, which DuckDB plans as hash joins over a
        # table the size of those tables, not of the whole lake.
        keys = " UNION ".join(f"SELECT _key FROM {quote_identifier(table)}" for table in key_tables)
        [(dangling,)] = con.execute(
            f"WITH keys AS MATERIALIZED ({keys}) "
            "SELECT count(*) FROM edges e LEFT JOIN keys f ON f._key = e._fromEntityKey "
            "LEFT JOIN keys t ON t._key = e._toEntityKey WHERE f._key IS NULL OR t._key IS NULL"
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
            checked = check_edges(con, edges, endpoint_tables(relationship), relationship.parallel_edges)
            for check, problems in checked.items():
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
