"""Dagster resources: the AWS accounts to collect from, and the Parquet lake to write to."""

from __future__ import annotations

import threading
import time

from dagster import ConfigurableResource
from pydantic import Field

from aws_assets.aws.partition import PartitionCollection
from aws_assets.collection.access import open_collection, regions_to_collect
from aws_assets.inputs.instances import Instance, InstanceError, load_instances
from aws_assets.inputs.organization import Membership, expand
from aws_assets.lake.snapshot import LakeSnapshot
from aws_assets.lake.storage import Lake
from aws_assets.model.settings import CACHE, settings

# The partitions of one sync each look their account up; an organisation's membership is listed once per sync.
MEMBERSHIP_TTL_SECONDS = 900
_memberships: dict[tuple, tuple[float, Membership]] = {}
_memberships_lock = threading.Lock()


class AwsAccounts(ConfigurableResource):
    """Sessions inside customer accounts: `sts:AssumeRole` with each instance's role ARN and external ID.

    The instances file holds the external IDs, so they never pass through Dagster's run config or UI.
    """

    instances_file: str = Field(description="JSON or YAML list of integration instances (roleArn, externalId, ...)")
    profile: str | None = Field(default=None, description="AWS profile whose credentials assume the roles")

    def members(self, refresh: bool = False) -> Membership:
        """Every account the instances file stands for, each organisation's members listed at run time."""
        entries = load_instances(self.instances_file)
        key = (self.instances_file, self.profile, tuple(entries))
        with _memberships_lock:
            cached = _memberships.get(key)
            if cached and not refresh and time.monotonic() - cached[0] < MEMBERSHIP_TTL_SECONDS:
                return cached[1]
            membership = expand(entries, self.profile)
            _memberships[key] = (time.monotonic(), membership)
            return membership

    def instance(self, account_id: str) -> Instance:
        entries = load_instances(self.instances_file)
        for instance in entries:
            if instance.account_id == account_id:
                return instance
        if any(entry.organization for entry in entries):
            membership = self.members()
            member = membership.instance(account_id)
            if member is not None:
                return member
            reason = membership.skipped.get(account_id) or "; ".join(membership.failed.values())
            if reason:
                raise InstanceError(f"account {account_id} is not synced: {reason}")
        raise InstanceError(f"account {account_id} has no integration instance in {self.instances_file}")

    def collection(self, instance: Instance, region: str) -> PartitionCollection:
        return open_collection(instance, region, self.profile)

    def regions_to_collect(self, instance: Instance, aws: PartitionCollection) -> tuple[str, ...]:
        """The instance's own `regions`, or every commercial region enabled for the account."""
        return regions_to_collect(instance, aws)


class LakeResource(ConfigurableResource):
    """The Parquet lake: a local directory or an s3:// URL, and the local cache of its snapshots."""

    root: str = Field(description="Local path or s3://bucket/prefix of the lake")
    cache_folder: str | None = Field(
        default=None,
        description=f"Local folder for the snapshots the graph and analysis assets read the lake through "
        f"(default ${CACHE.name}, else ~/.cache/aws-assets)",
    )

    def lake(self) -> Lake:
        return Lake(self.root)

    def local_folder(self) -> str:
        return self.cache_folder or settings().cache_folder

    def snapshot(self) -> LakeSnapshot:
        return LakeSnapshot(self.lake(), self.local_folder())


