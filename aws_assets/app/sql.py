"""`aws-assets sql`: run one query over the lake and print it, or keep a prompt open."""

from __future__ import annotations

import sys

import duckdb

from aws_assets.relationships.catalog import RELATIONSHIP_TYPES
from aws_assets.services.catalog import ENTITY_TYPES

PROMPT = "aws-assets> "


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
