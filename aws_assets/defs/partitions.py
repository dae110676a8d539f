"""Partitions: a dynamic `account` dimension (12-digit IDs, added when an instance is registered) and a static
`region` dimension (the commercial regions, from botocore). Global services are partitioned by account alone."""

from __future__ import annotations

from dagster import (
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
)

from aws_assets.inputs.instances import validate_account_id
from aws_assets.model.regions import GLOBAL_REGION, commercial_regions

ACCOUNT = "account"
REGION = "region"

accounts_partitions = DynamicPartitionsDefinition(name="accounts")
regions_partitions = StaticPartitionsDefinition(list(commercial_regions()))
account_region_partitions = MultiPartitionsDefinition({ACCOUNT: accounts_partitions, REGION: regions_partitions})


def account_region_key(account_id: str, region: str) -> MultiPartitionKey:
    return MultiPartitionKey({ACCOUNT: account_id, REGION: region})


def split_partition_key(partition_key: str | MultiPartitionKey) -> tuple[str, str]:
    """(account, region) of an account x region key, or (account, "global") of an account key."""
    if isinstance(partition_key, MultiPartitionKey):
        by_dimension = partition_key.keys_by_dimension
        return validate_account_id(by_dimension[ACCOUNT]), by_dimension[REGION]
    return validate_account_id(partition_key), GLOBAL_REGION
