"""The `security_group_peer` asset: the internet, CIDR ranges and placeholders that security group rules point at.

One table over the whole lake (group `analysis`), computed with DuckDB from the security groups, VPCs and subnets
by `aws_assets.relationships.security_groups`, and refreshed when they change (whatever regions were never synced).
The `aws_security_group ALLOWS` relationships read it, so the graph job builds it first.
"""

from collections import Counter

from dagster import (
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from aws_assets.defs.assets.analysis import GROUP
from aws_assets.defs.assets.column_schema import column_schema
from aws_assets.defs.assets.entities import markdown_preview
from aws_assets.defs.automation import REFRESH_WHEN_UPSTREAM_CHANGES
from aws_assets.defs.resources import LakeResource
from aws_assets.graph.tables import columns_named, load_tables
from aws_assets.relationships.security_groups import (
    PEER_DESCRIPTION,
    PEER_ENTITIES_SQL,
    PEER_SCHEMA,
    PEER_TABLE,
    peer_rows,
    peer_table,
)
from aws_assets.services.ec2 import AWS_SECURITY_GROUP, AWS_SUBNET, AWS_VPC

PREVIEW_COLUMNS = ("reason", "_type", "accountId", "_key")  # the short ones first
PEER_SOURCES = (AWS_SECURITY_GROUP, AWS_VPC, AWS_SUBNET)


@asset(
    name=PEER_TABLE,
    group_name=GROUP,
    deps=[AssetKey(entity_type.type) for entity_type in PEER_SOURCES],
    kinds={"duckdb", "parquet"},
    description=PEER_DESCRIPTION,
    metadata={"dagster/column_schema": column_schema(PEER_SCHEMA)},
    automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
)
def security_group_peer(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    tables = [entity_type.type for entity_type in PEER_SOURCES]
    con = load_tables(lake.snapshot(), columns_named(PEER_ENTITIES_SQL, tables))
    peers = con.execute(PEER_ENTITIES_SQL)
    names = [column[0] for column in peers.description]
    table = peer_table(peer_rows(dict(zip(names, row)) for row in peers.fetchall()))
    path = lake.lake().write_table(PEER_TABLE, table)
    by_type = Counter(table.column("_type").to_pylist())
    context.log.info(f"{PEER_TABLE}: {dict(sorted(by_type.items()))}")
    return MaterializeResult(
        metadata={
            "dagster/row_count": table.num_rows,
            "entities_by_type": MetadataValue.json(dict(sorted(by_type.items()))),
            "lake/path": MetadataValue.path(path),
            "preview": MetadataValue.md(markdown_preview(table, PREVIEW_COLUMNS)),
        }
    )
