"""How much a sync does at once; its own module so that the command line reads the defaults without importing the
collectors."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CONCURRENCY = 8  # accounts at a time: bounded by one machine's sockets and by throttling, not its CPU
PARTITIONS_PER_ACCOUNT = 4  # an account's partitions at a time: AWS throttles per account and region
LOCK_WAIT_SECONDS = 60.0  # how long a sync waits for another sync of the same account before skipping it


@dataclass(frozen=True)
class SyncLimits:
    concurrency: int = DEFAULT_CONCURRENCY
    partitions_per_account: int = PARTITIONS_PER_ACCOUNT
    lock_wait_seconds: float = LOCK_WAIT_SECONDS
