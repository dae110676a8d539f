"""The region dimension holds the regions that some account collects: a sync leaves no account x region partition
missing, and an account materializes a region only another account collects as an empty partition with a note."""

from __future__ import annotations

import pytest
from dagster import AssetKey, AssetRecordsFilter, DagsterInstance

from aws_assets.defs.definitions import build_definitions
from aws_assets.defs.partitions import account_region_partitions, regions_partitions
from aws_assets.defs.sync import sync
from aws_assets.inputs.instances import Instance
from aws_assets.inputs.registry import save_registry
from aws_assets.model.entity import Scope
from aws_assets.services.catalog import SERVICES

WIDE, NARROW = "410000000001", "410000000002"


def instance(account: str, regions: tuple[str, ...]) -> Instance:
    return Instance(f"arn:aws:iam::{account}:role/aws-assets-readonly", f"external-{account}", regions=regions)


def latest(dagster_instance: DagsterInstance, asset: str, partition: str):
    [record] = dagster_instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[partition]), limit=1).records
    return record.asset_materialization.metadata


@pytest.mark.e2e  # two whole syncs through Dagster: half a minute
def test_no_partition_is_missing_and_another_accounts_region_is_empty_with_a_note(moto, tmp_path):
    instances = [instance(WIDE, ("eu-west-1", "us-east-1")), instance(NARROW, ("eu-west-1",))]
    registry = tmp_path / "instances.json"
    save_registry(registry, {i.account_id: i for i in instances})
    defs = build_definitions(instances_file=str(registry), lake_root=str(tmp_path / "lake"))
    regional = [et.type for s in SERVICES if s.scope is Scope.REGION for et in s.entity_types]
    with DagsterInstance.ephemeral() as dagster_instance:
        assert sync(instances, defs, dagster_instance).ok
        assert sorted(dagster_instance.get_dynamic_partitions(regions_partitions.name)) == ["eu-west-1", "us-east-1"]
        every_partition = set(account_region_partitions.get_partition_keys(dynamic_partitions_store=dagster_instance))
        assert len(every_partition) == 4
        for asset in regional:
            assert dagster_instance.get_materialized_partitions(AssetKey(asset)) == every_partition, asset
        collected = latest(dagster_instance, "aws_vpc", f"{WIDE}|us-east-1")
        not_collected = latest(dagster_instance, "aws_vpc", f"{NARROW}|us-east-1")
    assert collected["dagster/row_count"].value >= 1  # moto's default VPC
    assert not_collected["dagster/row_count"].value == 0
    assert not_collected["aws/api_calls"].value == 0
    assert not_collected["note"].value == (f"region us-east-1 is not collected for account {NARROW}: "
                                           "not in the instance's regions")
