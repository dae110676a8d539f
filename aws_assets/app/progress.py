"""Progress of a running sync on stderr: partitions done of total, failures, AWS requests per second, time left.

A terminal gets a live bar (rich); a log (stderr not a terminal) gets one plain line every PLAIN_INTERVAL_SECONDS
and one per failed partition, so a CI log stays short."""

from __future__ import annotations

import sys
import time
from collections import Counter

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from aws_assets.collection.partition import PartitionSync

PLAIN_INTERVAL_SECONDS = 10.0


class SyncProgress:
    """Called with each synced partition; `total` grows as accounts' regions become known."""

    def __init__(self, accounts: int, interactive: bool | None = None, interval: float = PLAIN_INTERVAL_SECONDS):
        self.accounts = accounts
        self.done = self.api_calls = self.throttled = 0
        self.failed_accounts: set[str] = set()
        self.throttled_by: Counter[tuple[str, str]] = Counter()  # (account, service) -> throttled requests
        self.planned: dict[str, int] = {}  # account -> its partitions, once one of them has finished
        self.started = time.monotonic()
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self.interval = interval
        self._last_line = self.started
        self._bar: Progress | None = None
        self._task = None

    def __enter__(self) -> SyncProgress:
        if self.interactive:
            self._bar = Progress(TextColumn("sync"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[status]}"), TimeRemainingColumn(), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("sync", total=None, status="")
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
        print(self.line(), file=sys.stderr, flush=True)

    @property
    def total(self) -> int:
        """The partitions planned; an account not heard from yet counts as the average of those that were."""
        known = sum(self.planned.values())
        average = known / len(self.planned) if self.planned else 1
        return max(self.done, round(known + average * (self.accounts - len(self.planned))))

    def seconds_left(self) -> float | None:
        if not self.done:
            return None
        elapsed = time.monotonic() - self.started
        return elapsed / self.done * (self.total - self.done)

    @property
    def requests_per_second(self) -> float:
        return self.api_calls / max(time.monotonic() - self.started, 1e-9)

    def throttling(self) -> str:
        """How many requests AWS throttled, and where most of them: the account and service to look at."""
        if not self.throttled_by:
            return f"{self.throttled} throttled"
        (account, service), count = self.throttled_by.most_common(1)[0]
        return f"{self.throttled} throttled (most: {service} of {account}, {count})"

    def line(self) -> str:
        left = self.seconds_left()
        return (f"sync: {self.done}/{self.total} partitions, {len(self.failed_accounts)} of {self.accounts} accounts "
                f"failed, {self.requests_per_second:.0f} requests/s, {self.throttling()}, "
                + (f"about {left:.0f}s left" if left is not None and self.done < self.total else
                   f"{time.monotonic() - self.started:.0f}s"))

    def __call__(self, synced: PartitionSync) -> None:
        self.done += 1
        self.planned[synced.account_id] = synced.account_partitions
        self.api_calls += sum(synced.calls_by_operation().values())
        self.throttled += sum(synced.throttled.values())
        for operation, count in synced.throttled.items():
            self.throttled_by[(synced.account_id, operation.partition(":")[0])] += count
        if not synced.ok:
            self.failed_accounts.add(synced.account_id)
            message = f"FAILED {synced.label}: {synced.failure_summary()}"
            (self._bar.console.print if self._bar else lambda m: print(m, file=sys.stderr, flush=True))(message)
        status = (f"{len(self.failed_accounts)} accounts failed, {self.requests_per_second:.0f} req/s, "
                  f"{self.throttling()}")
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.done, total=self.total, status=status)
        elif time.monotonic() - self._last_line >= self.interval:
            self._last_line = time.monotonic()
            print(self.line(), file=sys.stderr, flush=True)
