"""`aws-assets sql`: run queries over the lake, print them, or keep a prompt open."""

from __future__ import annotations

import sys

import duckdb

from aws_assets.catalog import ENTITY_TYPES
from aws_assets.lake.sql import connect
from aws_assets.lake.storage import Lake

PROMPT = "aws-assets> "


def open_lake(lake_root: str, database: str | None = None) -> duckdb.DuckDBPyConnection:
    schemas = {name: entity_type.schema for name, entity_type in ENTITY_TYPES.items()}
    return connect(Lake(lake_root), schemas, database or ":memory:")


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
    tables = ", ".join(sorted(ENTITY_TYPES))
    print(f"DuckDB over the lake. Views: entities, {tables}.\nEnd a statement with ';', quit with Ctrl-D.")
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
