"""The summary printed at the end of `sync` and `demo`."""

from __future__ import annotations

import os
import sys
from collections import Counter

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
    """What the sync left in the lake, then what it did and what failed, at the level it failed. Totals, findings and
    example queries only over a graph rebuilt by this sync: otherwise they would be the previous sync's."""
    rebuilt = report.graph is not None and report.graph.ok
    con = None
    if report.graph is None:
        print("\nThe graph was not rebuilt: no partition was written, the lake is as the previous sync left it.")
    else:
        con = _print_entities(lake_root)
        _print_graph(report.graph)
    print(f"\n{sync_line(report)}")
    for line in loss_lines(report):
        print(f"  {line}")
    for error in report.run_errors:
        print(f"FAILED the sync run: {error}")
    if rebuilt and con is not None:
        print(f"\n{findings_summary(con)}")
        print(f"\nLake: {Lake(lake_root).url}\n\nTry:")
        for query in EXAMPLE_QUERIES:
            print(f'  {sql_command(lake_root)} "{query}"')


def _print_entities(lake_root: str) -> duckdb.DuckDBPyConnection | None:
    try:
        con = open_lake(lake_root)
        counts = con.sql(ENTITY_COUNTS).fetchall()
        [(placeholders,)] = con.sql("SELECT count(*) FROM placeholder").fetchall()
    except (duckdb.Error, OSError) as error:
        print(f"\naws-assets: cannot read the lake at {Lake(lake_root).url} for the summary: "
              + " ".join(str(error).split()))
        return None
    width = max([len("_type"), *(len(row[0]) for row in counts)])
    print(f"\n{'_type':<{width}}  {'entities':>8}  {'accounts':>8}")
    for type_name, entities, accounts in counts:
        print(f"{type_name:<{width}}  {entities:>8}  {accounts:>8}")
    print(f"{'total':<{width}}  {sum(row[1] for row in counts):>8}"
          + (f"  (and {placeholders} placeholders: trust targets outside the lake, in the entities view too)"
             if placeholders else ""))
    return con


# Placeholders (trust targets outside the lake) are not entities the sync found.
ENTITY_COUNTS = ("SELECT _type, count(*) AS entities, count(DISTINCT accountId) AS accounts FROM entities "
                 "WHERE _key NOT IN (SELECT _key FROM placeholder) GROUP BY _type ORDER BY _type")


def sync_line(report: SyncReport) -> str:
    """Partitions synced of those planned (those that lost entity types among them), calls, retries, throttling."""
    synced = [r for r in report.results if r.error is None]
    incomplete = sum(1 for r in synced if r.failures)
    throttled = Counter[str]()
    for result in report.results:
        for operation, count in result.throttled.items():
            throttled[operation.partition(":")[0]] += count
    per_service = ", ".join(f"{service} {count}" for service, count in throttled.most_common(THROTTLED_SERVICES))
    return (f"{len(synced)} of {len(report.results)} partitions synced"
            + (f" ({incomplete} of them incomplete)" if incomplete else "")
            + f", {report.api_calls} AWS API calls ({report.retried} requests retried, {report.throttled} of them "
            f"throttled{': ' + per_service if per_service else ''}), {report.seconds:.1f}s")


THROTTLED_SERVICES = 5  # named in the summary, the most throttled first
TYPES_NAMED = 3  # of the entity types one cause cost


def loss_lines(report: SyncReport) -> list[str]:
    """One line per cause of failure, at the level it failed: `9 partitions lost aws_lambda_function: ...`, or
    `12 partitions failed: cannot write the lake at ...: Read-only file system`."""
    partitions: dict[str, set[str]] = {}
    types: dict[str, set[str]] = {}
    for result in report.failures:
        for cause, lost in result.causes().items():
            partitions.setdefault(cause, set()).add(result.label)
            types.setdefault(cause, set()).update(lost)
    lines = []
    for cause in sorted(partitions, key=lambda c: (-len(partitions[c]), c)):
        count = len(partitions[cause])
        noun = "partition" if count == 1 else "partitions"
        lost = sorted(types[cause])
        if not lost:
            lines.append(f"{count} {noun} failed: {cause}")
        elif len(lost) <= TYPES_NAMED:
            lines.append(f"{count} {noun} lost {', '.join(lost)}: {cause}")
        else:
            lines.append(f"{count} {noun} lost {len(lost)} entity types ({', '.join(lost[:TYPES_NAMED])}, ...): "
                         f"{cause}")
    return lines


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
