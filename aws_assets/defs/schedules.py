"""The schedule that re-syncs every registered instance: one run of the `sync` job per instances-file entry. An
organisation entry's run lists its members when it starts, so an account that joined is synced from the next tick on
and one that left is not (its data stays until purged). The relationship and analysis assets follow through the
`graph_automation` sensor."""

from __future__ import annotations

from dagster import (
    DagsterInvalidDefinitionError,
    DefaultScheduleStatus,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from aws_assets.defs.jobs import organization_runs, sync_job, sync_run_requests
from aws_assets.defs.partitions import accounts_partitions
from aws_assets.defs.resources import AwsAccounts
from aws_assets.inputs.instances import Instance
from aws_assets.inputs.registry import load_registry
from aws_assets.model.settings import SYNC_SCHEDULE, settings

TRIGGER = "schedule"


class ScheduleError(ValueError):
    """The configured cadence is not a cron schedule."""


def _registered(context: ScheduleEvaluationContext, aws: AwsAccounts) -> dict[str, Instance]:
    """The registered instances; an account written into the instances file by hand is added to the partitions."""
    registry = load_registry(aws.instances_file)
    missing = [a for a in registry if not context.instance.has_dynamic_partition(accounts_partitions.name, a)]
    if missing:
        context.instance.add_dynamic_partitions(accounts_partitions.name, missing)
        context.log.info(f"added {len(missing)} registered account(s) to the accounts partitions: {missing}")
    return registry


def _tick(context: ScheduleEvaluationContext) -> str:
    """Prefixes the run keys: one run per account and tick, so a retried tick launches nothing twice."""
    return context.scheduled_execution_time.strftime("%Y-%m-%dT%H:%M")


def _nothing(aws: AwsAccounts) -> SkipReason:
    return SkipReason(f"no integration instances registered in {aws.instances_file}")


def build_sync_schedules(cron: str | None = None) -> list[ScheduleDefinition]:
    cron = cron or settings().sync_schedule
    organization_runs()  # a bad value stops the definitions from loading, not the first tick
    try:

        @schedule(name="sync", cron_schedule=cron, job=sync_job, default_status=DefaultScheduleStatus.RUNNING,
                  description=f"Re-syncs every registered instance, one run per entry of the instances file (an "
                  f"organisation entry's run syncs its members) ({cron}, UTC).")
        def sync(context: ScheduleEvaluationContext, aws: AwsAccounts):
            registry = _registered(context, aws)
            return [request for account, entry in registry.items()
                    for request in sync_run_requests(entry, TRIGGER, f"{_tick(context)}:{account}")] or _nothing(aws)

    except DagsterInvalidDefinitionError:
        raise ScheduleError(
            f"{SYNC_SCHEDULE.name}={cron!r} is not a cron schedule: five fields, e.g. '0 2 * * *' (daily at 02:00 UTC)"
        ) from None
    return [sync]
