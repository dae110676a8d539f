"""Sessions inside customer accounts and the regions to collect there, shared by the Dagster resource and the
sync engine."""

from __future__ import annotations

import threading
import time

from aws_assets.aws.calls import CallCounter
from aws_assets.aws.partition import PartitionCollection
from aws_assets.aws.session import AccountSessions
from aws_assets.inputs.instances import Instance
from aws_assets.model.regions import HOME_REGION, enabled_regions

_SESSIONS = AccountSessions()
# A sync collects many regional partitions of one account; which regions are enabled changes rarely.
ENABLED_REGIONS_TTL_SECONDS = 900
_enabled_regions: dict[str, tuple[float, tuple[str, ...]]] = {}
_enabled_regions_lock = threading.Lock()


def open_collection(instance: Instance, region: str, profile: str | None) -> PartitionCollection:
    """What a collector sees of one partition; raises AccessError when the role cannot be assumed."""
    calls = CallCounter()
    session = _SESSIONS.get(instance, profile, calls)
    return PartitionCollection(session, instance.account_id, region, calls)


def regions_to_collect(instance: Instance, aws: PartitionCollection) -> tuple[str, ...]:
    """The instance's own `regions`, or every commercial region enabled for the account."""
    if instance.regions is not None:
        return instance.regions
    with _enabled_regions_lock:
        cached = _enabled_regions.get(instance.account_id)
        if cached and time.monotonic() - cached[0] < ENABLED_REGIONS_TTL_SECONDS:
            return cached[1]
        regions = enabled_regions(aws.client("ec2", HOME_REGION).describe_regions(AllRegions=True))
        _enabled_regions[instance.account_id] = (time.monotonic(), regions)
        return regions
