"""The summary printed at the end of `sync` and `demo`."""

from __future__ import annotations

import os
import sys

import duckdb

from aws_assets.analysis.findings import SEVERITIES
from aws_assets.defs.sync import SyncReport
from aws_assets.graph.tables import open_lake
from aws_assets.lake.storage import Lake
from aws_assets.model.settings import LAKE

EXAMPLE_QUERIES = (
    "SELECT _type, count(*) AS n FROM entities GROUP BY _type ORDER BY n DESC",
    "SELECT accountId, region, groupId, groupName FROM aws_security_group "
    "WHERE openToInternet ORDER BY ALL",
    "SELECT accountId, username, passwordEnabled, mfaEnabled FROM aws_iam_user "
    "WHERE passwordEnabled AND NOT mfaEnabled ORDER BY ALL",
    "SELECT ruleId, severity, title, count(*) AS findings FROM findings GROUP BY ALL ORDER BY ruleId",
)


def print_summary(report: SyncReport, lake_root: str) -> None:
    con = open_lake(lake_root)
    counts = con.sql(
        # Placeholders (trust targets outside the lake) are not entities the sync found.
        "SELECT _type, count(*) AS entities, count(DISTINCT accountId) AS accounts FROM entities "
        "WHERE _key NOT IN (SELECT _key FROM placeholder) "
        "GROUP BY _type ORDER BY _type"
    ).fetchall()
    width = max([len("_type"), *(len(row[0]) for row in counts)])
    print(f"\n{'_type':<{width}}  {'entities':>8}  {'accounts':>8}")
    for type_name, entities, accounts in counts:
        print(f"{type_name:<{width}}  {entities:>8}  {accounts:>8}")
    print(f"{'total':<{width}}  {sum(row[1] for row in counts):>8}")
    if report.graph is not None:
        _print_graph(report.graph)
    else:
        print("\nThe graph was not rebuilt: no partition synced.")
    print(f"\n{findings_summary(con)}")
    succeeded = len(report.results) - len(report.failures)
    print(
        f"\n{succeeded} of {len(report.results)} partitions synced, {report.api_calls} AWS API calls "
        f"({report.retried} requests retried, {report.throttled} of them throttled), {report.seconds:.1f}s"
    )
    for failure in report.failures:
        print(f"FAILED {failure.label}:")
        for error in failure.errors:
            print(f"  {error}")
    for error in report.run_errors:
        print(f"FAILED the sync run: {error}")
    print(f"\nLake: {Lake(lake_root).url}\n\nTry:")
    for query in EXAMPLE_QUERIES:
        print(f'  {sql_command(lake_root)} "{query}"')


def sql_command(lake_root: str) -> str:
    """How to run `aws-assets sql` on this lake from the current directory."""
    program = sys.argv[0] if os.path.basename(sys.argv[0]) == "aws-assets" else "aws-assets"
    if os.path.isabs(program) and program.startswith(os.getcwd() + os.sep):
        program = os.path.relpath(program)
    lake = Lake(lake_root)
    if lake.is_s3:
        return f"{program} sql --lake {lake.url}"
    if lake.url == Lake(LAKE.default).url:
        return f"{program} sql"
    return f"{program} sql --lake {os.path.relpath(lake.url)}"


def _print_graph(graph) -> None:
    width = max([len("relationship _type"), *(len(t) for t in graph.edges_by_type)])
    print(f"\n{'relationship _type':<{width}}  {'edges':>8}")
    for type_name, edges in sorted(graph.edges_by_type.items()):
        print(f"{type_name:<{width}}  {edges:>8}")
    print(f"{'total':<{width}}  {sum(graph.edges_by_type.values()):>8}  ({graph.seconds:.1f}s)")
    for check in graph.failed_checks:
        print(f"CHECK FAILED {check}")
    for error in graph.errors:
        print(f"FAILED building the graph: {error}")


def findings_summary(con: duckdb.DuckDBPyConnection) -> str:
    """One line: the findings in the lake, per severity."""
    counts = dict(con.execute("SELECT severity, count(*) FROM findings GROUP BY severity").fetchall())
    per_severity = ", ".join(f"{counts.get(severity, 0)} {severity}" for severity in SEVERITIES)
    return f"findings: {sum(counts.values())} ({per_severity})"
