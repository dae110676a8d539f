"""Spreading an analysis over the machine's cores: forked processes inherit the analysis's indexes (built once, in
memory, shared copy-on-write) and each computes its share of the rows; only their answers travel back.

Python runs one thread at a time, so an analysis of millions of rows in one process uses one core whatever the
machine has (benchmarks/policy_analysis.py). `AWS_ASSETS_ANALYSIS_WORKERS` caps the processes (default: the cores
this process may use, at most DEFAULT_PROCESSES_LIMIT: each worker's own memory grows with its share); where
processes cannot be forked (not Linux or another POSIX system), the work runs here.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from aws_assets.model.cores import DEFAULT_PROCESSES_LIMIT, available_cores
from aws_assets.model.settings import ANALYSIS_WORKERS, positive_count, settings

Item = TypeVar("Item")
Answer = TypeVar("Answer")

# The function the forked workers call: set before they are forked, so that they inherit it (and all it refers to)
# instead of receiving it pickled.
_TASK: Callable[[Any], Any] | None = None



def analysis_workers() -> int:
    """How many processes an analysis may spread over: the setting, else the cores this process may use (at most
    DEFAULT_PROCESSES_LIMIT)."""
    configured = settings().analysis_workers
    if configured is None:
        return min(available_cores(), DEFAULT_PROCESSES_LIMIT)
    return positive_count(ANALYSIS_WORKERS, configured, "a number of processes")


SHARES_PER_WORKER = 4  # so that a worker given the slower shares does not keep the others waiting


def share_size(count: int, workers: int) -> int:
    """How many of `count` items a share holds, for a few shares per worker."""
    return max(1, -(-count // (workers * SHARES_PER_WORKER)))


def _call(item: Any) -> Any:
    assert _TASK is not None
    return _TASK(item)


def map_in_forks(function: Callable[[Item], Answer], items: Sequence[Item], workers: int) -> Iterator[Answer]:
    """`function(item)` for each item, in order, computed by up to `workers` forked processes (here, when one
    would do or the system cannot fork). The answers must pickle; the function and what it reads need not."""
    global _TASK
    if workers <= 1 or len(items) <= 1 or "fork" not in multiprocessing.get_all_start_methods() or (
            multiprocessing.current_process().daemon):  # a daemonic process may not start any
        yield from map(function, items)
        return
    if _TASK is not None:
        raise RuntimeError("map_in_forks is already running in this process")
    _TASK = function
    # Not multiprocessing.Pool: its terminate() after a failed item can wait forever on a worker stuck on the
    # task queue's lock (seen in CI); the executor lets running items finish and cancels the rest.
    executor = ProcessPoolExecutor(min(workers, len(items)), mp_context=multiprocessing.get_context("fork"))
    try:
        yield from executor.map(_call, items)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        _TASK = None
