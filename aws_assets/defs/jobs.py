"""The jobs: `sync` collects accounts into the lake (every partition of them, in one run), `build_graph` computes
the relationships and analyses over the lake."""

from collections.abc import Callable

from dagster import (
    AssetMaterialization,
    AssetSelection,
    Config,
    Failure,
    OpExecutionContext,
    ResourceDefinition,
    RunRequest,
    define_asset_job,
    in_process_executor,
    job,
    op,
)
from pydantic import Field

from aws_assets.collection.limits import DEFAULT_CONCURRENCY, SyncLimits
from aws_assets.collection.partition import PartitionSync
from aws_assets.collection.processes import sync_accounts_in_processes, sync_processes
from aws_assets.defs.assets.entities import materialization_metadata
from aws_assets.defs.partitions import RegionDimension, account_region_key, accounts_partitions
from aws_assets.defs.resources import AwsAccounts, LakeResource
from aws_assets.inputs.instances import Instance, InstanceError
from aws_assets.model.settings import ORGANIZATION_RUNS, positive_count, settings

# dagster.yaml allows one run at a time per value of this tag: a run that syncs one account carries it.
ACCOUNT_TAG = "aws_assets/account"
TRIGGER_TAG = "aws_assets/trigger"
SYNC_JOB = "sync"


class SyncConfig(Config):
    accounts: list[str] = Field(default=[], description="Account IDs to sync; with `entries` empty too: every "
                                "account the instances file stands for")
    entries: list[str] = Field(default=[], description="Instances-file entries to sync, by their account ID: an "
                               "organisation entry stands for itself and its members, listed at run time")
    share: int = Field(default=0, description="Which of `shares` runs this is: of an organisation entry's "
                       "members it syncs those whose account ID modulo `shares` is `share` (the entry's own account "
                       "in share 0)")
    shares: int = Field(default=1, description="How many runs share the entries' members")
    list_members: bool = Field(default=True, description="List the organisations' members when the run starts; "
                               "false: take a listing of the last 15 minutes in this process (the command's own)")
    concurrency: int = Field(default=DEFAULT_CONCURRENCY, description="Accounts synced at a time")
    extra_regions: list[str] = Field(
        default=[], description="Regions synced besides each account's own, to show as not collected (a region "
        "dropped from an instance's list)")


def partition_key(synced: PartitionSync) -> str:
    if synced.is_account_wide:
        return synced.account_id
    return str(account_region_key(synced.account_id, synced.region))


def failure_description(failed: list[PartitionSync]) -> str:
    return "; ".join(f"{synced.label}: {' / '.join(synced.errors)}" for synced in failed)


@op(required_resource_keys={"aws", "lake", "sync_progress"})
def sync_accounts_op(context: OpExecutionContext, config: SyncConfig) -> None:
    """Runs the sync engine and logs, from this thread, one materialization per table written."""
    aws: AwsAccounts = context.resources.aws
    lake: LakeResource = context.resources.lake
    progress: Callable[[PartitionSync], None] = context.resources.sync_progress
    membership = aws.members(refresh=config.list_members)  # afresh, unless the caller has just listed them
    for account_id, reason in sorted(membership.skipped.items()):
        context.log.info(f"skipped account {account_id}: {reason}")
    for reason in membership.failed.values():
        context.log.error(f"{reason}; its members are not synced")
    instances = membership.instances
    if config.accounts or config.entries:
        known = {i.account_id for i in instances}
        unknown = sorted((set(config.accounts) | set(config.entries)) - known)
        if unknown:
            raise Failure(description=str(InstanceError(
                f"account(s) {', '.join(unknown)} have no integration instance in {aws.instances_file}")))
        selected = set(config.accounts) | {
            account for account in membership.accounts_of(config.entries)
            if in_share(account, config.entries, config.share, config.shares)}
        instances = [i for i in instances if i.account_id in selected]
    # The materializations below name partitions of these accounts: the partitions must exist first.
    context.instance.add_dynamic_partitions(accounts_partitions.name, [i.account_id for i in instances])
    # Each account also materializes the regions other accounts collect, as empty partitions with a note (no API
    # call), so that no account x region partition is left missing.
    regions = RegionDimension(context.instance, [region for i in instances for region in i.regions or ()])
    failed = []
    synced_stream = sync_accounts_in_processes(
        instances, lake.lake(), f"{lake.local_folder()}/locks", processes=sync_processes(len(instances)),
        profile=aws.profile, limits=SyncLimits(concurrency=config.concurrency),
        extra_regions=sorted(regions.known | set(config.extra_regions)),
    )
    for synced in synced_stream:
        if synced.written and not synced.is_account_wide:
            regions.add(synced.region)
        for written in synced.written:
            context.log_event(AssetMaterialization(
                asset_key=written.outcome.entity_type.type, partition=partition_key(synced),
                metadata=materialization_metadata(written, synced.throttled),
            ))
        synced.release_tables()  # recorded: a sync of thousands of partitions keeps only their figures
        if not synced.ok:
            failed.append(synced)
            context.log.error(f"{synced.label}: {'; '.join(synced.errors)}")
        progress(synced)
    if failed:
        raise Failure(description=f"{len(failed)} partition(s) failed: {failure_description(failed)}. "
                      "The previous data of their failed tables is kept.")


def _no_progress(synced: PartitionSync) -> None:
    """Runs launched by the daemon report through their events; `aws-assets sync` passes its progress printer."""


no_sync_progress = ResourceDefinition.hardcoded_resource(_no_progress, "Receives each synced partition")


# A sync waits on AWS, not on CPU: its threads are the engine's; a process per step would add nothing.
@job(name=SYNC_JOB, executor_def=in_process_executor,
     description="Syncs accounts (config `accounts`, empty: every registered instance) into the lake, "
     "`concurrency` accounts at a time, and records a materialization per entity type and partition.")
def sync_job() -> None:
    sync_accounts_op()


build_graph_job = define_asset_job(
    "build_graph",
    # The person table is built first in the same run: the IS relationship to people reads it.
    selection=AssetSelection.groups("relationships", "people", "analysis", "changes"),
    description="Builds the person table, then computes every relationship type and the analyses (trust, IAM "
    "policies) over the whole lake, then what changed since the last sync.",
)


def organization_runs() -> int:
    return positive_count(ORGANIZATION_RUNS, settings().organization_runs,
                          "how many runs share an organisation's members")


def in_share(account_id: str, entries: list[str], share: int, shares: int) -> bool:
    """Whether the run of `share` of `shares` syncs the account: an entry's own account goes with share 0, every
    member with the share its (numeric) account ID falls in, so each account is in exactly one run."""
    if shares <= 1:
        return True
    return share == (0 if account_id in entries else int(account_id) % shares)


def sync_run_requests(entry: Instance, trigger: str, run_key: str | None = None,
                      extra_regions: tuple[str, ...] = ()) -> list[RunRequest]:
    """The runs of the sync job for one instances-file entry: one, or for an organisation entry
    AWS_ASSETS_ORGANIZATION_RUNS sharing its members (listed when each run starts). Each run is tagged with the entry's
    account (and its share), so that dagster.yaml keeps the runs of one entry and share apart."""
    shares = organization_runs() if entry.organization is not None else 1
    requests = []
    for share in range(shares):
        config = {"entries": [entry.account_id], "extra_regions": list(extra_regions), "share": share,
                  "shares": shares}
        tag = entry.account_id if shares == 1 else f"{entry.account_id}.{share}"
        key = run_key if run_key is None or shares == 1 else f"{run_key}.{share}"
        requests.append(RunRequest(job_name=SYNC_JOB, run_key=key, tags={TRIGGER_TAG: trigger, ACCOUNT_TAG: tag},
                                   run_config={"ops": {"sync_accounts_op": {"config": config}}}))
    return requests
