"""Syncing many accounts at once: accounts in parallel, and each account's partitions in parallel, on threads (the
work waits on AWS, not on the CPU).

Results come back to the caller's thread, one per partition as it finishes, so that a caller such as a Dagster op
logs its events from one thread. An account is synced by one sync at a time (a lock file); a sync that cannot take
an account's lock in time reports the account as skipped and goes on with the others. Setting `stop`, or the caller
leaving the loop (Ctrl-C), starts no new partition; the partitions already running finish, and each table is written
whole or not at all, so the next sync carries on from a readable lake.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from aws_assets.aws.collect import MESSAGE_LIMIT, describe_cause
from aws_assets.aws.session import AccessError
from aws_assets.collection.access import open_collection, regions_to_collect
from aws_assets.collection.limits import SyncLimits
from aws_assets.collection.locks import AccountLocked, account_lock
from aws_assets.collection.partition import PartitionSync, sync_partition
from aws_assets.inputs.instances import Instance
from aws_assets.lake.storage import Lake
from aws_assets.model.entity import EntityType, Scope
from aws_assets.model.regions import GLOBAL_REGION
from aws_assets.services.catalog import services_of_scope

DEFAULT_LIMITS = SyncLimits()


def entity_types_of(scope: Scope) -> list[EntityType]:
    return [et for service in services_of_scope(scope) for et in service.entity_types]


def planned_regions(instance: Instance, profile: str | None, extra_regions: Iterable[str]) -> tuple[PartitionSync,
                                                                                                      list[str]]:
    """The account's regions to sync; `extra_regions` (dropped from the instance's list, say) are synced too, and
    come out empty with a note. The returned PartitionSync holds the planning calls, or the error."""
    planning = PartitionSync(instance.account_id, GLOBAL_REGION)
    try:
        collection = open_collection(instance, GLOBAL_REGION, profile)
        regions = regions_to_collect(instance, collection)
        planning.planning_calls = collection.calls.by_operation()
    except AccessError as error:
        planning.error = str(error)  # it names the account and the role already
        return planning, []
    except (ClientError, BotoCoreError) as error:
        planning.cause = describe_cause(error)
        planning.error = f"{instance.label}: {planning.cause}"
        return planning, []
    return planning, sorted(set(regions) | set(extra_regions))


def unexpected(error: Exception) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())[:MESSAGE_LIMIT]


class _AccountDone:
    """The marker an account's worker puts on the results queue when it has nothing more to report."""


def sync_accounts(
    instances: list[Instance],
    lake: Lake,
    lock_dir: str | Path,
    *,
    profile: str | None = None,
    limits: SyncLimits = DEFAULT_LIMITS,
    extra_regions: Iterable[str] = (),
    stop: threading.Event | None = None,
) -> Iterator[PartitionSync]:
    stop = stop or threading.Event()
    extra = tuple(extra_regions)
    results: queue.Queue[PartitionSync | _AccountDone] = queue.Queue()
    scopes = {Scope.ACCOUNT: entity_types_of(Scope.ACCOUNT), Scope.REGION: entity_types_of(Scope.REGION)}

    def run_partition(instance: Instance, region: str, planning_calls: dict[str, int], planned: int) -> None:
        if stop.is_set():
            return
        started = time.monotonic()
        scope = Scope.ACCOUNT if region == GLOBAL_REGION else Scope.REGION
        try:
            result = sync_partition(instance, region, scopes[scope], lake, profile)
        except Exception as error:  # noqa: BLE001 - a pool thread's exception would be lost with its partition
            result = PartitionSync(instance.account_id, region, error=f"{instance.label}: {unexpected(error)}",
                                   cause=unexpected(error))
        result.started, result.finished, result.account_partitions = started, time.monotonic(), planned
        if region == GLOBAL_REGION:  # the account's planning calls count once, with its account-wide partition
            result.planning_calls = dict(Counter(result.planning_calls) + Counter(planning_calls))
        results.put(result)

    def run_account(instance: Instance) -> None:
        try:
            if stop.is_set():
                return
            with account_lock(lock_dir, instance.account_id, limits.lock_wait_seconds):
                planning, regions = planned_regions(instance, profile, extra)
                if planning.error:
                    results.put(planning)
                    return
                with ThreadPoolExecutor(limits.partitions_per_account,
                                        thread_name_prefix=f"sync-{instance.account_id}") as partitions:
                    planned = [GLOBAL_REGION, *regions]
                    for region in planned:
                        partitions.submit(run_partition, instance, region, planning.planning_calls, len(planned))
        except AccountLocked as locked:
            results.put(PartitionSync(instance.account_id, GLOBAL_REGION, error=str(locked)))
        except Exception as error:  # noqa: BLE001 - the account would otherwise vanish from the results
            results.put(PartitionSync(instance.account_id, GLOBAL_REGION,
                                      error=f"{instance.label}: {unexpected(error)}", cause=unexpected(error)))
        finally:
            results.put(_AccountDone())

    accounts = ThreadPoolExecutor(max(1, limits.concurrency), thread_name_prefix="sync-accounts")
    try:
        for instance in instances:
            accounts.submit(run_account, instance)
        pending = len(instances)
        while pending:
            item = results.get()
            if isinstance(item, _AccountDone):
                pending -= 1
            else:
                yield item
    finally:
        # Reached on completion, on Ctrl-C in the caller and when the caller stops reading: start nothing more.
        stop.set()
        accounts.shutdown(wait=True, cancel_futures=True)
