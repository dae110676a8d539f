"""Edge tables over the lake, without Dagster: what a relationship type's SQL reads, its edges computed with DuckDB,
and the checks every edge table passes (the relationship types', and the trust and access analyses' edges)."""

import re
from collections.abc import Iterable

import duckdb
import pyarrow as pa

from aws_assets.graph.tables import columns_named, entity_schemas
from aws_assets.lake.sql import quote_identifier
from aws_assets.model.relationship import RelationshipType
from aws_assets.services.catalog import ENTITY_TYPES

# The names of the counts `check_edges` returns, with what each check asks of an edge table.
CHECKS = {
    "unique_keys": "Every edge `_key` is unique",
    "no_duplicate_edges": "No two edges of the type join the same two entities (for types with one edge per "
    "rule, as security group ALLOWS: no two edges are equal)",
    "endpoints_exist": "Both ends of every edge are entities in the lake",
}


def tables_read(relationship: RelationshipType) -> list[str]:
    """The entity tables the relationship's SQL reads (`person` and the analyses' entity tables included): its
    upstream assets."""
    return sorted(t for t in entity_schemas() if re.search(rf"\b{t}\b", relationship.sql))


def columns_read(relationships: Iterable[RelationshipType]) -> dict[str, list[str]]:
    """Table -> the columns the relationships' SQL names, with `_key` for the endpoint check, plus the `_key` of
    the tables of their endpoint types: what to load to build and check their edges."""
    schemas = entity_schemas()
    columns: dict[str, set[str]] = {}
    for relationship in relationships:
        for table, names in columns_named(relationship.sql, tables_read(relationship)).items():
            columns.setdefault(table, set()).update(names)
        for endpoint_type in (relationship.from_type, relationship.to_type):
            if endpoint_type in schemas:
                columns.setdefault(endpoint_type, set()).add("_key")
    return {table: sorted(names) for table, names in sorted(columns.items())}


def endpoint_tables(relationship: RelationshipType) -> list[str]:
    """The tables both ends of the relationship's edges must be entities of: those of its two entity types, and
    the entity tables of the analyses its SQL reads (the `security_group_peer` rows a rule points at)."""
    schemas = entity_schemas()
    tables = {t for t in (relationship.from_type, relationship.to_type) if t in schemas}
    return sorted(tables | {t for t in tables_read(relationship) if t not in ENTITY_TYPES})


def build_edges(con: duckdb.DuckDBPyConnection, relationship: RelationshipType) -> pa.Table:
    """The relationship's edges, of exactly its schema, from the tables `columns_read` loaded into `con`."""
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
