"""Syncing many accounts over several processes: each collects its share of the accounts with the thread engine
(`engine.sync_accounts`), and their results come back to the caller's thread, one per partition as it finishes.

A sync's threads share one interpreter lock: at organisation scale botocore's request building and response parsing,
the rows and the Parquet writes keep one core busy while the others idle (benchmarks/sync_scale.py). Spread over
processes, every core collects. An account is in exactly one process, so its rate limits, its credentials and its
lock stay in that process, as with threads.

The processes are spawned, not forked: the caller (a Dagster run) holds threads and locks that a fork would copy
mid-use. Each writes its partitions to the lake itself, whole or not at all; only the partitions' figures and the
first rows of each table travel back. Setting `stop`, the caller leaving the loop, or Ctrl-C (which the processes
leave to the caller) starts no new partition; the running ones finish, as with threads. A process that dies reports
its accounts that had not reported every partition they planned as failed (saying how many they had), and the
others go on.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from aws_assets.collection.engine import DEFAULT_LIMITS, sync_accounts, unexpected
from aws_assets.collection.limits import SyncLimits
from aws_assets.collection.partition import PartitionSync
from aws_assets.inputs.instances import Instance
from aws_assets.lake.storage import Lake
from aws_assets.model.cores import DEFAULT_PROCESSES_LIMIT, available_cores
from aws_assets.model.entity import EntityType
from aws_assets.model.regions import GLOBAL_REGION
from aws_assets.model.settings import SYNC_PROCESSES, positive_count, settings
from aws_assets.services.catalog import ENTITY_TYPES

# A process costs a second or two of start-up (it imports botocore, pyarrow and the collectors): a sync of a few
# accounts is done sooner on the threads of one.
ACCOUNTS_PER_PROCESS = 4
POLL_SECONDS = 1.0  # how often the caller looks for a process that died without a word


def sync_processes(accounts: int) -> int:
    """How many processes a sync of `accounts` accounts spreads over: the setting (at most one per account), else
    the cores this process may use but one, at most DEFAULT_PROCESSES_LIMIT and one per ACCOUNTS_PER_PROCESS
    accounts.

    The core left is the caller's: it writes every partition's events to Dagster (a third of a sync's CPU). On the
    2-core benchmark machine, where the moto server takes the second core, two processes were no faster than one
    (benchmarks/sync_scale.py --one-process: 75.5 against 77.0 s), so there the default is one."""
    configured = settings().sync_processes
    if configured is not None:
        return max(1, min(positive_count(SYNC_PROCESSES, configured, "a number of processes"), accounts))
    return max(1, min(available_cores() - 1, DEFAULT_PROCESSES_LIMIT, accounts // ACCOUNTS_PER_PROCESS))


def entity_type_named(name: str) -> EntityType:
    return ENTITY_TYPES[name]


class _ResultPickler(pickle.Pickler):
    """Entity types travel by name: they hold their collectors, which need not pickle."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, EntityType):
            return entity_type_named, (obj.type,)
        return NotImplemented


def dumps(result: PartitionSync) -> bytes:
    buffer = io.BytesIO()
    _ResultPickler(buffer, pickle.HIGHEST_PROTOCOL).dump(result)
    return buffer.getvalue()


def _stop_when_told(stop: Any, stopping: threading.Event, parent: int) -> None:
    """Ends the share when the caller says so, or when the caller is gone."""
    while not stopping.wait(POLL_SECONDS):
        if stop.value or os.getppid() != parent:
            stopping.set()


def _collect_share(index: int, share: list[Instance], lake_root: str, lock_dir: str, profile: str | None,
                   limits: SyncLimits, extra_regions: tuple[str, ...], results: Any, stop: Any, parent: int) -> None:
    """A process's work: its accounts on the thread engine, each partition's result put on `results`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to act on: it sets `stop`
    stopping = threading.Event()
    threading.Thread(target=_stop_when_told, args=(stop, stopping, parent), daemon=True).start()
    try:
        for synced in sync_accounts(share, Lake(lake_root), lock_dir, profile=profile, limits=limits,
                                    extra_regions=extra_regions, stop=stopping):
            results.put(("partition", index, dumps(synced)))
    except Exception as error:  # noqa: BLE001 - reported to the caller, which names the accounts
        results.put(("error", index, unexpected(error)))
    finally:
        stopping.set()
        results.put(("done", index, None))


def _shares(instances: list[Instance], processes: int) -> list[list[Instance]]:
    return [instances[start::processes] for start in range(processes)]


class ReportedPartitions:
    """Of one process's accounts: how many partitions each has reported, of how many it planned."""

    def __init__(self) -> None:
        self.partitions: dict[str, int] = {}
        self.planned: dict[str, int] = {}

    def add(self, synced: PartitionSync) -> None:
        self.partitions[synced.account_id] = self.partitions.get(synced.account_id, 0) + 1
        self.planned[synced.account_id] = synced.account_partitions

    def unfinished(self, share: list[Instance], reason: str) -> list[PartitionSync]:
        """A failure for each account of the share that reported none of its partitions, or not all."""
        failed = []
        for instance in share:
            done = self.partitions.get(instance.account_id, 0)
            planned = self.planned.get(instance.account_id)
            if planned is not None and done >= planned:
                continue
            told = reason if not done else (f"{reason} after {done} of its {planned} partitions; the others were not "
                                            "collected")
            failed.append(PartitionSync(instance.account_id, GLOBAL_REGION, error=f"{instance.label}: {told}",
                                        cause=reason))
        return failed


def sync_accounts_in_processes(
    instances: list[Instance],
    lake: Lake,
    lock_dir: str | Path,
    *,
    processes: int,
    profile: str | None = None,
    limits: SyncLimits = DEFAULT_LIMITS,
    extra_regions: Iterable[str] = (),
    stop: threading.Event | None = None,
) -> Iterator[PartitionSync]:
    """`engine.sync_accounts`, over `processes` processes (1: in this one), `limits.concurrency` accounts at a time
    in all."""
    if processes <= 1 or len(instances) < 2 or multiprocessing.current_process().daemon:  # which may not start any
        yield from sync_accounts(instances, lake, lock_dir, profile=profile, limits=limits,
                                 extra_regions=extra_regions, stop=stop)
        return
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    # A flag in shared memory, not a multiprocessing.Event: setting an Event waits for every process that waited on
    # it to wake, and a process that exited mid-wait never does.
    stopped = context.RawValue("b", 0)
    shares = _shares(instances, min(processes, len(instances)))
    share_limits = SyncLimits(concurrency=max(1, -(-limits.concurrency // len(shares))),
                              partitions_per_account=limits.partitions_per_account,
                              lock_wait_seconds=limits.lock_wait_seconds)
    workers = [context.Process(
        target=_collect_share, name=f"sync-share-{index}", daemon=True,
        args=(index, share, lake.root, str(lock_dir), profile, share_limits, tuple(extra_regions), results, stopped,
              os.getpid()),
    ) for index, share in enumerate(shares)]
    reported = [ReportedPartitions() for _ in shares]
    pending = set(range(len(shares)))
    try:
        for worker in workers:
            worker.start()
        while pending:
            if stop is not None and stop.is_set():
                break
            try:
                kind, index, payload = results.get(timeout=POLL_SECONDS)
            except queue.Empty:
                # A process's results reach the queue before it exits: one dead with nothing left to read died
                # without finishing its share.
                for index in sorted(pending):
                    if not workers[index].is_alive():
                        pending.discard(index)
                        yield from reported[index].unfinished(
                            shares[index], f"its collection process exited with code {workers[index].exitcode}")
                continue
            if kind == "partition":
                synced = pickle.loads(payload)
                reported[index].add(synced)
                yield synced
            elif kind == "error":
                yield from reported[index].unfinished(shares[index], payload)
            else:
                pending.discard(index)
    finally:
        # Reached on completion, on Ctrl-C in the caller and when the caller stops reading: start nothing more,
        # and let the running partitions finish. Their results are read and dropped, so that no process waits on
        # a full pipe.
        stopped.value = 1
        while any(worker.is_alive() for worker in workers):
            try:
                results.get(timeout=0.1)
            except queue.Empty:
                pass
        for worker in workers:
            worker.join()
        results.close()
