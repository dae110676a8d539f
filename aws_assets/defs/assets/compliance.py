"""The `compliance` asset: each CIS AWS Foundations Benchmark control (v4.0 and v3.0) per account and region, from
the `findings` asset and the rows its rules judge (aws_assets.analysis.compliance), written to
`<lake>/compliance/data.parquet`. Its materialization records each account's pass rate per framework as a number
(`compliance/<framework>/<account>`, and `compliance/<framework>` over every account), so that the Dagster UI
plots them over time."""

import time

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from aws_assets.analysis.cis import FRAMEWORKS, coverage
from aws_assets.analysis.compliance import (
    COMPLIANCE_SCHEMA,
    COMPLIANCE_TABLE,
    compliance_table,
    overall_pass_rate,
    pass_rates,
)
from aws_assets.analysis.findings import RULES
from aws_assets.defs.assets.analysis import GROUP
from aws_assets.defs.assets.column_schema import column_schema
from aws_assets.defs.automation import REFRESH_WHEN_UPSTREAM_CHANGES
from aws_assets.defs.resources import LakeResource
from aws_assets.graph.compliance import compliance_reads, lake_compliance
from aws_assets.graph.tables import load_tables

COMPLIANCE_KEY = AssetKey(COMPLIANCE_TABLE)


@asset(
    key=COMPLIANCE_KEY,
    group_name=GROUP,
    kinds={"duckdb", "parquet"},
    deps=[AssetKey(table) for table in compliance_reads(RULES)],
    automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
    description="Each control of the CIS AWS Foundations Benchmark (v4.0, and v3.0 by its numbers) per account and "
    "region: pass, fail (with the failing resources), not-applicable, or not-assessed (with why), from the "
    "findings of the rules that check it. The README (Compliance) lists the controls.",
    metadata={"dagster/column_schema": column_schema(COMPLIANCE_SCHEMA)},
)
def compliance(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    started = time.monotonic()
    con = load_tables(lake.snapshot(), compliance_reads(RULES))
    statuses = lake_compliance(con, RULES, FRAMEWORKS)
    table = compliance_table(statuses)
    path = lake.lake().write_table(COMPLIANCE_TABLE, table)
    metadata: dict = {"dagster/row_count": table.num_rows}
    for framework in FRAMEWORKS:
        mine = [status for status in statuses if status.framework == framework]
        metadata[f"compliance/{framework}"] = overall_pass_rate(mine)
        for account, rates in sorted(pass_rates(mine).items()):
            metadata[f"compliance/{framework}/{account}"] = float(rates["passRate"])
    metadata["coverage"] = MetadataValue.json(coverage(RULES))
    metadata["seconds"] = round(time.monotonic() - started, 3)
    metadata["lake/path"] = MetadataValue.path(path)
    context.log.info("compliance: " + ", ".join(
        f"{framework} {metadata[f'compliance/{framework}']}%" for framework in FRAMEWORKS))
    return MaterializeResult(asset_key=COMPLIANCE_KEY, metadata=metadata)
