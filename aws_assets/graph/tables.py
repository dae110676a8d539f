"""Every table of the graph with its Arrow schema (entities, edges, analysis tables), and the lake opened as DuckDB
relations over them: what the assets, `aws-assets sql` and the dictionary read."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

import duckdb
import pyarrow as pa

from aws_assets.analysis.access_graph import EDGES_SCHEMA, EDGES_TABLE
from aws_assets.analysis.access_graph import PROBLEMS_SCHEMA as ACCESS_PROBLEMS_SCHEMA
from aws_assets.analysis.access_graph import PROBLEMS_TABLE as ACCESS_PROBLEMS_TABLE
from aws_assets.analysis.changes import CHANGE_SCHEMAS
from aws_assets.analysis.compliance import COMPLIANCE_SCHEMA, COMPLIANCE_TABLE
from aws_assets.analysis.findings import FINDINGS_SCHEMA, FINDINGS_TABLE
from aws_assets.analysis.principal_access import ACCESS_SCHEMA, ACCESS_TABLE
from aws_assets.analysis.resource_access import RESOURCE_ACCESS_SCHEMA, RESOURCE_ACCESS_TABLE
from aws_assets.analysis.trust_graph import (
    PLACEHOLDER_SCHEMA,
    PLACEHOLDER_TABLE,
    PROBLEMS_SCHEMA,
    PROBLEMS_TABLE,
    REACHABILITY_SCHEMA,
    REACHABILITY_TABLE,
    TRUSTS_SCHEMA,
    TRUSTS_TABLE,
)
from aws_assets.inputs.people import PERSON_SCHEMA, PERSON_TYPE
from aws_assets.lake.as_of import LakeAsOf
from aws_assets.lake.snapshot import LakeSnapshot
from aws_assets.lake.sql import connect, create_table_views, create_union_view
from aws_assets.lake.storage import Lake
from aws_assets.model.entity import COMMON_COLUMNS
from aws_assets.model.relationship import RELATIONSHIP_COLUMNS
from aws_assets.model.settings import settings
from aws_assets.relationships.catalog import RELATIONSHIP_TYPES
from aws_assets.relationships.security_groups import PEER_SCHEMA, PEER_TABLE
from aws_assets.services.catalog import ENTITY_TYPES


def open_lake(lake_root: str, database: str | None = None, as_of: datetime | None = None) -> duckdb.DuckDBPyConnection:
    """The lake as DuckDB relations: one per entity and relationship `_type`, `entities` and `relationships`, and
    one per analysis table.

    In memory (no `database`), every table is read through the lake snapshot (`aws_assets.lake.snapshot`): opening a
    lake of many partitions reads only the files rewritten since the last time, and queries run over Arrow in
    memory rather than over tens of thousands of Parquet files each. A `database` file instead holds views over the
    Parquet, which stay current as the lake changes. `as_of`: every table as the lake's history had it then (in
    memory)."""
    lake = Lake(lake_root)
    if as_of is not None:
        con = load_tables(LakeAsOf(lake, as_of), {t: s.names for t, s in table_schemas().items()})
        create_union_view(con, "entities", entity_schemas(), [c.name for c in COMMON_COLUMNS])
        create_union_view(con, "relationships", relationship_schemas(), [c.name for c in RELATIONSHIP_COLUMNS])
        return con
    if database:
        con = connect(lake, entity_schemas(), relationship_schemas(), database)
        create_table_views(con, lake, analysis_schemas())
        return con
    con = load_tables(LakeSnapshot(lake, settings().cache_folder), {t: s.names for t, s in table_schemas().items()})
    create_union_view(con, "entities", entity_schemas(), [c.name for c in COMMON_COLUMNS])
    create_union_view(con, "relationships", relationship_schemas(), [c.name for c in RELATIONSHIP_COLUMNS])
    return con


def load_tables(snapshot: LakeSnapshot | LakeAsOf, columns: Mapping[str, Iterable[str]]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection holding exactly these lake tables and columns (table -> column names; an
    unknown column is a programming error), read through the snapshot: for computations over the whole lake."""
    schemas = table_schemas()
    con = duckdb.connect()
    for table, names in columns.items():
        wanted = set(names)
        unknown = wanted - set(schemas[table].names)
        if unknown:
            raise KeyError(f"{table} has no columns {sorted(unknown)}")
        projected = pa.schema([field for field in schemas[table] if field.name in wanted])
        con.register(table, snapshot.read(table, projected))
    return con


def columns_named(sql: str, tables: Iterable[str]) -> dict[str, set[str]]:
    """Table -> its columns whose names appear as words in the SQL, and `_key`: what loading for it needs (a name
    the SQL uses for something else only loads a column too many)."""
    schemas = table_schemas()
    return {
        table: {"_key", *(c for c in schemas[table].names if re.search(rf"\b{re.escape(c)}\b", sql))}
        for table in tables
    }


def table_schemas() -> dict[str, pa.Schema]:
    """Every table of the graph: entities, edges and the analyses' other tables."""
    return {**entity_schemas(), **relationship_schemas(), **analysis_schemas()}


def entity_schemas() -> dict[str, pa.Schema]:
    """The AWS entity types, the `person` table, the trust analysis's `placeholder` entities and the security group
    analysis's `security_group_peer` entities, which share their common columns."""
    return {
        **{name: entity_type.schema for name, entity_type in ENTITY_TYPES.items()},
        PERSON_TYPE: PERSON_SCHEMA,
        PLACEHOLDER_TABLE: PLACEHOLDER_SCHEMA,
        PEER_TABLE: PEER_SCHEMA,
    }


def relationship_schemas() -> dict[str, pa.Schema]:
    """The relationship types, the trust analysis's TRUSTS edges and the policy analysis's ALLOWS and DENIES edges
    (tables of several `_type`s each)."""
    return {
        **{name: relationship.schema for name, relationship in RELATIONSHIP_TYPES.items()},
        TRUSTS_TABLE: TRUSTS_SCHEMA,
        EDGES_TABLE: EDGES_SCHEMA,
    }


def analysis_schemas() -> dict[str, pa.Schema]:
    """Tables of the analyses that are neither entities nor edges."""
    return {
        PROBLEMS_TABLE: PROBLEMS_SCHEMA,
        REACHABILITY_TABLE: REACHABILITY_SCHEMA,
        FINDINGS_TABLE: FINDINGS_SCHEMA,
        COMPLIANCE_TABLE: COMPLIANCE_SCHEMA,
        ACCESS_TABLE: ACCESS_SCHEMA,
        ACCESS_PROBLEMS_TABLE: ACCESS_PROBLEMS_SCHEMA,
        RESOURCE_ACCESS_TABLE: RESOURCE_ACCESS_SCHEMA,
        **CHANGE_SCHEMAS,
    }
