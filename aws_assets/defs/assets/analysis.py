"""What the assets of the `analysis` group share: the specs of the lake tables they write, the counts and problem
lists of their metadata, and the materialization of their problems tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pyarrow as pa
from dagster import AssetKey, AssetSpec, MaterializeResult, MetadataValue

from aws_assets.defs.assets.column_schema import column_schema
from aws_assets.defs.automation import REFRESH_WHEN_UPSTREAM_CHANGES
from aws_assets.graph.tables import table_schemas

GROUP = "analysis"
LISTED_PROBLEMS = 50  # problems shown in a materialization's metadata; the table has them all


def table_specs(reads: Mapping[str, list[AssetKey]], descriptions: Mapping[str, str]) -> list[AssetSpec]:
    """The lake tables an analysis multi-asset writes (table -> the assets it reads), each described by
    `descriptions` and refreshed when the tables it reads change."""
    schemas = table_schemas()
    return [
        AssetSpec(
            key=AssetKey(table),
            group_name=GROUP,
            kinds={"python", "parquet"},
            deps=deps,
            description=descriptions[table],
            metadata={"dagster/column_schema": column_schema(schemas[table])},
            automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
        )
        for table, deps in reads.items()
    ]


def counts(table: pa.Table, *columns: str) -> dict[str, int]:
    """Rows per distinct value of the columns (joined by spaces), counted in Arrow: a million rows are not turned
    into Python values to count a handful of distinct ones."""
    found: Counter[str] = Counter()
    for group in table.group_by(list(columns)).aggregate([([], "count_all")]).to_pylist():
        found[" ".join(str(group[column]) for column in columns)] += group["count_all"]
    return dict(sorted(found.items()))


def problem_list(problems: pa.Table, key_column: str, table_name: str) -> str:
    """The first problems as Markdown bullets: the document's owner (`key_column`), severity, code, statement."""
    rows = problems.slice(0, LISTED_PROBLEMS).to_pylist()
    lines = [
        f"- `{row[key_column]}` {row['severity']} `{row['code']}`"
        + ("" if row["statement"] is None else f" (statement {row['statement']})")
        + f": {row['message']}"
        for row in rows
    ]
    if problems.num_rows > LISTED_PROBLEMS:
        lines.append(f"\n_{problems.num_rows - LISTED_PROBLEMS} more in the `{table_name}` table_")
    return "\n".join(lines) or "_none_"



def error_count(problems: pa.Table) -> int:
    """The problems of severity `error`: those that may hide or blur what the analysis found."""
    return sum(1 for severity in problems.column("severity").to_pylist() if severity == "error")


def problems_result(table: str, problems: pa.Table, key_column: str, errors: int, path: str) -> MaterializeResult:
    """The materialization of an analysis's problems table: counts per code, the errors, the first problems."""
    return MaterializeResult(
        asset_key=AssetKey(table),
        metadata={
            "dagster/row_count": problems.num_rows,
            "problems_by_code": MetadataValue.json(counts(problems, "code")),
            "errors": errors,
            "problems": MetadataValue.md(problem_list(problems, key_column, table)),
            "lake/path": MetadataValue.path(path),
        },
    )
