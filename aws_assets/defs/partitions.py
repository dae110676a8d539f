"""Partitions: a dynamic `account` dimension (12-digit IDs, added when an account is registered or synced) and a
dynamic `region` dimension holding the regions that some account collects (added when a sync first collects one).
Global services are partitioned by account alone.

The region dimension is dynamic because Dagster's multi-partitions are the cross product of their dimensions: with
every commercial region in it, each account showed ~30 partitions that are never collected as "Missing". A region
that is in the dimension but outside one account's selection is materialized for that account as an empty partition
with a note (no API call), so that every partition the UI shows says what it holds.

Dagster's UI offers "Add a partition" on every dynamic dimension and stores the key as typed; the `partition_keys`
sensor removes keys added that way that no sync stands behind (see `stray_accounts` and `stray_regions`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from dagster import (
    DagsterInstance,
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
)

from aws_assets.inputs.instances import InstanceError, validate_account_id
from aws_assets.model.regions import GLOBAL_REGION, commercial_regions

ACCOUNT = "account"
REGION = "region"

accounts_partitions = DynamicPartitionsDefinition(name="accounts")
regions_partitions = DynamicPartitionsDefinition(name="regions")
account_region_partitions = MultiPartitionsDefinition({ACCOUNT: accounts_partitions, REGION: regions_partitions})


def account_region_key(account_id: str, region: str) -> MultiPartitionKey:
    return MultiPartitionKey({ACCOUNT: account_id, REGION: region})


def validate_region(region: str) -> str:
    if region not in commercial_regions():
        raise InstanceError(f"region {region!r} is not a region of AWS's commercial partition")
    return region


def split_partition_key(partition_key: str | MultiPartitionKey) -> tuple[str, str]:
    """(account, region) of an account x region key, or (account, "global") of an account key; InstanceError for a
    key that names no account or region (one typed into the UI's "Add a partition")."""
    if isinstance(partition_key, MultiPartitionKey):
        by_dimension = partition_key.keys_by_dimension
        return validate_account_id(by_dimension[ACCOUNT]), validate_region(by_dimension[REGION])
    return validate_account_id(partition_key), GLOBAL_REGION


class RegionDimension:
    """The regions partitions as a sync sees them: the commercial regions already in the dimension and the regions
    of its instances' lists, added before the run; a region learnt in the run (an account that collects every region
    it has enabled) is added before its first materialization, and reaches the run's other accounts at their next
    sync."""

    def __init__(self, instance: DagsterInstance, selected: Iterable[str]):
        self._instance = instance
        partitioned = instance.get_dynamic_partitions(regions_partitions.name)
        self.known = set(partitioned) - set(stray_regions(partitioned))
        for region in sorted(set(selected) - self.known):
            self.add(region)

    def add(self, region: str) -> None:
        if region not in self.known:
            self._instance.add_dynamic_partitions(regions_partitions.name, [region])
            self.known.add(region)


def is_account_id(key: str) -> bool:
    try:
        validate_account_id(key)
    except InstanceError:
        return False
    return True


def stray_regions(keys: Iterable[str]) -> list[str]:
    """Region keys that are not commercial regions: no sync adds them, so the UI did."""
    return sorted(set(keys) - set(commercial_regions()))


def stray_accounts(keys: Iterable[str], registered: Collection[str], synced: Collection[str]) -> list[str]:
    """Account keys that no sync stands behind: not 12 digits, or neither registered in the instances file nor ever
    synced (an organisation's members are partitioned by the run that lists them, and materialized by it)."""
    return sorted(key for key in set(keys)
                  if not is_account_id(key) or (key not in registered and key not in synced))
