"""The `partition_keys` sensor and the entity assets against keys typed into the UI's "Add a partition": Dagster
stores them unchecked, the assets refuse them in one line, and the sensor removes those no sync stands behind."""

from __future__ import annotations

import pytest
from dagster import (
    AssetMaterialization,
    DagsterInstance,
    DagsterRunStatus,
    build_sensor_context,
    materialize,
)
from dagster._core.test_utils import create_run_for_test

from aws_assets.defs.definitions import build_definitions
from aws_assets.defs.partition_keys import partition_keys
from aws_assets.defs.partitions import account_region_key, accounts_partitions, regions_partitions
from aws_assets.defs.resources import AwsAccounts
from aws_assets.inputs.instances import Instance
from aws_assets.inputs.registry import save_registry
from aws_assets.services.account import AWS_ACCOUNT

REGISTERED, MEMBER, TYPED = "111111111111", "222222222222", "333333333333"


@pytest.fixture
def registry(tmp_path) -> str:
    path = tmp_path / "instances.json"
    save_registry(path, {REGISTERED: Instance(f"arn:aws:iam::{REGISTERED}:role/aws-assets-readonly", "external")})
    return str(path)


@pytest.fixture
def instance(dagster_instances):
    with dagster_instances() as dagster_instance:
        dagster_instance.add_dynamic_partitions(accounts_partitions.name, [REGISTERED, MEMBER, TYPED, "prod"])
        dagster_instance.add_dynamic_partitions(regions_partitions.name, ["eu-west-1", "narnia-1"])
        # An organisation's member: partitioned and materialized by the run that listed it.
        dagster_instance.report_runless_asset_event(AssetMaterialization(AWS_ACCOUNT.type, partition=MEMBER))
        yield dagster_instance


def removed(instance: DagsterInstance, registry: str) -> dict[str, list[str]]:
    context = build_sensor_context(instance=instance, resources={"aws": AwsAccounts(instances_file=registry)})
    result = partition_keys(context)
    return {request.partitions_def_name: sorted(request.partition_keys)
            for request in getattr(result, "dynamic_partitions_requests", None) or []}


def test_keys_no_sync_stands_behind_are_removed(instance, registry):
    assert removed(instance, registry) == {"accounts": ["333333333333", "prod"], "regions": ["narnia-1"]}


def test_while_a_sync_runs_only_malformed_keys_are_removed(instance, registry):
    # The run partitions an organisation's members before it materializes them.
    create_run_for_test(instance, job_name="sync", status=DagsterRunStatus.STARTED)
    assert removed(instance, registry) == {"accounts": ["prod"], "regions": ["narnia-1"]}


def test_nothing_to_remove_is_a_skip(registry, dagster_instances):
    with dagster_instances() as dagster_instance:
        dagster_instance.add_dynamic_partitions(accounts_partitions.name, [REGISTERED])
        dagster_instance.add_dynamic_partitions(regions_partitions.name, ["eu-west-1"])
        assert removed(dagster_instance, registry) == {}


@pytest.mark.parametrize(("service", "key", "message"), [
    ("account", "prod", "account ID 'prod' is not 12 digits"),
    ("ec2", str(account_region_key(REGISTERED, "narnia-1")), "region 'narnia-1' is not a region of AWS's commercial"),
    ("account", TYPED, f"account {TYPED} has no integration instance in "),
])
def test_an_entity_asset_refuses_a_typed_key_in_one_line(instance, registry, tmp_path, service, key, message):
    defs = build_definitions(instances_file=registry, lake_root=str(tmp_path / "lake"))
    [collect] = [a for a in defs.assets if getattr(a, "node_def", None) and a.node_def.name == f"collect_{service}"]
    result = materialize([collect], partition_key=key, instance=instance, raise_on_error=False,
                         resources={"aws": defs.resources["aws"], "lake": defs.resources["lake"]})
    [failure] = [event for event in result.all_events if event.is_step_failure]
    description = failure.step_failure_data.user_failure_data.description
    assert message in description and "\n" not in description
    assert not (tmp_path / "lake").exists()
