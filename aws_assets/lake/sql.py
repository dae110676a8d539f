"""DuckDB over the lake: a view per table (`aws_instance`, ...) and an `entities` view of the common columns."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa
import pyarrow.fs as pafs
from fsspec.implementations.arrow import ArrowFSWrapper

from aws_assets.lake.storage import PARTITION_FILE, Lake
from aws_assets.model.entity import COMMON_COLUMNS
from aws_assets.model.relationship import RELATIONSHIP_COLUMNS


class _S3ForDuckDB(ArrowFSWrapper):
    """Arrow's S3 client as the fsspec filesystem DuckDB reads `s3://` through (its httpfs needs a download)."""

    protocol = ("s3",)


def lake_tables(lake: Lake) -> set[str]:
    """The names of the directories at the lake's root: its tables, if it is a lake."""
    root = lake.url.removeprefix("s3://")
    entries = lake.filesystem.get_file_info(pafs.FileSelector(root, allow_not_found=True))
    return {entry.base_name for entry in entries if entry.type == pafs.FileType.Directory}


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_source(lake: Lake, table: str) -> str:
    glob = quote_literal(f"{lake.table_url(table)}/**/{PARTITION_FILE}")
    return f"read_parquet({glob}, union_by_name = true, hive_partitioning = false)"


def create_table_views(con: duckdb.DuckDBPyConnection, lake: Lake, schemas: dict[str, pa.Schema]) -> None:
    """A view over each table's Parquet files; a table with no partition yet becomes an empty table of its schema.
    (Computations over the whole lake load what they read through `aws_assets.lake.snapshot` instead.)"""
    for table, schema in schemas.items():
        name = quote_identifier(table)
        if lake.has_table(table):
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {table_source(lake, table)}")
        else:
            empty = schema.empty_table()  # noqa: F841 - DuckDB reads the local variable by name
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM empty")


def create_union_view(con: duckdb.DuckDBPyConnection, view: str, tables: Iterable[str], columns: list[str]) -> None:
    selected = ", ".join(quote_identifier(c) for c in columns)
    union = "\nUNION ALL\n".join(f"SELECT {selected} FROM {quote_identifier(t)}" for t in tables)
    con.execute(f"CREATE OR REPLACE VIEW {quote_identifier(view)} AS\n{union}")


def connect(
    lake: Lake,
    entity_schemas: dict[str, pa.Schema],
    relationship_schemas: dict[str, pa.Schema] | None = None,
    database: str = ":memory:",
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (or a `.duckdb` file) with a view per table, `entities` and `relationships`."""
    relationship_schemas = relationship_schemas or {}
    con = duckdb.connect(database)
    if lake.is_s3:
        con.register_filesystem(_S3ForDuckDB(lake.filesystem))
    create_table_views(con, lake, {**entity_schemas, **relationship_schemas})
    create_union_view(con, "entities", entity_schemas, [c.name for c in COMMON_COLUMNS])
    if relationship_schemas:
        create_union_view(con, "relationships", relationship_schemas, [c.name for c in RELATIONSHIP_COLUMNS])
    return con
