"""Jobs that sync a partition: everything account-wide for an account, everything regional for an account and region."""

from __future__ import annotations

from dagster import (
    AssetKey,
    AssetSelection,
    PartitionedConfig,
    PartitionsDefinition,
    RunRequest,
    define_asset_job,
    in_process_executor,
)

from aws_assets.defs.partitions import (
    account_region_key,
    account_region_partitions,
    accounts_partitions,
    split_partition_key,
)
from aws_assets.model.entity import Scope
from aws_assets.services.catalog import services_of_scope

# dagster.yaml allows one run at a time per value of this tag. Dagster's own `dagster/partition/account` is set on
# account x region runs only (and reserved), so every run of the sync jobs, however launched, carries this one:
# an account's account-wide run and its regional runs are limited together.
ACCOUNT_TAG = "aws_assets/account"
TRIGGER_TAG = "aws_assets/trigger"


def _selection(scope: Scope) -> AssetSelection:
    keys = [AssetKey(et.type) for service in services_of_scope(scope) for et in service.entity_types]
    return AssetSelection.assets(*keys)


def _no_run_config(partition_key: str) -> dict:
    return {}


def _tagged_by_account(partitions_def: PartitionsDefinition) -> PartitionedConfig:
    def account_tag(partition_key: str) -> dict[str, str]:
        if partitions_def is account_region_partitions:
            partition_key = account_region_partitions.get_partition_key_from_str(partition_key)
        return {ACCOUNT_TAG: split_partition_key(partition_key)[0]}

    return PartitionedConfig(
        partitions_def, run_config_for_partition_key_fn=_no_run_config, tags_for_partition_key_fn=account_tag
    )


sync_account_job = define_asset_job(
    "sync_account",
    selection=_selection(Scope.ACCOUNT),
    config=_tagged_by_account(accounts_partitions),
    # A sync waits on AWS, not on CPU: a process per step (the default) costs more than the step itself.
    executor_def=in_process_executor,
    description="Collects the account-wide services (the account, IAM, the S3 bucket inventory) of one account.",
)
sync_region_job = define_asset_job(
    "sync_region",
    selection=_selection(Scope.REGION),
    config=_tagged_by_account(account_region_partitions),
    executor_def=in_process_executor,
    description="Collects the regional services of one account in one region.",
)

build_graph_job = define_asset_job(
    "build_graph",
    # The person table is built first in the same run: the IS relationship to people reads it.
    selection=AssetSelection.groups("relationships", "people", "analysis"),
    description="Builds the person table, then computes every relationship type and the analyses (trust, IAM "
    "policies) over the whole lake.",
)


def _run_key(prefix: str | None, partition_key: str) -> str | None:
    return f"{prefix}:{partition_key}" if prefix else None


def account_run_request(account_id: str, trigger: str, run_key_prefix: str | None = None) -> RunRequest:
    return RunRequest(job_name=sync_account_job.name, partition_key=account_id, tags={TRIGGER_TAG: trigger},
                      run_key=_run_key(run_key_prefix, account_id))


def region_run_requests(
    account_id: str, regions: tuple[str, ...], trigger: str, run_key_prefix: str | None = None
) -> list[RunRequest]:
    keys = [account_region_key(account_id, region) for region in regions]
    return [RunRequest(job_name=sync_region_job.name, partition_key=key, tags={TRIGGER_TAG: trigger},
                       run_key=_run_key(run_key_prefix, key)) for key in keys]


def sync_run_requests(account_id: str, regions: tuple[str, ...], trigger: str) -> list[RunRequest]:
    """The account-wide run of an account, then one regional run per region."""
    return [account_run_request(account_id, trigger), *region_run_requests(account_id, regions, trigger)]
