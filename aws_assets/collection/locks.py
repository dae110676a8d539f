"""One sync of an account at a time, across threads and processes: a lock file per account."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


class AccountLocked(Exception):
    """Another sync held the account's lock for longer than this sync waits."""


@contextmanager
def account_lock(lock_dir: str | Path, account_id: str, wait_seconds: float):
    directory = Path(lock_dir)
    directory.mkdir(parents=True, exist_ok=True)
    # thread_local=False: the lock is one per process too, so two syncs in one process exclude each other as well.
    lock = FileLock(directory / f"{account_id}.lock", timeout=wait_seconds, thread_local=False, is_singleton=False)
    try:
        lock.acquire()
    except Timeout:
        raise AccountLocked(
            f"account {account_id}: skipped, another sync of it still ran after {wait_seconds:g}s"
        ) from None
    try:
        yield
    finally:
        lock.release()
