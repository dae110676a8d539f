"""The `partition_keys` sensor: removes the partition keys that Dagster's "Add a partition" stored and no sync stands
behind, so that the accounts and regions the UI offers are the ones that were validated.

Dagster shows "Add a partition" on every dynamic dimension and stores what was typed, unchecked, for anyone who may
launch runs (the open-source webserver has no separate permission short of `--read-only`). A key added that way
could only fail to materialize: the entity assets refuse a key that names no account or commercial region, and an
account without an integration instance. Registering an account is done by an instance event or the instances file.
"""

from __future__ import annotations

from dagster import (
    AssetKey,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from aws_assets.defs.jobs import SYNC_JOB
from aws_assets.defs.partitions import accounts_partitions, regions_partitions, stray_accounts, stray_regions
from aws_assets.defs.resources import AwsAccounts
from aws_assets.inputs.registry import load_registry
from aws_assets.services.account import AWS_ACCOUNT

UNFINISHED = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
              DagsterRunStatus.STARTED]


@sensor(
    name="partition_keys",
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Removes accounts and regions partitions added by hand in the UI that no sync stands behind: a "
    "region that is not a commercial region, an account key that is not 12 digits, or an account neither registered "
    "in the instances file nor ever synced.",
)
def partition_keys(context: SensorEvaluationContext, aws: AwsAccounts) -> SensorResult | SkipReason:
    instance = context.instance
    regions = stray_regions(instance.get_dynamic_partitions(regions_partitions.name))
    accounts = instance.get_dynamic_partitions(accounts_partitions.name)
    # A running sync partitions an organisation's members before it materializes them.
    if instance.get_run_records(RunsFilter(job_name=SYNC_JOB, statuses=UNFINISHED), limit=1):
        accounts = stray_accounts(accounts, registered=accounts, synced=())  # the malformed keys only
    else:
        synced = instance.get_materialized_partitions(AssetKey(AWS_ACCOUNT.type))
        accounts = stray_accounts(accounts, load_registry(aws.instances_file), synced)
    if not regions and not accounts:
        return SkipReason("every accounts and regions partition was added by a sync or an instance event")
    requests = []
    if accounts:
        context.log.warning(f"removed accounts partition(s) {', '.join(accounts)}: not a registered or synced "
                            "account (register an account with an instance event or in the instances file)")
        requests.append(accounts_partitions.build_delete_request(accounts))
    if regions:
        context.log.warning(f"removed regions partition(s) {', '.join(regions)}: not a commercial AWS region")
        requests.append(regions_partitions.build_delete_request(regions))
    return SensorResult(dynamic_partitions_requests=requests)
