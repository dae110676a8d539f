"""`aws-assets sql`: run queries over the lake, print them, or keep a prompt open."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping

import duckdb
import pyarrow as pa

from aws_assets.analysis.access_graph import ACCESS_SCHEMA, ACCESS_TABLE, EDGES_SCHEMA, EDGES_TABLE
from aws_assets.analysis.access_graph import PROBLEMS_SCHEMA as ACCESS_PROBLEMS_SCHEMA
from aws_assets.analysis.access_graph import PROBLEMS_TABLE as ACCESS_PROBLEMS_TABLE
from aws_assets.analysis.findings import FINDINGS_SCHEMA, FINDINGS_TABLE
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
from aws_assets.lake.snapshot import LakeSnapshot, default_cache_folder
from aws_assets.lake.sql import connect, create_table_views, create_union_view
from aws_assets.lake.storage import Lake
from aws_assets.model.entity import COMMON_COLUMNS
from aws_assets.model.relationship import RELATIONSHIP_COLUMNS
from aws_assets.relationships.catalog import RELATIONSHIP_TYPES
from aws_assets.relationships.security_groups import PEER_SCHEMA, PEER_TABLE
from aws_assets.services.catalog import ENTITY_TYPES

PROMPT = "aws-assets> "


def open_lake(lake_root: str, database: str | None = None) -> duckdb.DuckDBPyConnection:
    """The lake as DuckDB relations: one per entity and relationship `_type`, `entities` and `relationships`, and
    one per analysis table.

    In memory (no `database`), every table is read through the lake snapshot (`aws_assets.lake.snapshot`): opening a
    lake of many partitions reads only the files rewritten since the last time, and queries run over Arrow in
    memory rather than over tens of thousands of Parquet files each. A `database` file instead holds views over the
    Parquet, which stay current as the lake changes."""
    lake = Lake(lake_root)
    if database:
        con = connect(lake, entity_schemas(), relationship_schemas(), database)
        create_table_views(con, lake, analysis_schemas())
        return con
    schemas = {**entity_schemas(), **relationship_schemas(), **analysis_schemas()}
    con = load_tables(LakeSnapshot(lake, default_cache_folder()), {t: s.names for t, s in schemas.items()})
    create_union_view(con, "entities", entity_schemas(), [c.name for c in COMMON_COLUMNS])
    create_union_view(con, "relationships", relationship_schemas(), [c.name for c in RELATIONSHIP_COLUMNS])
    return con


def load_tables(snapshot: LakeSnapshot, columns: Mapping[str, Iterable[str]]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection holding exactly these lake tables and columns (table -> column names; an
    unknown column is a programming error), read through the snapshot: for computations over the whole lake."""
    schemas = {**entity_schemas(), **relationship_schemas(), **analysis_schemas()}
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
    schemas = {**entity_schemas(), **relationship_schemas(), **analysis_schemas()}
    return {
        table: {"_key", *(c for c in schemas[table].names if re.search(rf"\b{re.escape(c)}\b", sql))}
        for table in tables
    }


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
        ACCESS_TABLE: ACCESS_SCHEMA,
        ACCESS_PROBLEMS_TABLE: ACCESS_PROBLEMS_SCHEMA,
    }


def print_query(con: duckdb.DuckDBPyConnection, query: str, output_format: str = "table") -> int:
    try:
        relation = con.sql(query)
        if relation is None:
            return 0
        if output_format == "csv":
            relation.df().to_csv(sys.stdout, index=False)
        elif output_format == "json":
            print(relation.df().to_json(orient="records", date_format="iso", indent=2))
        else:
            relation.show(max_width=200, max_rows=200)
    except duckdb.Error as error:
        print(f"aws-assets sql: {error}", file=sys.stderr)
        return 1
    return 0


def interactive(con: duckdb.DuckDBPyConnection) -> None:
    try:
        import readline  # noqa: F401 - line editing and history for input()
    except ImportError:
        pass
    print(
        f"DuckDB over the lake. Views: entities, relationships, {len(ENTITY_TYPES)} entity and "
        f"{len(RELATIONSHIP_TYPES)} relationship types (SHOW TABLES lists them).\n"
        "End a statement with ';', quit with Ctrl-D."
    )
    buffer: list[str] = []
    while True:
        try:
            line = input(PROMPT if not buffer else "...> ")
        except EOFError:
            print()
            return
        buffer.append(line)
        statement = "\n".join(buffer).strip()
        if statement.endswith(";") or statement in {"", ".quit", ".exit"}:
            buffer.clear()
            if statement in {".quit", ".exit"}:
                return
            if statement:
                print_query(con, statement)
