"""The `resource_access` asset: who may use each resource that has a resource-based policy, decided by the
evaluator (`aws_assets.analysis.resource_access`), over the whole lake.

It reads the resource policies of every type that declares one, the roles' trust policies, the organisation tables
(for the RCPs and organisation IDs) and the ingested accounts and principals with DuckDB, and each account's zone
of trust from the instances file (`zoneOfTrust`; an instances file not written yet leaves every zone to its
default). The zone is read here, where the instances are, rather than written on the `aws_account` rows: the
setting is the operator's choice about the analysis, not a fact collected from AWS, and changing it must not wait
for a sync of the account.
"""

import time

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from aws_assets.analysis.forked import analysis_workers
from aws_assets.analysis.resource_access import (
    RESOURCE_ACCESS_SCHEMA,
    RESOURCE_ACCESS_TABLE,
    TABLE_DESCRIPTION,
    input_columns,
    resource_access_from_tables,
)
from aws_assets.defs.assets.analysis import GROUP, counts
from aws_assets.defs.assets.column_schema import column_schema
from aws_assets.defs.assets.entities import markdown_preview
from aws_assets.defs.assets.findings import read_tables
from aws_assets.defs.automation import REFRESH_WHEN_UPSTREAM_CHANGES
from aws_assets.defs.resources import AwsAccounts, LakeResource
from aws_assets.graph.tables import load_tables
from aws_assets.inputs.registry import load_registry

PREVIEW_COLUMNS = ("decision", "principalKind", "external", "principal", "resourceKey")  # short ones first


@asset(
    key=AssetKey(RESOURCE_ACCESS_TABLE),
    group_name=GROUP,
    kinds={"python", "parquet"},
    deps=[AssetKey(table) for table in input_columns()],
    automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
    description=TABLE_DESCRIPTION,
    metadata={"dagster/column_schema": column_schema(RESOURCE_ACCESS_SCHEMA)},
)
def resource_access(context: AssetExecutionContext, lake: LakeResource, aws: AwsAccounts) -> MaterializeResult:
    started = time.monotonic()
    instances = load_registry(aws.instances_file)
    settings = {account: instance.zone_of_trust for account, instance in instances.items()}
    organization_entries = [account for account, instance in instances.items() if instance.organization]
    columns = input_columns()
    tables = read_tables(load_tables(lake.snapshot(), columns), columns)
    table = resource_access_from_tables(tables, settings, organization_entries, workers=analysis_workers())
    context.log.info(f"decided the access of {table.num_rows} principal(s) in {time.monotonic() - started:.1f}s")
    path = lake.lake().write_table(RESOURCE_ACCESS_TABLE, table)
    external = table.filter(table.column("external"))
    return MaterializeResult(
        metadata={
            "dagster/row_count": table.num_rows,
            "rows_by_principal_kind": MetadataValue.json(counts(table, "principalKind")),
            "rows_by_decision": MetadataValue.json(counts(table, "decision")),
            "external_rows": external.num_rows,
            "resources_with_external_access": len(set(external.column("resourceKey").to_pylist())),
            "seconds": round(time.monotonic() - started, 3),
            "lake/path": MetadataValue.path(path),
            "preview": MetadataValue.md(markdown_preview(table, PREVIEW_COLUMNS)),
        },
    )
