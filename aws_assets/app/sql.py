"""`aws-assets sql`: run the statements of one query over the lake and print each, or keep a prompt open."""

from __future__ import annotations

import sys
import threading

import duckdb

from aws_assets.relationships.catalog import RELATIONSHIP_TYPES
from aws_assets.services.catalog import ENTITY_TYPES

PROMPT = "aws-assets> "


def print_query(con: duckdb.DuckDBPyConnection, query: str, output_format: str = "table") -> int:
    """Every statement of `query`, each result printed in turn; the first error stops the rest."""
    try:
        for statement in con.extract_statements(query):
            relation = con.sql(statement.query)
            if relation is not None:
                print_relation(relation, output_format)
    except duckdb.InterruptException:  # the prompt's Ctrl-C, which says so
        return 1
    except duckdb.Error as error:
        print(f"aws-assets sql: {error}", file=sys.stderr)
        return 1
    return 0


def print_relation(relation: duckdb.DuckDBPyRelation, output_format: str) -> None:
    if output_format == "csv":
        relation.df().to_csv(sys.stdout, index=False)
    elif output_format == "json":
        print(relation.df().to_json(orient="records", date_format="iso", indent=2))
    else:
        relation.show(max_width=200, max_rows=200)


def interactive(con: duckdb.DuckDBPyConnection) -> None:
    """Ctrl-C drops the line being typed, or cancels the running query; Ctrl-D (or .quit) leaves."""
    try:
        import readline  # noqa: F401 - line editing and history for input()
    except ImportError:
        pass
    print(
        f"DuckDB over the lake. Views: entities, relationships, {len(ENTITY_TYPES)} entity and "
        f"{len(RELATIONSHIP_TYPES)} relationship types (SHOW TABLES lists them).\n"
        "End a statement with ';'. Ctrl-C cancels the line or the query, Ctrl-D quits."
    )
    buffer: list[str] = []
    while True:
        try:
            line = input(PROMPT if not buffer else "...> ")
        except EOFError:
            print()
            return
        except KeyboardInterrupt:
            print("^C" if buffer else "")
            buffer.clear()
            continue
        buffer.append(line)
        statement = "\n".join(buffer).strip()
        if statement.endswith(";") or statement in {"", ".quit", ".exit"}:
            buffer.clear()
            if statement in {".quit", ".exit"}:
                return
            if statement:
                run_cancellable(con, statement)


def run_cancellable(con: duckdb.DuckDBPyConnection, statement: str) -> None:
    """The query on a thread of its own: Python takes Ctrl-C only on the main thread, and only between its own steps,
    never inside DuckDB's; there it interrupts the query, which stops with a message.

    The main thread waits on an event the worker sets, not on `Thread.join`: a Ctrl-C inside `join` marks the
    thread stopped while it runs (CPython before 3.13), and the query went on behind the prompt, holding the
    connection until the process aborted at exit."""
    done = threading.Event()

    def query() -> None:
        try:
            print_query(con, statement)
        finally:
            done.set()

    threading.Thread(target=query, daemon=True).start()
    try:
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        while not done.is_set():  # an interrupt between two steps of the query is not seen by the next one
            con.interrupt()
            done.wait(0.1)
        print("aws-assets sql: query cancelled", file=sys.stderr)
