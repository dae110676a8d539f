"""The schedules that re-sync every registered instance: one for the account-wide runs, one for the regional runs
(a Dagster schedule targets one job), on one cadence. The relationship and analysis assets follow through the
`graph_automation` sensor."""

from __future__ import annotations

import os

from dagster import (
    DagsterInvalidDefinitionError,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from aws_assets.jobs import regions_to_request, sync_account_job, sync_region_job, sync_run_requests
from aws_assets.partitions import accounts_partitions
from aws_assets.registry import load_registry
from aws_assets.resources import AwsAccounts

SCHEDULE_ENV = "AWS_ASSETS_SYNC_SCHEDULE"
DEFAULT_SYNC_SCHEDULE = "0 2 * * *"  # daily, 02:00 UTC
TRIGGER = "schedule"


class ScheduleError(ValueError):
    """The configured cadence is not a cron schedule."""


def sync_cadence() -> str:
    return os.environ.get(SCHEDULE_ENV) or DEFAULT_SYNC_SCHEDULE


def scheduled_requests(context: ScheduleEvaluationContext, aws: AwsAccounts, job_name: str) -> list[RunRequest]:
    """This tick's runs of `job_name` for every registered instance; accounts not partitioned yet are added."""
    registry = load_registry(aws.instances_file)
    missing = [a for a in registry if not context.instance.has_dynamic_partition(accounts_partitions.name, a)]
    if missing:
        context.instance.add_dynamic_partitions(accounts_partitions.name, missing)
        context.log.info(f"added {len(missing)} registered account(s) to the accounts partitions: {missing}")
    prefix = context.scheduled_execution_time.strftime("%Y-%m-%dT%H:%M")
    return [
        request
        for account, instance in registry.items()
        for request in sync_run_requests(account, regions_to_request(instance), TRIGGER, prefix)
        if request.job_name == job_name
    ]


def _sync_schedule(name: str, job, cron: str, description: str) -> ScheduleDefinition:
    @schedule(
        name=name, cron_schedule=cron, job=job, default_status=DefaultScheduleStatus.RUNNING,
        description=description,
    )
    def sync_schedule(context: ScheduleEvaluationContext, aws: AwsAccounts):
        requests = scheduled_requests(context, aws, job.name)
        return requests or SkipReason(f"no integration instances registered in {aws.instances_file}")

    return sync_schedule


def build_sync_schedules(cron: str | None = None) -> list[ScheduleDefinition]:
    cron = cron or sync_cadence()
    try:
        return [
            _sync_schedule("sync_accounts", sync_account_job, cron,
                           f"Re-syncs the account-wide partition of every registered instance ({cron}, UTC)."),
            _sync_schedule("sync_regions", sync_region_job, cron,
                           f"Re-syncs every region of every registered instance ({cron}, UTC)."),
        ]
    except DagsterInvalidDefinitionError:
        raise ScheduleError(
            f"{SCHEDULE_ENV}={cron!r} is not a cron schedule: five fields, e.g. '0 2 * * *' (daily at 02:00 UTC)"
        ) from None
