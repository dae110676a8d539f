"""The `instance_events` sensor: integration instances registered, updated and deleted by events from an inbox."""

from __future__ import annotations

from dagster import (
    ConfigurableResource,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from pydantic import Field

from aws_assets.defs.jobs import TRIGGER_TAG, build_graph_job, sync_job, sync_run_requests
from aws_assets.defs.partitions import accounts_partitions
from aws_assets.defs.resources import AwsAccounts, LakeResource
from aws_assets.inputs.inbox import Inbox, open_inbox
from aws_assets.inputs.instances import regions_to_request
from aws_assets.inputs.intake import take_in
from aws_assets.inputs.registry import load_registry

TRIGGER = "instance_event"


class InstanceInbox(ConfigurableResource):
    """Where instance events arrive: a directory, or an SQS queue URL."""

    location: str = Field(description="A directory of *.json events, or an http(s):// SQS queue URL")
    rejected_dir: str | None = Field(
        default=None, description="Where rejected SQS messages are recorded (a directory inbox uses its rejected/)"
    )

    def open(self, profile: str | None) -> Inbox:
        return open_inbox(self.location, self.rejected_dir, profile)


@sensor(
    name="instance_events",
    jobs=[sync_job, build_graph_job],
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Reads integration instance events (create, update, delete) from the inbox, keeps the instances "
    "file and the accounts partitions in step with them, and requests the runs that sync each new or changed "
    "account in the same tick. Rejected events are logged and kept with their reason.",
)
def instance_events(
    context: SensorEvaluationContext, aws: AwsAccounts, lake: LakeResource, inbox: InstanceInbox
) -> SensorResult | SkipReason:
    source = inbox.open(aws.profile)
    partitioned = set(context.instance.get_dynamic_partitions(accounts_partitions.name))
    intake = take_in(source, aws.instances_file, lake.lake(), partitioned, context.log)
    if not intake.received:
        return SkipReason(source.nothing_received())
    registry = load_registry(aws.instances_file)
    run_requests = [
        # A region dropped from the instance's list is synced once more, so that it shows as not collected.
        request for account, regions in intake.to_sync.items()
        for request in sync_run_requests(registry[account], TRIGGER, extra_regions=tuple(sorted(
            set(regions) - set(regions_to_request(registry[account])))))
    ]
    if intake.purged:
        # The graph is computed over the whole lake: rebuilt, it drops the edges of the purged accounts.
        run_requests.append(RunRequest(job_name=build_graph_job.name, tags={TRIGGER_TAG: TRIGGER}))
    partition_requests = []
    if intake.to_add:
        partition_requests.append(accounts_partitions.build_add_request(intake.to_add))
    if intake.to_remove:
        partition_requests.append(accounts_partitions.build_delete_request(intake.to_remove))
    context.log.info(
        f"{intake.received} event(s): {intake.received - len(intake.rejected)} accepted, {len(intake.rejected)} "
        f"rejected; {len(run_requests)} run(s) requested for {len(intake.to_sync)} account(s)"
    )
    return SensorResult(run_requests=run_requests, dynamic_partitions_requests=partition_requests)
